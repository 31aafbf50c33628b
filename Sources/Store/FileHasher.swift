import Foundation
import MLOpsBasics
import ObjectStore

/// The id, size and mode of one file as stored (or as it would be stored).
public struct FileRecord: Equatable, Sendable {
    public var id: ObjectID
    public var size: Int64
    public var executable: Bool
    public init(id: ObjectID, size: Int64, executable: Bool) { self.id = id; self.size = size; self.executable = executable }
}

/// The ids of workspace files and directories as `add` would record them, without storing anything
/// (status, diff, checkout's plan, run inputs). The stat cache answers for unchanged files, and for a
/// directory whose files all kept their stat; what changed is read and hashed, small files several at
/// once (see `BatchHash`), on all cores. `Ingester` is the same walk and schedule, storing what it reads.
public class FileHasher: @unchecked Sendable {
    public let statCache: StatCache?
    /// Where a directory's listing must be for its id to be remembered (nil: never remembered).
    public let store: Store?
    let threads: Int
    let chunker = Chunker()
    let readBuffers = Pool { ReadBuffer() }
    public var progress: ProgressMeter?
    /// Workers for chunk batches and small files; started with the hasher, ended by `finish` or deinit.
    let work: WorkQueue
    /// What walks of the directories seen so far passed over: `(path, why)`, the path with the
    /// target's key prefix (or its path on disk).
    public internal(set) var skipped: [(path: String, why: String)] = []

    /// Files up to this size are read whole by one worker.
    static let smallFileLimit = 8 << 20
    static let batchSize = 4 << 20

    /// `store` is only asked whether a directory's listing is stored; nothing is written.
    /// `threads` defaults to the store's tuning (one per core without a store).
    public init(statCache: StatCache?, store: Store? = nil, threads: Int? = nil) {
        self.statCache = statCache
        self.store = store
        self.threads = max(1, threads ?? store?.tuning.threads ?? Tuning().threads)
        work = WorkQueue(workers: self.threads)
    }

    deinit { work.stop() }

    // MARK: What storing adds (overridden by `Ingester`)

    /// Whether an id the stat cache remembers may be used as is.
    func canReuse(_ id: ObjectID) -> Bool { true }

    /// A small file's bytes, whose id is known: nothing to keep when only hashing.
    func keepSmall(_ buf: UnsafeRawBufferPointer, id: ObjectID) throws {}

    /// A large file's id, streamed.
    func largeFileID(_ fd: FileDescriptor, size: Int64) throws -> ObjectID {
        var hasher = StreamHasher()
        let cap = 4 << 20
        let buf = UnsafeMutableRawPointer.allocate(byteCount: cap, alignment: 64)
        defer { buf.deallocate() }
        while true {
            let n = try fd.read(into: buf, count: cap)
            if n == 0 { break }
            hasher.update(UnsafeRawBufferPointer(start: buf, count: n))
            progress?.add(bytes: Int64(n))
        }
        return hasher.finalize()
    }

    /// A directory listing's id.
    func listingID(_ manifest: DirManifest) throws -> ObjectID { manifest.encode().id }

    /// Whether a directory's id may be remembered: only when its listing is stored, so that a
    /// remembered id can always be listed.
    func remembersDirectory(_ id: ObjectID) -> Bool { store?.contains(id) ?? false }

    // MARK: Files

    /// The record of one file. `key` is its path in the stat cache (nil: do not use the cache). `known`
    /// is a stat taken moments ago (a directory walk's), which saves one.
    public func file(at path: String, key: String?, known: FileStat? = nil) throws -> FileRecord {
        let st = try statOf(path, known)
        if let hit = cached(key, st) { return hit }
        if st.size <= Int64(FileHasher.smallFileLimit) { return try smallFiles([(path, key, st)])[0].get() }
        let fd = try FileDescriptor.open(path, O_RDONLY)
        defer { fd.close() }
        fd.adviseSequential()
        let id = try largeFileID(fd, size: st.size)
        try checkUnchanged(fd, st, path)
        return recorded(key, st, id)
    }

    /// Records of small files (up to `smallFileLimit` each): read together into one buffer, hashed
    /// together (several SHA-256 at once, see BatchHash), then kept one by one. One result per input.
    func smallFiles(_ inputs: [(path: String, key: String?, stat: FileStat?)]) -> [Swift.Result<FileRecord, Error>] {
        var results = [Swift.Result<FileRecord, Error>?](repeating: nil, count: inputs.count)
        readBuffers.with { buffer in
            // Read files until the next would overflow the buffer, then hash and keep those read.
            var group: [(index: Int, offset: Int, stat: FileStat)] = []
            var used = 0
            func flush() {
                let base = buffer.reserve(used)
                let pieces = group.map { UnsafeRawBufferPointer(start: base + $0.offset, count: Int($0.stat.size)) }
                let ids = BatchHash.ids(pieces)
                for (k, g) in group.enumerated() {
                    results[g.index] = Swift.Result {
                        progress?.add(bytes: Int64(pieces[k].count), items: 1)
                        try keepSmall(pieces[k], id: ids[k])
                        return recorded(inputs[g.index].key, g.stat, ids[k])
                    }
                }
                group = []; used = 0
            }
            for (i, input) in inputs.enumerated() {
                do {
                    let st = try statOf(input.path, input.stat)
                    if let hit = cached(input.key, st) { results[i] = .success(hit); continue }
                    let size = Int(st.size)
                    if used + size > FileHasher.smallFileLimit { flush() }
                    // Reserving keeps what is read so far: the buffer only grows before the first flush.
                    let p = buffer.reserve(used + size, keeping: used) + used
                    let fd = try FileDescriptor.open(input.path, O_RDONLY)
                    defer { fd.close() }
                    guard try fd.readFully(into: p, count: size) == size else { throw changedWhileReading(input.path) }
                    try checkUnchanged(fd, st, input.path)
                    group.append((i, used, st))
                    used += size
                } catch {
                    results[i] = .failure(error)
                }
            }
            flush()
        }
        return results.map { $0! }
    }

    private func statOf(_ path: String, _ known: FileStat?) throws -> FileStat {
        guard let st = known ?? FS.stat(path) else { throw SystemError("stat", path, errno: errno) }
        guard st.isRegular else { throw MLOpsError("\(path) is not a regular file", hint: "add regular files or directories only") }
        return st
    }

    /// The stat cache's id for an unchanged file, when it may be reused.
    private func cached(_ key: String?, _ st: FileStat) -> FileRecord? {
        guard let key, let id = statCache?.lookup(key, st), canReuse(id) else { return nil }
        progress?.add(bytes: st.size, items: 1)
        return FileRecord(id: id, size: st.size, executable: st.isExecutable)
    }

    private func checkUnchanged(_ fd: FileDescriptor, _ st: FileStat, _ path: String) throws {
        guard let after = fd.stat(), after.size == st.size, after.mtimeNs == st.mtimeNs else { throw changedWhileReading(path) }
    }

    private func recorded(_ key: String?, _ st: FileStat, _ id: ObjectID) -> FileRecord {
        if let key { statCache?.record(key, st, id) }
        return FileRecord(id: id, size: st.size, executable: st.isExecutable)
    }

    private func changedWhileReading(_ path: String) -> MLOpsError {
        MLOpsError("\(path) changed while it was being read", hint: "wait until whatever writes it is done, then run the command again")
    }

    // MARK: Directories

    /// A directory's id, size and file count. When the stat cache knows the directory and every file
    /// under it has the same stat as then, nothing is read or rebuilt: one walk answers.
    public func directoryID(at root: String, keyPrefix: String?) throws -> (id: ObjectID, files: Int, size: Int64) {
        if let keyPrefix, let cache = statCache {
            let walk = DirectoryFingerprint(try FileWalk.files(under: root, sorted: false))
            if let d = cache.lookupDirectory(keyPrefix, walk), canReuse(d.id) {
                progress?.add(bytes: walk.size, items: walk.files)
                return (d.id, d.files, d.size)
            }
        }
        let r = try directory(at: root, keyPrefix: keyPrefix)
        return (r.id, r.manifest.entries.count, r.manifest.totalSize)
    }

    /// The listing of a directory (with `Ingester`: its files, pieces and top object stored).
    /// `keyPrefix` is the directory's path in the stat cache.
    public func directory(at root: String, keyPrefix: String?) throws -> (id: ObjectID, manifest: DirManifest) {
        guard case .directory(let id, let manifest) = try records(of: [.directory(path: root, keyPrefix: keyPrefix)])[0] else {
            fatalError("a directory target yields a directory result")
        }
        return (id, manifest)
    }
}
