import Foundation
import MLOpsBasics

/// Where an object sits: its pack and its index row.
public struct ObjectLocation: Sendable {
    public let pack: PackFile
    public let entry: IndexEntry
}

/// An object failed its hash or could not be decoded.
public struct CorruptObjectError: Error, CustomStringConvertible {
    public let id: ObjectID
    public let pack: String
    public let reason: String
    public init(id: ObjectID, pack: String, reason: String) { self.id = id; self.pack = pack; self.reason = reason }
    public var description: String {
        "object \(id.hex) in pack \(pack) is corrupt (\(reason)); run `git mlops fsck --repair` to restore it from a remote"
    }
}

/// A pack file on disk, opened once and read with `pread` from any thread.
public final class PackFile: @unchecked Sendable {
    public let name: String
    public private(set) var path: String
    private var fd: FileDescriptor?
    private let lock = NSLock()

    init(name: String, path: String, fd: FileDescriptor? = nil) {
        self.name = name
        self.path = path
        self.fd = fd
    }

    func moved(to newPath: String) {
        lock.lock(); path = newPath; lock.unlock()
    }

    func descriptor() throws -> FileDescriptor {
        lock.lock(); defer { lock.unlock() }
        if let fd { return fd }
        let f = try FileDescriptor.open(path, O_RDONLY)
        fd = f
        return f
    }

    /// The whole record of `entry` (header and stored bytes).
    public func readRecord(_ entry: IndexEntry) throws -> [UInt8] {
        let fd = try descriptor()
        let bytes = try fd.pread(count: entry.recordSize, offset: entry.offset)
        guard bytes.count == entry.recordSize else {
            throw CorruptObjectError(id: entry.id, pack: name, reason: "pack is truncated")
        }
        return bytes
    }

    public func read(into buf: UnsafeMutableRawPointer, count: Int, offset: Int64) throws -> Int {
        try descriptor().pread(into: buf, count: count, offset: offset)
    }
}

/// The object database under `.git/mlops`: ids and their bytes, in packs found through their indexes.
/// It knows object kinds only as tags and how each is verified (see `ObjectKind`); what files and
/// directories mean is `Store`'s, a subclass in the layer above.
///
/// Readers and writers in several processes may share it: a pack becomes visible only when its index is
/// renamed into `packs/`, after the pack itself is durable.
open class ObjectDatabase: @unchecked Sendable {
    public let root: String
    /// Pack size, direct I/O and threads, read once where the repository was opened.
    public let tuning: Tuning
    public static let formatVersion = 1

    public var packsDir: String { root + "/packs" }
    public var tmpDir: String { root + "/tmp" }
    var midxPath: String { packsDir + "/multi.midx" }
    /// Held shared by every command that reads or writes objects, exclusive by gc.
    public var lockPath: String { root + "/store.lock" }

    private let lock = NSLock()
    private var packs: [String: PackFile] = [:]
    private var loose: [PackIndex] = []
    /// Packs whose index is damaged: out of lookups, but listed for fsck and repair.
    private var damagedIndexes: Set<String> = []
    private var midx: MultiIndex?
    /// What this process's unfinished write sessions appended (see `PendingObjects`).
    let pending = PendingObjects()
    /// mtime of `packs/` when it was last scanned: a lookup that misses rescans when it has changed,
    /// so packs added by another process (or another database on the same cache) are found.
    private var scannedAt: Int64 = 0
    /// Packs whose length matched their index (see `packDamage`).
    private var packSizeOK: [String: Bool] = [:]

    let decompressors = Pool { Decompressor() }
    /// Per-thread buffers that records are read into before decoding.
    public let recordBuffers = Pool { ReadBuffer() }

    /// Opens the database at `root`, first creating its directories and format file if missing.
    public convenience init(creating root: String, tuning: Tuning = Tuning()) throws {
        try FS.mkdirs(root + "/packs")
        try FS.mkdirs(root + "/tmp")
        let format = root + "/format"
        if !FS.exists(format) { try FS.writeAtomic(format, "git-mlops store \(ObjectDatabase.formatVersion)\n") }
        try self.init(root: root, tuning: tuning)
    }

    public init(root: String, tuning: Tuning = Tuning()) throws {
        self.root = root
        self.tuning = tuning
        let format = root + "/format"
        guard let text = try? FS.readText(format) else {
            throw MLOpsError("no git-mlops cache at \(root)", hint: "run `git mlops init` first")
        }
        let line = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard line == "git-mlops store \(ObjectDatabase.formatVersion)" else {
            // A later version is not damage: a newer git-mlops made this cache.
            if line.hasPrefix("git-mlops store "), let v = Int(line.dropFirst(16)), v > ObjectDatabase.formatVersion {
                throw MLOpsError("\(format): this cache was made by a newer git-mlops (cache format \(v))", hint: "upgrade git-mlops to read it")
            }
            throw MLOpsError.malformed(format, "is not a git-mlops cache format line ('\(line.prefix(80))')",
                                      fix: "it reads `git-mlops store \(ObjectDatabase.formatVersion)`; write that line back, then run `git mlops fsck`")
        }
        try reload()
    }

    /// Rescans `packs/` for indexes added by other processes.
    public func reload() throws {
        let stamp = FS.stat(packsDir)?.mtimeNs ?? 0
        let names = try FS.listDirectory(packsDir).map(\.name)
        var idxNames = Set<String>()
        for n in names where n.hasSuffix(".idx") { idxNames.insert(String(n.dropLast(4))) }
        var newMidx: MultiIndex?
        if names.contains("multi.midx") {
            newMidx = try? MultiIndex(path: midxPath)
        }
        let covered = Set(newMidx?.packs ?? [])
        var newLoose: [PackIndex] = []
        var newDamaged: Set<String> = []
        lock.lock()
        let oldLoose = Dictionary(loose.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        lock.unlock()
        for name in idxNames.sorted() where !covered.contains(name) {
            if let old = oldLoose[name] { newLoose.append(old); continue }
            do {
                newLoose.append(try PackIndex(path: "\(packsDir)/\(name).idx", name: name))
            } catch is DamagedIndexError {
                newDamaged.insert(name)
            }
        }
        lock.lock()
        scannedAt = stamp
        midx = newMidx
        loose = newLoose
        damagedIndexes = newDamaged
        for name in idxNames where packs[name] == nil {
            packs[name] = PackFile(name: name, path: "\(packsDir)/\(name).pack")
        }
        lock.unlock()
    }

    /// Names of the packs that have an index, sorted; one whose index is damaged too (reading its index throws).
    public var packNames: [String] {
        lock.lock(); defer { lock.unlock() }
        var s = Set(loose.map(\.name)).union(damagedIndexes)
        for p in midx?.packs ?? [] where FS.exists("\(packsDir)/\(p).idx") { s.insert(p) }
        return s.sorted()
    }

    func packFile(_ name: String) -> PackFile {
        lock.lock(); defer { lock.unlock() }
        if let p = packs[name] { return p }
        let p = PackFile(name: name, path: "\(packsDir)/\(name).pack")
        packs[name] = p
        return p
    }

    /// The index rows of one pack, read from its `.idx`.
    public func indexEntries(pack name: String, verify: Bool = false) throws -> [IndexEntry] {
        try PackIndex(path: "\(packsDir)/\(name).idx", name: name, verifyChecksum: verify).entries
    }

    /// Where `id` is stored, readable (objects this process is writing included).
    public func locate(_ id: ObjectID) -> ObjectLocation? { find(id, toRead: true) }

    /// Whether `id` is stored; unlike `locate`, never waits for this process's buffered writes.
    public func contains(_ id: ObjectID) -> Bool { find(id, toRead: false) != nil }

    private func find(_ id: ObjectID, toRead: Bool) -> ObjectLocation? {
        if let found = locateLoaded(id, toRead: toRead) { return found }
        lock.lock()
        let stale = FS.stat(packsDir)?.mtimeNs != scannedAt
        lock.unlock()
        guard stale, (try? reload()) != nil else { return nil }
        return locateLoaded(id, toRead: toRead)
    }

    private func locateLoaded(_ id: ObjectID, toRead: Bool) -> ObjectLocation? {
        lock.lock()
        let m = midx, l = loose
        lock.unlock()
        if let (e, name) = m?.find(id) { return ObjectLocation(pack: packFile(name), entry: e) }
        for idx in l.reversed() {
            if let e = idx.find(id) { return ObjectLocation(pack: packFile(idx.name), entry: e) }
        }
        guard let (loc, makeReadable) = pending.find(id) else { return nil }
        if toRead { makeReadable(loc) }
        return loc
    }

    /// A quick check that the record at `loc` can be read, short of re-reading its data: its pack is as
    /// long as its index says (not truncated) and its record header matches the index row. Nil when all is well.
    public func recordDamage(_ loc: ObjectLocation) -> CorruptObjectError? {
        if let e = packDamage(loc.pack.name, loc.entry.id) { return e }
        do {
            let header = try loc.pack.descriptor().pread(count: PackFormat.recordHeaderSize, offset: loc.entry.offset)
            _ = try header.withUnsafeBytes { try checkedPayload($0, loc.entry, pack: loc.pack.name) }
            return nil
        } catch {
            return error as? CorruptObjectError ?? CorruptObjectError(id: loc.entry.id, pack: loc.pack.name, reason: "\(error)")
        }
    }

    /// Whether a pack's file is missing or not as long as its index says (checked once per pack).
    public func packDamage(_ name: String, _ id: ObjectID) -> CorruptObjectError? {
        packIsWhole(name) ? nil : CorruptObjectError(id: id, pack: name, reason: Self.truncatedPack)
    }

    public static let truncatedPack = "the pack is not as long as its index says"

    private func packIsWhole(_ name: String) -> Bool {
        lock.lock()
        let known = packSizeOK[name]
        lock.unlock()
        if let known { return known }
        let ok = packMatchesIndex(name) ?? false
        lock.lock(); packSizeOK[name] = ok; lock.unlock()
        return ok
    }

    /// Whether the pack's file is as long as its index says; nil when the index cannot be read.
    private func packMatchesIndex(_ name: String) -> Bool? {
        guard let expected = (try? PackIndex(path: "\(packsDir)/\(name).idx", name: name))?.packSize else { return nil }
        return FS.stat("\(packsDir)/\(name).pack")?.size == expected
    }

    /// Packs whose index reads but whose file is missing or not as long as it says: damage found with
    /// a stat per pack, before anything relies on them (gc). A bad index says so itself when read.
    public func truncatedPacks() -> [String] {
        packNames.filter { packMatchesIndex($0) == false }
    }

    /// Decoded bytes of an object, checked against its id where the id is the hash of those bytes.
    public func read(_ id: ObjectID) throws -> (ObjectKind, [UInt8]) {
        guard let loc = locate(id) else { throw MissingObjectError(id: id) }
        return (loc.entry.kind, try read(loc))
    }

    public func read(_ loc: ObjectLocation) throws -> [UInt8] {
        let record = try loc.pack.readRecord(loc.entry)
        return try decode(record: record, entry: loc.entry, pack: loc.pack.name)
    }

    /// Calls `body` with the decoded, verified bytes of a self-verifying object. A raw record is handed
    /// over in place (no copy): most small files are stored raw.
    public func withVerifiedBytes<R>(_ loc: ObjectLocation, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let record = try loc.pack.readRecord(loc.entry)
        let e = loc.entry
        if e.codec == .raw && e.kind.isSelfVerifying {
            return try record.withUnsafeBytes { rec -> R in
                let payload = try checkedPayload(rec, e, pack: loc.pack.name)
                guard e.storedSize == e.rawSize else {
                    throw CorruptObjectError(id: e.id, pack: loc.pack.name, reason: "record header does not match the index")
                }
                guard ObjectID.hashing(payload) == e.id else {
                    throw CorruptObjectError(id: e.id, pack: loc.pack.name, reason: "hash mismatch")
                }
                return try body(payload)
            }
        }
        let bytes = try decode(record: record, entry: e, pack: loc.pack.name)
        return try bytes.withUnsafeBytes(body)
    }

    /// Checks a record against its index row, decodes it and verifies its hash.
    public func decode(record: [UInt8], entry: IndexEntry, pack: String) throws -> [UInt8] {
        let out = try decodeUnverified(record: record, entry: entry, pack: pack)
        if entry.kind.isSelfVerifying, ObjectID.hashing(out) != entry.id {
            throw CorruptObjectError(id: entry.id, pack: pack, reason: "hash mismatch")
        }
        if entry.kind.verification == .checkLine, !CheckLine.isIntact(out) {
            throw CorruptObjectError(id: entry.id, pack: pack, reason: "check line does not match")
        }
        return out
    }

    /// Checks records as `decode(record:)` does, without keeping what they decode to: `records[i]` is
    /// the record of `entries[i]`. Self-verifying objects are hashed in groups, 16 side by side where
    /// the CPU can (BatchHash): hashing is most of a fetch's CPU. Throws for a record that fails.
    public func verify(records: [UnsafeRawBufferPointer], entries: [IndexEntry], pack: String) throws {
        // Groups of at most 64 records whose decoded bytes fit 1 MiB (or one larger record): about 16
        // chunks of the average size, enough for the 16 lanes, and little memory per parallel
        // download (S3 runs 8).
        let groups = sizeLimitedGroups(count: records.count, maxItems: 64, maxBytes: 1 << 20) { Int64(entries[$0].rawSize) }
        try recordBuffers.with { scratch in
            for group in groups {
                let base = scratch.reserve(group.reduce(0) { $0 + entries[$1].rawSize })
                var hashed: [(piece: UnsafeRawBufferPointer, entry: IndexEntry)] = []
                var off = 0
                for i in group {
                    let e = entries[i]
                    let stored = try checkedPayload(records[i], e, pack: pack)
                    let out = UnsafeMutableRawBufferPointer(start: base + off, count: e.rawSize)
                    try decompress(stored, e, pack: pack, into: out)
                    off += e.rawSize
                    if e.kind.isSelfVerifying {
                        hashed.append((UnsafeRawBufferPointer(out), e))
                    } else if e.kind.verification == .checkLine, !CheckLine.isIntact(Array(UnsafeRawBufferPointer(out))) {
                        throw CorruptObjectError(id: e.id, pack: pack, reason: "check line does not match")
                    }
                }
                for (id, h) in zip(BatchHash.ids(hashed.map(\.piece)), hashed) where id != h.entry.id {
                    throw CorruptObjectError(id: h.entry.id, pack: pack, reason: "hash mismatch")
                }
            }
        }
    }

    /// Decodes a record without hashing it: callers that hash the whole file check it there.
    func decodeUnverified(record: [UInt8], entry: IndexEntry, pack: String) throws -> [UInt8] {
        try record.withUnsafeBytes { rec -> [UInt8] in
            let stored = try checkedPayload(rec, entry, pack: pack)
            return try [UInt8](unsafeUninitializedCapacity: entry.rawSize) { out, n in
                try decompress(stored, entry, pack: pack, into: UnsafeMutableRawBufferPointer(out))
                n = entry.rawSize
            }
        }
    }

    /// Decodes the object at `loc` into `dst` (exactly its raw size) without hashing it, reading the
    /// record through `scratch`: no allocation per chunk, which at checkout's rate cost page faults.
    public func decodeUnverified(_ loc: ObjectLocation, into dst: UnsafeMutableRawBufferPointer, scratch: ReadBuffer) throws {
        let entry = loc.entry
        guard dst.count == entry.rawSize else { throw CorruptObjectError(id: entry.id, pack: loc.pack.name, reason: "size does not match the manifest") }
        let rec = scratch.reserve(entry.recordSize)
        guard try loc.pack.read(into: rec, count: entry.recordSize, offset: entry.offset) == entry.recordSize else {
            throw CorruptObjectError(id: entry.id, pack: loc.pack.name, reason: "pack is truncated")
        }
        let stored = try checkedPayload(UnsafeRawBufferPointer(start: rec, count: entry.recordSize), entry, pack: loc.pack.name)
        try decompress(stored, entry, pack: loc.pack.name, into: dst)
    }

    private func decompress(_ stored: UnsafeRawBufferPointer, _ entry: IndexEntry, pack: String, into dst: UnsafeMutableRawBufferPointer) throws {
        do {
            try decompressors.with { try $0.decompress(entry.codec, stored, into: dst) }
        } catch {
            throw CorruptObjectError(id: entry.id, pack: pack, reason: "cannot be decompressed")
        }
    }

    /// The stored bytes of a record whose header matches its index row.
    private func checkedPayload(_ rec: UnsafeRawBufferPointer, _ entry: IndexEntry, pack: String) throws -> UnsafeRawBufferPointer {
        guard let h = PackFormat.parseRecordHeader(rec), h.id == entry.id, h.kind == entry.kind,
              h.storedSize == entry.storedSize, h.rawSize == entry.rawSize, h.codec == entry.codec else {
            throw CorruptObjectError(id: entry.id, pack: pack, reason: "record header does not match the index")
        }
        return UnsafeRawBufferPointer(rebasing: rec[PackFormat.recordHeaderSize...])
    }

    // MARK: Writing

    /// Starts a write session; objects become visible to other processes as its packs are sealed.
    public func writer() -> PackWriter { PackWriter(store: self) }

    /// A session's packs are sealed (or it was abandoned): they are read from `packs/` from now on.
    func sessionEnded(_ session: Int) {
        try? reload()
        pending.close(session)
        try? maintainMultiIndex()
    }

    /// Folds the per-pack indexes into the multi-pack index once there are more than `maxLoose` of them.
    public func maintainMultiIndex(maxLoose: Int = 16, force: Bool = false) throws {
        lock.lock()
        let looseCount = loose.count
        lock.unlock()
        guard force || looseCount > maxLoose else { return }
        let names = packNames.filter { FS.exists("\(packsDir)/\($0).pack") }
        try writeMultiIndex(packs: names)
    }

    /// Rewrites the multi-pack index to cover exactly `packs`.
    func writeMultiIndex(packs names: [String]) throws {
        var all: [(IndexEntry, UInt32)] = []
        for (i, n) in names.enumerated() {
            for e in try indexEntries(pack: n) { all.append((e, UInt32(i))) }
        }
        all.sort { $0.0.id < $1.0.id }
        // Keep one location per id.
        var dedup: [(IndexEntry, UInt32)] = []
        dedup.reserveCapacity(all.count)
        for x in all where dedup.last?.0.id != x.0.id { dedup.append(x) }
        try FS.writeAtomic(midxPath, MultiIndexFormat.encode(packs: names, entries: dedup))
        try reload()
    }

    /// Forgets open pack files that were removed: a pack adopted again under the same name (from a
    /// remote) must not be read through the old file's descriptor.
    func forgetPacks(_ names: Set<String>) {
        lock.lock(); for n in names { packs[n] = nil }; lock.unlock()
    }

    /// Removes the multi-pack index (gc rewrites it after repacking).
    func dropMultiIndex() throws {
        try FS.remove(midxPath)
        try reload()
    }
}

extension MLOpsError {
    /// A write to a cache that cannot be written (a read-only volume, another user's cache).
    public static func readOnlyCache(_ root: String, _ cause: SystemError) -> MLOpsError {
        MLOpsError("the cache \(root) is read-only (\(String(cString: strerror(cause.errno))))",
                   hint: "this command writes to it: make it writable, or run it as the cache's owner or in a clone with a cache of its own")
    }
}

public struct MissingObjectError: Error, CustomStringConvertible {
    public let id: ObjectID
    public init(id: ObjectID) { self.id = id }
    public var description: String {
        "object \(id.hex) is not in the cache; run `git mlops fetch` to get it from a remote"
    }
}
