import MLOpsBasics
#if canImport(Glibc)
import Glibc
#endif

/// A read-only memory map of a whole file; unmapped when released.
final class MappedFile: @unchecked Sendable {
    let base: UnsafeRawPointer
    let count: Int

    init(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SystemError("open", path, errno: errno) }
        defer { close(fd) }
        let size = Int(FileStat.fstat(fd)?.size ?? 0)
        guard size > 0 else { throw DamagedIndexError(error: MLOpsError("\(path) is empty", hint: DamagedIndexError.hint)) }
        guard let m = mmap(nil, size, PROT_READ, MAP_SHARED, fd, 0), m != MAP_FAILED else {
            throw SystemError("mmap", path, errno: errno)
        }
        base = UnsafeRawPointer(m)
        count = size
    }

    var buffer: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    deinit { munmap(UnsafeMutableRawPointer(mutating: base), count) }
}

/// Binary search in a table of fixed-size rows sorted by id, narrowed by a 256-entry fan-out.
struct SortedIDTable {
    let rows: UnsafeRawPointer
    let rowSize: Int
    let fanout: UnsafeRawPointer
    let count: Int

    func find(_ id: ObjectID) -> Int? {
        let b = Int(id.firstByte)
        var lo = b == 0 ? 0 : Int(fanout.loadLE(UInt32.self, at: (b - 1) * 4))
        var hi = Int(fanout.loadLE(UInt32.self, at: b * 4))
        while lo < hi {
            let mid = (lo + hi) / 2
            let other = ObjectID(bytes: rows + mid * rowSize)
            if other == id { return mid }
            if other < id { lo = mid + 1 } else { hi = mid }
        }
        return nil
    }
}

/// A local index that is damaged (not one a newer git-mlops wrote): the database leaves its pack out
/// of lookups but lists it, so that fsck reports it and `fsck --repair` reads the pack record by record
/// (records carry their own ids) and writes its objects anew under a new index.
struct DamagedIndexError: Error, CustomStringConvertible {
    static let hint = "run `git mlops fsck --repair`; it rewrites the pack's objects, read record by record, under a new index"
    let error: MLOpsError
    var description: String { error.description }
}

/// One pack's `.idx`, memory-mapped.
final class PackIndex: @unchecked Sendable {
    let name: String
    let file: MappedFile
    let count: Int
    let packSize: Int64
    private let table: SortedIDTable

    init(path: String, name: String, verifyChecksum: Bool = false) throws {
        self.name = name
        file = try MappedFile(path: path)
        // Local indexes are ours: the cheap structural checks on every open, every row when verifying.
        do {
            (count, packSize) = try IndexFormat.check(file.buffer, checksum: verifyChecksum, rows: verifyChecksum)
        } catch let e as IndexFormatError {
            let error = e.error(path, damagedHint: DamagedIndexError.hint)
            throw e.foundVersion == nil ? DamagedIndexError(error: error) : error
        }
        table = SortedIDTable(rows: file.base + IndexFormat.headerSize, rowSize: IndexFormat.entrySize,
                              fanout: file.base + 24, count: count)
    }

    func find(_ id: ObjectID) -> IndexEntry? {
        table.find(id).map { IndexFormat.entry(file.base, $0) }
    }

    var entries: [IndexEntry] { (0..<count).map { IndexFormat.entry(file.base, $0) } }
}

/// Multi-pack index (`packs/multi.midx`): the sorted union of many pack indexes, so that a lookup costs
/// one binary search however many packs there are. Packs not yet in it are searched one by one; it is
/// rebuilt once there are more than a few of those.
///
///     "MLOPSMX\0" | u32 version | u32 pack count | u32 count | u32 0 | pack names (16 bytes each)
///     u32 fanout[256] | count x { id[32] | u32 pack | u64 offset | u32 stored | u32 raw | u8 kind | u8 codec | u16 0 }
///     SHA-256 of everything above
enum MultiIndexFormat {
    static let magic: [UInt8] = Array("MLOPSMX\0".utf8)
    static let version: UInt32 = 1
    static let entrySize = 56

    static func encode(packs: [String], entries: [(IndexEntry, UInt32)]) -> [UInt8] {
        var b = magic
        b.appendLE(version)
        b.appendLE(UInt32(packs.count))
        b.appendLE(UInt32(entries.count))
        b.appendLE(UInt32(0))
        for p in packs { b.append(contentsOf: packNameBytes(p)) }
        IndexFormat.appendFanout(entries.map(\.0.id), to: &b)
        for (e, pack) in entries { IndexFormat.appendRow(e, pack: pack, to: &b) }
        b.append(contentsOf: ObjectID.hashing(b).bytes)
        return b
    }

    static func packNameBytes(_ name: String) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 16)
        let u = Array(name.utf8)
        for i in 0..<min(16, u.count / 2) {
            out[i] = UInt8(String(decoding: u[(2 * i)..<(2 * i + 2)], as: UTF8.self), radix: 16) ?? 0
        }
        return out
    }

    static func packName(_ p: UnsafeRawPointer) -> String {
        (0..<16).map { i in
            let v = p.load(fromByteOffset: i, as: UInt8.self)
            return (v < 16 ? "0" : "") + String(v, radix: 16)
        }.joined()
    }
}

final class MultiIndex: @unchecked Sendable {
    let file: MappedFile
    let packs: [String]
    let count: Int
    private let table: SortedIDTable
    private let rows: UnsafeRawPointer

    init(path: String) throws {
        let file = try MappedFile(path: path)
        self.file = file
        let p = file.buffer
        let damaged = "delete it; it is rebuilt from the pack indexes"
        guard p.count >= 24 + 1024 + 32, Array(p[0..<8]) == MultiIndexFormat.magic else {
            throw MLOpsError("\(path): not a valid multi-pack index", hint: damaged)
        }
        let v = file.base.loadLE(UInt32.self, at: 8)
        guard v == MultiIndexFormat.version else {
            throw MLOpsError("\(path) was made by a newer git-mlops (multi-pack index version \(v))", hint: "upgrade git-mlops, or \(damaged)")
        }
        let packCount = Int(file.base.loadLE(UInt32.self, at: 12))
        count = Int(file.base.loadLE(UInt32.self, at: 16))
        // Both counts are u32, so none of this overflows on 64 bits; checked anyway, before any allocation.
        let (names, o1) = packCount.multipliedReportingOverflow(by: 16)
        let (fanOff, o2) = names.addingReportingOverflow(24)
        guard !o1, !o2, let rowsAndSum = IndexFormat.checkedLength(header: 1024, rows: count, rowSize: MultiIndexFormat.entrySize),
              case let (total, o3) = fanOff.addingReportingOverflow(rowsAndSum), !o3, p.count == total else {
            throw MLOpsError("\(path): truncated multi-pack index", hint: damaged)
        }
        do {
            try IndexFormat.checkFanout(file.base + fanOff, count: count)
        } catch {
            throw MLOpsError("\(path): not a valid multi-pack index (\(error))", hint: damaged)
        }
        packs = (0..<packCount).map { MultiIndexFormat.packName(file.base + 24 + $0 * 16) }
        rows = file.base + fanOff + 1024
        table = SortedIDTable(rows: rows, rowSize: MultiIndexFormat.entrySize, fanout: file.base + fanOff, count: count)
    }

    func find(_ id: ObjectID) -> (IndexEntry, String)? {
        guard let i = table.find(id) else { return nil }
        let r = rows + i * MultiIndexFormat.entrySize
        let pack = Int(r.loadLE(UInt32.self, at: 32))
        guard pack < packs.count else { return nil }
        guard let offset = Int64(exactly: r.loadLE(UInt64.self, at: 36)) else { return nil }
        let e = IndexEntry(id: id,
                           offset: offset,
                           storedSize: Int(r.loadLE(UInt32.self, at: 44)),
                           rawSize: Int(r.loadLE(UInt32.self, at: 48)),
                           kind: ObjectKind(rawValue: r.load(fromByteOffset: 52, as: UInt8.self)) ?? .chunk,
                           codec: Codec(rawValue: r.load(fromByteOffset: 53, as: UInt8.self)) ?? .raw)
        return (e, packs[pack])
    }
}
