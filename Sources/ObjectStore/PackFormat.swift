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

    /// How an object is checked when it is read. Most objects are stored under the SHA-256 of their
    /// bytes; an object keyed by another id (a file manifest, under the id of the whole file) ends with
    /// a `CheckLine` instead. The object database needs nothing else from a kind: what it means, and
    /// what it lists, is the `Store`'s.
    public enum Verification: Sendable { case contentHash, checkLine }

    public var verification: Verification {
        switch self {
        case .chunk, .dirManifest, .dirPiece: return .contentHash
        case .fileManifest: return .checkLine
        }
    }

    /// True when the id is the SHA-256 of the stored object's decoded bytes.
    public var isSelfVerifying: Bool { verification == .contentHash }
}

/// The last line of an object that is not stored under its own hash: `check <SHA-256 of every byte
/// before this line, in hex>` and a newline. It lets a reader check such an object on its own.
public enum CheckLine {
    static let length = 6 + 64 + 1

    /// `bytes` followed by their check line.
    public static func appended(to bytes: [UInt8]) -> [UInt8] {
        bytes + Array("check \(ObjectID.hashing(bytes).hex)\n".utf8)
    }

    /// Whether `bytes` end with a check line that matches what is above it.
    public static func isIntact(_ bytes: [UInt8]) -> Bool {
        guard bytes.count > length, bytes.last == 0x0a else { return false }
        let body = Array(bytes[0..<(bytes.count - length)])
        let line = String(decoding: bytes[(bytes.count - length)...], as: UTF8.self)
        guard line.hasPrefix("check "), let id = ObjectID(hex: line.dropFirst(6).dropLast()) else { return false }
        return ObjectID.hashing(body) == id
    }
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

    /// Whether `name` is a pack name git-mlops makes: 32 lower-case hex digits (128 random bits).
    /// Anything else found on a remote is ignored, never adopted, deleted or joined to a path.
    public static func isPackName<S: StringProtocol>(_ name: S) -> Bool {
        name.utf8.count == 32 && name.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

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
        try? check(p, checksum: checksum, rows: false)
    }

    /// Checks an index before anything trusts it, and returns its row count and pack size. Always:
    /// magic, version, length against the row count, a pack size that fits an Int64, and a fan-out
    /// table that lookups can index safely (O(256)). With `rows` (indexes from a remote, or adopted
    /// from one; O(n log n) once per index): every row's kind and codec are known, ids are sorted and
    /// unique and agree with the fan-out, every record lies inside the pack and no two overlap.
    public static func check(_ p: UnsafeRawBufferPointer, checksum: Bool, rows: Bool) throws -> (count: Int, packSize: Int64) {
        guard p.count >= headerSize + 32, Array(p[0..<8]) == magic else { throw IndexFormatError("not a git-mlops pack index") }
        let base = p.baseAddress!
        let v = base.loadLE(UInt32.self, at: 8)
        guard v == version else { throw IndexFormatError(version: v) }
        let count = Int(base.loadLE(UInt32.self, at: 12))
        guard let expected = checkedLength(header: headerSize, rows: count, rowSize: entrySize), p.count == expected else {
            throw IndexFormatError("its length (\(p.count) bytes) does not match its \(count) rows")
        }
        guard let packSize = Int64(exactly: base.loadLE(UInt64.self, at: 16)), packSize >= Int64(PackFormat.headerSize) else {
            throw IndexFormatError("pack size \(base.loadLE(UInt64.self, at: 16)) is impossible")
        }
        try checkFanout(base + 24, count: count)
        if checksum {
            let body = UnsafeRawBufferPointer(rebasing: p[0..<(p.count - 32)])
            guard ObjectID.hashing(body) == ObjectID(bytes: base + p.count - 32) else { throw IndexFormatError("checksum mismatch") }
        }
        if rows { try checkRows(base, count: count, packSize: packSize) }
        return (count, packSize)
    }

    /// `header + rows * rowSize + 32` (the trailing checksum), nil on overflow.
    static func checkedLength(header: Int, rows: Int, rowSize: Int) -> Int? {
        let (body, o1) = rows.multipliedReportingOverflow(by: rowSize)
        let (withHeader, o2) = body.addingReportingOverflow(header)
        let (total, o3) = withHeader.addingReportingOverflow(32)
        return o1 || o2 || o3 ? nil : total
    }

    /// The fan-out must never decrease and must end at `count`: lookups use its values as row numbers.
    static func checkFanout(_ fanout: UnsafeRawPointer, count: Int) throws {
        var previous: UInt32 = 0
        for b in 0..<256 {
            let f = fanout.loadLE(UInt32.self, at: b * 4)
            guard f >= previous else { throw IndexFormatError("fan-out decreases at byte \(b)") }
            previous = f
        }
        guard Int(previous) == count else { throw IndexFormatError("fan-out ends at \(previous), not at the row count \(count)") }
    }

    private static func checkRows(_ base: UnsafeRawPointer, count: Int, packSize: Int64) throws {
        let fanout = base + 24
        var spans: [(start: Int64, end: Int64)] = []
        spans.reserveCapacity(count)
        var previous: ObjectID?
        for i in 0..<count {
            let row = base + headerSize + i * entrySize
            let id = ObjectID(bytes: row)
            if let previous, !(previous < id) { throw IndexFormatError("row \(i): ids are not sorted and unique") }
            previous = id
            let b = Int(id.firstByte)
            let lo = b == 0 ? 0 : Int(fanout.loadLE(UInt32.self, at: (b - 1) * 4)), hi = Int(fanout.loadLE(UInt32.self, at: b * 4))
            guard i >= lo && i < hi else { throw IndexFormatError("row \(i): id \(id.hex) is outside its fan-out range") }
            guard ObjectKind(rawValue: row.load(fromByteOffset: 48, as: UInt8.self)) != nil,
                  let codec = Codec(rawValue: row.load(fromByteOffset: 49, as: UInt8.self)) else {
                throw IndexFormatError("row \(i): unknown object kind or codec")
            }
            let stored = Int64(row.loadLE(UInt32.self, at: 40)), raw = Int64(row.loadLE(UInt32.self, at: 44))
            guard codec != .raw || stored == raw else { throw IndexFormatError("row \(i): a raw record whose sizes differ") }
            // u32 + 44 cannot overflow an Int64; an offset up to Int64.max plus that can, hence the check.
            guard let offset = Int64(exactly: row.loadLE(UInt64.self, at: 32)), offset >= Int64(PackFormat.headerSize) else {
                throw IndexFormatError("row \(i): offset \(row.loadLE(UInt64.self, at: 32)) is outside the pack")
            }
            let (end, overflow) = offset.addingReportingOverflow(Int64(PackFormat.recordHeaderSize) + stored)
            guard !overflow, end <= packSize else {
                throw IndexFormatError("row \(i): record at offset \(offset) ends past the pack's \(packSize) bytes")
            }
            spans.append((offset, end))
        }
        spans.sort { $0.start < $1.start }
        for i in spans.indices.dropFirst() where spans[i].start < spans[i - 1].end {
            throw IndexFormatError("records at offsets \(spans[i - 1].start) and \(spans[i].start) overlap")
        }
    }

    /// Row `i` of a checked index. Conversions never trap: an index checked without `rows` may still
    /// hold a damaged offset, which then reads as negative and fails when the record is read.
    public static func entry(_ base: UnsafeRawPointer, _ i: Int) -> IndexEntry {
        let p = base + headerSize + i * entrySize
        return IndexEntry(id: ObjectID(bytes: p),
                          offset: Int64(truncatingIfNeeded: p.loadLE(UInt64.self, at: 32)),
                          storedSize: Int(p.loadLE(UInt32.self, at: 40)),
                          rawSize: Int(p.loadLE(UInt32.self, at: 44)),
                          kind: ObjectKind(rawValue: p.load(fromByteOffset: 48, as: UInt8.self)) ?? .chunk,
                          codec: Codec(rawValue: p.load(fromByteOffset: 49, as: UInt8.self)) ?? .raw)
    }
}

/// Why index bytes cannot be used. A version other than ours is not damage: a newer git-mlops wrote it.
public struct IndexFormatError: Error, CustomStringConvertible {
    public let reason: String
    /// The version found, when it is not the one this git-mlops reads.
    public let foundVersion: UInt32?

    init(_ reason: String) { self.reason = reason; foundVersion = nil }
    init(version: UInt32) { reason = "index version \(version)"; foundVersion = version }

    public var description: String { reason }

    /// One error line for the index at `path`, with `damagedHint` when it is damaged.
    public func error(_ path: String, damagedHint: String) -> MLOpsError {
        if let v = foundVersion {
            return MLOpsError("\(path) was made by a newer git-mlops (index version \(v))", hint: "upgrade git-mlops to read it")
        }
        return MLOpsError("\(path) is not a valid pack index (\(reason))", hint: damagedHint)
    }
}
