import Crypto

/// A SHA-256 object id. Stored as four words so that it hashes and compares fast in large tables.
public struct ObjectID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64

    public static let byteCount = 32

    public init(w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64) {
        self.w0 = w0; self.w1 = w1; self.w2 = w2; self.w3 = w3
    }

    /// Reads 32 bytes, big-endian words, so that word order equals byte order.
    public init(bytes p: UnsafeRawPointer) {
        func word(_ o: Int) -> UInt64 { UInt64(bigEndian: p.loadUnaligned(fromByteOffset: o, as: UInt64.self)) }
        self.init(w0: word(0), w1: word(8), w2: word(16), w3: word(24))
    }

    public init<D: Digest>(digest: D) {
        self = digest.withUnsafeBytes { ObjectID(bytes: $0.baseAddress!) }
    }

    /// Parses 64 lower- or upper-case hex digits; nil for anything else.
    public init?(hex: some StringProtocol) {
        let parsed = hex.utf8.withContiguousStorageIfAvailable { ObjectID(hexUTF8: UnsafeRawBufferPointer($0)) }
            ?? Array(hex.utf8).withUnsafeBytes { ObjectID(hexUTF8: $0) }
        guard let parsed else { return nil }
        self = parsed
    }

    /// The same, from bytes (manifests are parsed without making strings).
    public init?(hexUTF8 p: UnsafeRawBufferPointer) {
        guard p.count == 64 else { return nil }
        func word(_ w: Int) -> UInt64? {
            var v: UInt64 = 0
            for c in p[(w * 16)..<(w * 16 + 16)] {
                let d: UInt8
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): d = c &- UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): d = c &- UInt8(ascii: "a") &+ 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): d = c &- UInt8(ascii: "A") &+ 10
                default: return nil
                }
                v = v << 4 | UInt64(d)
            }
            return v
        }
        guard let w0 = word(0), let w1 = word(1), let w2 = word(2), let w3 = word(3) else { return nil }
        self.init(w0: w0, w1: w1, w2: w2, w3: w3)
    }

    public func write(to p: UnsafeMutableRawPointer) {
        p.storeBytes(of: w0.bigEndian, toByteOffset: 0, as: UInt64.self)
        p.storeBytes(of: w1.bigEndian, toByteOffset: 8, as: UInt64.self)
        p.storeBytes(of: w2.bigEndian, toByteOffset: 16, as: UInt64.self)
        p.storeBytes(of: w3.bigEndian, toByteOffset: 24, as: UInt64.self)
    }

    public var bytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        out.withUnsafeMutableBytes { write(to: $0.baseAddress!) }
        return out
    }

    /// The first byte, used for fan-out tables.
    public var firstByte: UInt8 { UInt8(w0 >> 56) }

    public var hex: String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        return String(unsafeUninitializedCapacity: 64) { buf in
            for (wi, w) in [w0, w1, w2, w3].enumerated() {
                for j in 0..<16 {
                    buf[wi * 16 + j] = digits[Int((w >> UInt64(60 - 4 * j)) & 0xf)]
                }
            }
            return 64
        }
    }

    public var description: String { hex }
    /// A short form for messages.
    public var short: String { String(hex.prefix(12)) }

    public static func < (a: ObjectID, b: ObjectID) -> Bool {
        if a.w0 != b.w0 { return a.w0 < b.w0 }
        if a.w1 != b.w1 { return a.w1 < b.w1 }
        if a.w2 != b.w2 { return a.w2 < b.w2 }
        return a.w3 < b.w3
    }

    public func hash(into h: inout Hasher) { h.combine(w0); h.combine(w1) }

    /// SHA-256 of a buffer.
    public static func hashing(_ buf: UnsafeRawBufferPointer) -> ObjectID {
        ObjectID(digest: SHA256.hash(data: buf))
    }

    public static func hashing(_ bytes: [UInt8]) -> ObjectID {
        bytes.withUnsafeBytes { hashing($0) }
    }

    public static func hashing(_ s: String) -> ObjectID {
        hashing(Array(s.utf8))
    }
}

/// Incremental SHA-256 for streams.
public struct StreamHasher {
    private var h = SHA256()
    public init() {}
    public mutating func update(_ buf: UnsafeRawBufferPointer) { h.update(bufferPointer: buf) }
    public mutating func update(_ bytes: [UInt8]) { bytes.withUnsafeBytes { h.update(bufferPointer: $0) } }
    public func finalize() -> ObjectID { ObjectID(digest: h.finalize()) }
}
