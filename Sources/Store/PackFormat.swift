import MLOpsBasics

/// What an object in a pack is. The raw value is written to disk (docs/format.md).
public enum ObjectKind: UInt8, Sendable {
    /// File bytes; its id is their SHA-256.
    case chunk = 1
    /// The chunk list of a file longer than one chunk; its id is the SHA-256 of the whole file, and it
    /// carries its own checksum line.
    case fileManifest = 2
    /// A directory: its pieces in path order; its id is the SHA-256 of its text.
    case dirManifest = 3
    /// A run of directory entries in path order; its id is the SHA-256 of its text.
    case dirPiece = 4

    /// True when the id is the SHA-256 of the stored object's decoded bytes.
    public var isSelfVerifying: Bool { self != .fileManifest }
}

/// Pack file layout, version 1 (little-endian):
///
///     header  "MLOPSPK\0" | u32 version | u32 reserved                          16 bytes
///     record  u8 kind | u8 codec | u16 reserved | u32 raw size | u32 stored size | id[32]   44 bytes
///             followed by the stored bytes
///
/// Records carry their own id and sizes, so an index can be rebuilt from a pack alone.
public enum PackFormat {
    public static let magic: [UInt8] = Array("MLOPSPK\0".utf8)
    public static let version: UInt32 = 1
    public static let headerSize = 16
    public static let recordHeaderSize = 44
    /// A pack is sealed once it reaches this size; remotes hold the same packs. `GIT_MLOPS_PACK_SIZE`
    /// (bytes) overrides it, e.g. to exercise many packs in tests.
    public static let targetPackSize: Int64 = {
        if let v = getenv("GIT_MLOPS_PACK_SIZE"), let n = Int64(String(cString: v)), n >= 4096 { return n }
        return 64 << 20
    }()

    public static func header() -> [UInt8] {
        var b = magic
        b.appendLE(version)
        b.appendLE(UInt32(0))
        return b
    }

    public static func recordHeader(kind: ObjectKind, codec: Codec, rawSize: Int, storedSize: Int, id: ObjectID) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: recordHeaderSize) { b, n in
            writeRecordHeader(to: UnsafeMutableRawPointer(b.baseAddress!), kind: kind, codec: codec, rawSize: rawSize, storedSize: storedSize, id: id)
            n = recordHeaderSize
        }
    }

    /// Writes the `recordHeaderSize` bytes of a record header at `p`.
    public static func writeRecordHeader(to p: UnsafeMutableRawPointer, kind: ObjectKind, codec: Codec, rawSize: Int, storedSize: Int, id: ObjectID) {
        p.storeBytes(of: kind.rawValue, toByteOffset: 0, as: UInt8.self)
        p.storeBytes(of: codec.rawValue, toByteOffset: 1, as: UInt8.self)
        p.storeBytes(of: UInt16(0), toByteOffset: 2, as: UInt16.self)
        p.storeBytes(of: UInt32(rawSize).littleEndian, toByteOffset: 4, as: UInt32.self)
        p.storeBytes(of: UInt32(storedSize).littleEndian, toByteOffset: 8, as: UInt32.self)
        id.write(to: p + 12)
    }

    public struct RecordHeader: Equatable {
        public var kind: ObjectKind
        public var codec: Codec
        public var rawSize: Int
        public var storedSize: Int
        public var id: ObjectID
    }

    public static func parseRecordHeader(_ p: UnsafeRawBufferPointer) -> RecordHeader? {
        guard p.count >= recordHeaderSize,
              let kind = ObjectKind(rawValue: p[0]), let codec = Codec(rawValue: p[1]) else { return nil }
        let base = p.baseAddress!
        return RecordHeader(kind: kind, codec: codec,
                            rawSize: Int(base.loadLE(UInt32.self, at: 4)),
                            storedSize: Int(base.loadLE(UInt32.self, at: 8)),
                            id: ObjectID(bytes: base + 12))
    }
}

/// One index row: where an object sits in its pack and how to decode it.
public struct IndexEntry: Sendable, Equatable {
    public var id: ObjectID
    /// Offset of the record header in the pack.
    public var offset: Int64
    public var storedSize: Int
    public var rawSize: Int
    public var kind: ObjectKind
    public var codec: Codec

    public init(id: ObjectID, offset: Int64, storedSize: Int, rawSize: Int, kind: ObjectKind, codec: Codec) {
        self.id = id; self.offset = offset; self.storedSize = storedSize; self.rawSize = rawSize
        self.kind = kind; self.codec = codec
    }

    /// Bytes of the whole record (header and payload) in the pack.
    public var recordSize: Int { PackFormat.recordHeaderSize + storedSize }
}

/// Index file layout, version 1 (little-endian), beside each pack as `NAME.idx`:
///
///     "MLOPSIX\0" | u32 version | u32 count | u64 pack size | u32 fanout[256]
///     count x { id[32] | u64 offset | u32 stored size | u32 raw size | u8 kind | u8 codec | u16 0 }  (52 bytes, sorted by id)
///     SHA-256 of everything above
///
/// `fanout[b]` is the number of entries whose first id byte is <= b, so a lookup is a binary search
/// in one small range.
public enum IndexFormat {
    public static let magic: [UInt8] = Array("MLOPSIX\0".utf8)
    public static let version: UInt32 = 1
    public static let headerSize = 8 + 4 + 4 + 8 + 256 * 4
    public static let entrySize = 52

    public static func encode(_ entries: [IndexEntry], packSize: Int64) -> [UInt8] {
        let sorted = entries.sorted { $0.id < $1.id }
        var b = magic
        b.reserveCapacity(headerSize + sorted.count * entrySize + 32)
        b.appendLE(version)
        b.appendLE(UInt32(sorted.count))
        b.appendLE(UInt64(packSize))
        appendFanout(sorted.map(\.id), to: &b)
        for e in sorted { appendRow(e, pack: nil, to: &b) }
        b.append(contentsOf: ObjectID.hashing(b).bytes)
        return b
    }

    /// `fanout[b]` = number of ids whose first byte is <= b; `ids` sorted.
    static func appendFanout(_ ids: [ObjectID], to b: inout [UInt8]) {
        var fan = [UInt32](repeating: 0, count: 256)
        for id in ids { fan[Int(id.firstByte)] += 1 }
        var acc: UInt32 = 0
        for i in 0..<256 { acc += fan[i]; b.appendLE(acc) }
    }

    /// One row: id, then the pack number (multi-pack index only), offset, sizes, kind, codec, padding.
    static func appendRow(_ e: IndexEntry, pack: UInt32?, to b: inout [UInt8]) {
        b.append(contentsOf: e.id.bytes)
        if let pack { b.appendLE(pack) }
        b.appendLE(UInt64(e.offset))
        b.appendLE(UInt32(e.storedSize))
        b.appendLE(UInt32(e.rawSize))
        b.append(e.kind.rawValue)
        b.append(e.codec.rawValue)
        b.appendLE(UInt16(0))
    }

    /// Checks magic, version, size and checksum; nil when the file is not a valid index.
    public static func validate(_ p: UnsafeRawBufferPointer, checksum: Bool) -> (count: Int, packSize: Int64)? {
        guard p.count >= headerSize + 32, Array(p[0..<8]) == magic else { return nil }
        let base = p.baseAddress!
        guard base.loadLE(UInt32.self, at: 8) == version else { return nil }
        let count = Int(base.loadLE(UInt32.self, at: 12))
        guard p.count == headerSize + count * entrySize + 32 else { return nil }
        if checksum {
            let body = UnsafeRawBufferPointer(rebasing: p[0..<(p.count - 32)])
            guard ObjectID.hashing(body) == ObjectID(bytes: base + p.count - 32) else { return nil }
        }
        return (count, Int64(base.loadLE(UInt64.self, at: 16)))
    }

    public static func entry(_ base: UnsafeRawPointer, _ i: Int) -> IndexEntry {
        let p = base + headerSize + i * entrySize
        return IndexEntry(id: ObjectID(bytes: p),
                          offset: Int64(p.loadLE(UInt64.self, at: 32)),
                          storedSize: Int(p.loadLE(UInt32.self, at: 40)),
                          rawSize: Int(p.loadLE(UInt32.self, at: 44)),
                          kind: ObjectKind(rawValue: p.load(fromByteOffset: 48, as: UInt8.self)) ?? .chunk,
                          codec: Codec(rawValue: p.load(fromByteOffset: 49, as: UInt8.self)) ?? .raw)
    }
}

extension Array where Element == UInt8 {
    public mutating func appendLE<T: FixedWidthInteger>(_ v: T) {
        Swift.withUnsafeBytes(of: v.littleEndian) { append(contentsOf: $0) }
    }
}

extension UnsafeRawPointer {
    public func loadLE<T: FixedWidthInteger>(_ t: T.Type, at offset: Int) -> T {
        T(littleEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}

#if canImport(Glibc)
import Glibc
#endif
