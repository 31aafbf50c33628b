import Foundation
import MLOpsBasics

/// The id, size and mode of one file as stored (or as it would be stored).
public struct FileRecord: Equatable, Sendable {
    public var id: ObjectID
    public var size: Int64
    public var executable: Bool
    public init(id: ObjectID, size: Int64, executable: Bool) { self.id = id; self.size = size; self.executable = executable }
}

/// Turns workspace files and directories into ids, and (unless `hashOnly`) into stored objects.
///
/// Work is spread over all cores: small files are processed whole, one per worker; a large file is read
/// and cut on the calling thread (which also computes its whole-file hash) while workers hash and
/// compress its chunks. Memory stays bounded by the number of batches in flight, whatever the file size.
public final class Ingester: @unchecked Sendable {
    public let store: Store
    public let statCache: StatCache?
    let writer: PackWriter?
    let threads: Int
    let chunker = Chunker()
    let compressors = Pool { Compressor() }
    let readBuffers = Pool { ReadBuffer() }
    public var progress: ProgressMeter?
    /// Workers for chunk batches and small files; started with the ingester, ended by `finish`.
    let work: WorkQueue

    /// Files up to this size are read whole by one worker.
    static let smallFileLimit = 8 << 20
    static let batchSize = 4 << 20

    /// `hashOnly` computes ids without writing anything (status, diff).
    public init(store: Store, statCache: StatCache?, hashOnly: Bool = false, threads: Int = defaultThreads) {
        self.store = store
        self.statCache = statCache
        self.writer = hashOnly ? nil : store.writer()
        self.threads = max(1, threads)
        work = WorkQueue(workers: self.threads)
    }

    deinit { work.stop() }

    public static var defaultThreads: Int {
        if let v = ProcessInfo.processInfo.environment["GIT_MLOPS_THREADS"], let n = Int(v), n > 0 { return n }
        return ProcessInfo.processInfo.activeProcessorCount
    }

    /// Makes everything written so far durable and visible. Call once, at the end.
    public func finish() throws {
        work.stop()
        try writer?.finish()
    }

    public func abandon() {
        work.stop()
        writer?.abandon()
    }

    public var bytesWritten: Int64 { writer?.bytesWritten ?? 0 }

    // MARK: Files

    /// The record of one file. `key` is its path in the stat cache (nil: do not use the cache). `known`
    /// is a stat taken moments ago (a directory walk's), which saves one.
    public func file(at path: String, key: String?, known: FileStat? = nil) throws -> FileRecord {
        let st = try statOf(path, known)
        if let hit = cached(key, st) { return hit }
        if st.size <= Int64(Ingester.smallFileLimit) { return try smallFiles([(path, key, st)])[0].get() }
        let fd = try FileDescriptor.open(path, O_RDONLY)
        defer { fd.close() }
        fd.adviseSequential()
        let id = try ingestLarge(fd, size: st.size)
        try checkUnchanged(fd, st, path)
        return recorded(key, st, id)
    }

    /// Records of small files (up to `smallFileLimit` each): read together into one buffer, hashed
    /// together (several SHA-256 at once, see BatchHash), then stored one by one. One result per input.
    func smallFiles(_ inputs: [(path: String, key: String?, stat: FileStat?)]) -> [Swift.Result<FileRecord, Error>] {
        var results = [Swift.Result<FileRecord, Error>?](repeating: nil, count: inputs.count)
        readBuffers.with { buffer in
            // Read files until the next would overflow the buffer, then hash and store those read.
            var group: [(index: Int, offset: Int, stat: FileStat)] = []
            var used = 0
            func flush() {
                let base = buffer.reserve(used)
                let pieces = group.map { UnsafeRawBufferPointer(start: base + $0.offset, count: Int($0.stat.size)) }
                let ids = BatchHash.ids(pieces)
                for (k, g) in group.enumerated() {
                    results[g.index] = Swift.Result {
                        try ingestSmall(pieces[k], id: ids[k])
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
                    if used + size > Ingester.smallFileLimit { flush() }
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

    /// The stat cache's id for an unchanged file, when the store has it (or only ids are wanted).
    private func cached(_ key: String?, _ st: FileStat) -> FileRecord? {
        guard let key, let id = statCache?.lookup(key, st), writer == nil || store.contains(id) else { return nil }
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

    /// Stores a buffer as one file whose id is known: a single chunk (its id is the file's id) or
    /// chunks and a manifest.
    func ingestSmall(_ buf: UnsafeRawBufferPointer, id fileID: ObjectID) throws {
        progress?.add(bytes: Int64(buf.count), items: 1)
        guard let writer, !store.contains(fileID) else { return }
        let cuts = chunker.split(buf)
        try compressors.with { c in
            if cuts.count <= 1 {
                try writer.put(id: fileID, kind: .chunk, raw: buf, compressor: c)
                return
            }
            let pieces = Chunker.pieces(of: buf.baseAddress!, cuts: cuts)
            let ids = BatchHash.ids(pieces)
            for (k, piece) in pieces.enumerated() { try writer.put(id: ids[k], kind: .chunk, raw: piece, compressor: c) }
            let chunks = zip(ids, cuts).map { FileManifest.Chunk(id: $0, size: $1) }
            try writer.put(id: fileID, kind: .fileManifest, bytes: FileManifest(size: Int64(buf.count), chunks: chunks).encode(), compressor: c)
        }
    }

    /// A large file, streamed: read and cut here, chunks hashed and compressed by workers.
    ///
    /// The file is read straight into batch buffers from a fixed pool, so memory is bounded by the pool
    /// whatever the file size; only the uncut tail of a batch (at most one max-size chunk) is copied on.
    func ingestLarge(_ fd: FileDescriptor, size: Int64) throws -> ObjectID {
        guard let writer else { return try hashStream(fd) }
        var hasher = StreamHasher()
        let results = ChunkResults()
        let group = DispatchGroup()
        let capacity = Ingester.batchSize + chunker.params.maxSize
        let pool = BufferPool(count: threads * 2 + 1, size: capacity)
        // Even when a read throws, no buffer is freed while a worker still uses it.
        defer { group.wait(); pool.free() }
        var nextIndex = 0

        func dispatch(_ batch: UnsafeMutableRawPointer, _ cuts: [Int], first: Int, count: Int) {
            let bytes = SendablePointer(batch)
            group.enter()
            let job = { [self] in
                defer { pool.give(bytes.pointer); group.leave() }
                if results.failed { return }
                do {
                    let pieces = Chunker.pieces(of: bytes.pointer, cuts: cuts)
                    let ids = BatchHash.ids(pieces)
                    try compressors.with { c in
                        for (k, piece) in pieces.enumerated() {
                            try writer.put(id: ids[k], kind: .chunk, raw: piece, compressor: c)
                            results.set(first + k, .init(id: ids[k], size: piece.count))
                        }
                    }
                    progress?.add(bytes: Int64(count))
                } catch {
                    results.fail(error)
                }
            }
            // On a worker (a small file that grew while queued), run inline: waiting for a worker could deadlock.
            if WorkQueue.onWorker { job() } else { work.submit(urgent: true, job) }
        }

        var batch = pool.take()
        var filled = 0, eof = false
        while !results.failed {
            while !eof && filled < capacity {
                let n = try fd.read(into: batch + filled, count: capacity - filled)
                if n == 0 { eof = true } else { filled += n }
            }
            // Until eof the buffer is full, so a cut is always found before `batchSize`.
            var cuts: [Int] = [], start = 0
            while start < filled && start < Ingester.batchSize,
                  let len = chunker.cut(UnsafeRawBufferPointer(start: batch + start, count: filled - start), atEnd: eof) {
                hasher.update(UnsafeRawBufferPointer(start: batch + start, count: len))
                cuts.append(len)
                start += len
            }
            let rest = filled - start
            let done = eof && rest == 0
            let next = done ? nil : pool.take()
            if let next, rest > 0 { next.copyMemory(from: batch + start, byteCount: rest) }
            if cuts.isEmpty {
                pool.give(batch)
            } else {
                dispatch(batch, cuts, first: nextIndex, count: start)
                nextIndex += cuts.count
            }
            guard let next else { break }
            batch = next
            filled = rest
        }
        group.wait()
        if let e = results.error { throw e }
        let fileID = hasher.finalize()
        let chunks = results.ordered(count: nextIndex)
        guard chunks.reduce(0, { $0 + Int64($1.size) }) == size else {
            throw MLOpsError("file size changed while it was being read", hint: "run the command again once the file is complete")
        }
        if chunks.count == 1 {
            // A one-chunk file is stored as that chunk; its id is already the file's id.
            return fileID
        }
        if !store.contains(fileID) {
            try compressors.with { c in
                try writer.put(id: fileID, kind: .fileManifest, bytes: FileManifest(size: size, chunks: chunks).encode(), compressor: c)
            }
        }
        return fileID
    }

    private func hashStream(_ fd: FileDescriptor) throws -> ObjectID {
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

    // MARK: Directories

    /// A file found under a tracked directory.
    public struct WalkEntry: Sendable {
        public var relPath: String
        public var absPath: String
        public var stat: FileStat
    }

    /// Every regular file under `root` (symlinks to files followed; `.git` and checkout temporaries
    /// skipped), sorted by path. Whatever else it passes over (symlinks to directories, FIFOs, devices,
    /// sockets, names that cannot be checked out) goes to `skipped`, with why.
    public static func walk(_ root: String, sorted: Bool = true, skipped: ((_ relPath: String, _ why: String) -> Void)? = nil) throws -> [WalkEntry] {
        var out: [WalkEntry] = []
        var stack: [String] = [""]
        while let rel = stack.popLast() {
            let dir = rel.isEmpty ? root : root + "/" + rel
            for e in try FS.listDirectory(dir) {
                if e.name == ".git" { continue }
                if e.name.hasPrefix(".") && e.name.hasSuffix(Materializer.tempSuffix) { continue }
                let r = rel.isEmpty ? e.name : rel + "/" + e.name
                if let why = RepoPath.nameProblem(e.name) {
                    skipped?(r, "a name that cannot be checked out: \(why)")
                    continue
                }
                let abs = root + "/" + r
                switch e.kind {
                case .directory: stack.append(r)
                case .file:
                    if let st = FS.lstat(abs) { out.append(WalkEntry(relPath: r, absPath: abs, stat: st)) }
                case .symlink:
                    if let st = FS.stat(abs), st.isRegular { out.append(WalkEntry(relPath: r, absPath: abs, stat: st)) }
                    else if let skipped { skipped(r, FS.stat(abs).map { "a symlink to \(kindName($0))" } ?? "a broken symlink") }
                case .other:
                    if let skipped { skipped(r, FS.lstat(abs).map(kindName) ?? "gone") }
                }
            }
        }
        if sorted { out.sort { pathLess($0.relPath, $1.relPath) } }
        return out
    }

    private static func kindName(_ st: FileStat) -> String {
        switch st.mode & UInt32(S_IFMT) {
        case UInt32(S_IFDIR): return "a directory"
        case UInt32(S_IFIFO): return "a FIFO"
        case UInt32(S_IFCHR), UInt32(S_IFBLK): return "a device"
        case UInt32(S_IFSOCK): return "a socket"
        case UInt32(S_IFREG): return "a regular file"
        default: return "not a regular file"
        }
    }

    /// What walks of the directories ingested so far passed over: `(path, why)`, the path with the
    /// target's key prefix (or its path on disk).
    public private(set) var skipped: [(path: String, why: String)] = []

    /// Order-independent fingerprint of the stat of every file of a walk (two 64-bit sums of mixed
    /// hashes), with the count, total size and newest mtime/ctime.
    static func fingerprint(_ files: [WalkEntry]) -> (fp: (UInt64, UInt64), size: Int64, newest: Int64) {
        var a: UInt64 = 0, b: UInt64 = 0, size: Int64 = 0, newest: Int64 = 0
        for f in files {
            var h1 = fnv1a(f.relPath), h2 = h1 ^ 0x9E3779B97F4A7C15
            for v in [UInt64(bitPattern: f.stat.size), UInt64(bitPattern: f.stat.mtimeNs), UInt64(bitPattern: f.stat.ctimeNs),
                      f.stat.inode, UInt64(f.stat.mode)] {
                h1 = mix(h1 ^ v)
                h2 = mix(h2 &+ v &* 0xBF58476D1CE4E5B9)
            }
            a = a &+ h1
            b ^= mix(h2)
            size += f.stat.size
            newest = max(newest, f.stat.mtimeNs, f.stat.ctimeNs)
        }
        return ((a, b), size, newest)
    }

    /// splitmix64's finalizer.
    @inline(__always) static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E3779B97F4A7C15
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }

    /// A directory's id, size and file count. When the stat cache knows the directory and every file
    /// under it has the same stat as then, nothing is read or rebuilt: one walk answers.
    public func directoryID(at root: String, keyPrefix: String?) throws -> (id: ObjectID, files: Int, size: Int64) {
        if let keyPrefix, let cache = statCache {
            let files = try Ingester.walk(root, sorted: false)
            let (fp, size, _) = Ingester.fingerprint(files)
            if let d = cache.lookupDirectory(keyPrefix, fingerprint: fp, files: files.count, size: size), writer == nil || store.contains(d.id) {
                progress?.add(bytes: size, items: files.count)
                return (d.id, d.files, d.size)
            }
        }
        let r = try directory(at: root, keyPrefix: keyPrefix)
        return (r.id, r.manifest.entries.count, r.manifest.totalSize)
    }

    /// A file or directory to ingest, with its key in the stat cache (nil: do not use the cache).
    public enum Target: Sendable {
        case file(path: String, key: String?)
        case directory(path: String, keyPrefix: String?)
    }

    public enum Result: Sendable {
        case file(FileRecord)
        case directory(id: ObjectID, manifest: DirManifest)
    }

    /// Ingests several targets as one job: every file of every target is scheduled together, large files
    /// one after another on a reading thread (their chunks go to the workers first), small files on the
    /// workers meanwhile, so both cores stay busy from the first file to the last. Directories are walked
    /// on the workers while this thread starts on the files named directly.
    public func ingest(_ targets: [Target]) throws -> [Result] {
        struct Walk { var files: [WalkEntry]; var fp: (UInt64, UInt64); var size: Int64; var newest: Int64; var skipped: [(String, String)] }
        let walks: [Pending<Walk>?] = targets.map { t in
            guard case .directory(let root, let prefix) = t else { return nil }
            return Pending(on: work) {
                var skipped: [(String, String)] = []
                let files = try Ingester.walk(root) { skipped.append(((prefix ?? root) + "/" + $0, $1)) }
                let (fp, size, newest) = Ingester.fingerprint(files)
                return Walk(files: files, fp: fp, size: size, newest: newest, skipped: skipped)
            }
        }
        let jobs = FileJobs(self)
        defer { jobs.settle() }  // whatever is thrown, no job outlives this call
        // Per target: where its records start.
        var starts = [Int](repeating: 0, count: targets.count)
        for (n, t) in targets.enumerated() {
            guard case .file(let path, let key) = t else { continue }
            guard let st = FS.stat(path) else { throw SystemError("stat", path, errno: errno) }
            starts[n] = jobs.add([(path, key, st)])
        }
        try jobs.runLarge()
        var walked: [Walk?] = []
        for (n, t) in targets.enumerated() {
            guard case .directory(_, let prefix) = t, let w = try walks[n]?.wait() else { walked.append(nil); continue }
            walked.append(w)
            skipped += w.skipped.map { (path: $0.0, why: $0.1) }
            starts[n] = jobs.add(w.files.map { f in (f.absPath, prefix.map { $0 + "/" + f.relPath }, f.stat) })
        }
        try jobs.runLarge()
        let records = try jobs.wait()
        var out: [Result] = []
        for (n, t) in targets.enumerated() {
            switch t {
            case .file:
                out.append(.file(records[starts[n]]))
            case .directory(_, let prefix):
                let w = walked[n]!
                let entries = w.files.enumerated().map { k, f in
                    let r = records[starts[n] + k]
                    return DirEntry(path: f.relPath, id: r.id, size: r.size, executable: r.executable)
                }
                let manifest = DirManifest(sortedEntries: entries)
                let id = try storeManifest(manifest)
                // Remember the directory only when its manifest is stored, so a cached id can always be
                // listed. Every file was read with the stat the walk saw (checked after each read), so the
                // walk's fingerprint describes exactly what the manifest holds.
                if let prefix, let cache = statCache, writer != nil || store.contains(id) {
                    cache.recordDirectory(prefix, .init(fingerprint: w.fp, files: w.files.count, size: w.size, newest: w.newest, id: id))
                }
                out.append(.directory(id: id, manifest: manifest))
            }
        }
        return out
    }

    /// Records of files being ingested, in the order added: small ones go to the workers at once, large
    /// ones wait for `runLarge` on the calling thread (one at a time, each spread over the workers).
    final class FileJobs: @unchecked Sendable {
        typealias Input = (path: String, key: String?, stat: FileStat?)
        private unowned let ingester: Ingester
        private var inputs: [Input] = []
        private var records: [FileRecord?] = []
        private var large: [Int] = []
        private let errors = ChunkResults()
        private let lock = NSLock()
        private let group = DispatchGroup()
        /// Small files go to the workers in slices, so a thousand tiny files are one job, not a thousand.
        static let slice = 16

        init(_ ingester: Ingester) { self.ingester = ingester }

        /// Schedules `files` and returns the index of the first one's record.
        func add(_ files: [Input]) -> Int {
            let first = inputs.count
            inputs += files
            records += [FileRecord?](repeating: nil, count: files.count)
            var small: [Int] = []
            for i in first..<inputs.count {
                if (inputs[i].stat?.size ?? 0) > Int64(Ingester.smallFileLimit) { large.append(i) } else { small.append(i) }
            }
            let items = small.map { ($0, inputs[$0]) }
            for start in stride(from: 0, to: items.count, by: FileJobs.slice) {
                let part = items[start..<min(start + FileJobs.slice, items.count)]
                group.enter()
                ingester.work.submit { [self] in
                    defer { group.leave() }
                    guard !errors.failed else { return }
                    let done = ingester.smallFiles(part.map(\.1))
                    lock.lock()
                    for ((i, _), r) in zip(part, done) {
                        switch r {
                        case .success(let record): records[i] = record
                        case .failure(let e): errors.fail(e)
                        }
                    }
                    lock.unlock()
                }
            }
            return first
        }

        private func ingest(_ i: Int, _ input: Input) {
            guard !errors.failed else { return }
            do {
                let r = try ingester.file(at: input.path, key: input.key, known: input.stat)
                lock.lock(); records[i] = r; lock.unlock()
            } catch { errors.fail(error) }
        }

        /// Ingests the large files added so far, here.
        func runLarge() throws {
            let todo = large
            large = []
            for i in todo { ingest(i, inputs[i]) }
            if let e = errors.error { throw e }
        }

        /// Waits for the queued jobs; after an error they return at once.
        func settle() { group.wait() }

        func wait() throws -> [FileRecord] {
            if !WorkQueue.onWorker { ingester.work.help() }
            group.wait()
            if let e = errors.error { throw e }
            return records.map { $0! }
        }
    }

    /// The manifest of a directory; stores its files, pieces and top object unless hashing only.
    /// `keyPrefix` is the directory's path in the stat cache.
    public func directory(at root: String, keyPrefix: String?) throws -> (id: ObjectID, manifest: DirManifest) {
        guard case .directory(let id, let manifest) = try ingest([.directory(path: root, keyPrefix: keyPrefix)])[0] else {
            fatalError("a directory target yields a directory result")
        }
        return (id, manifest)
    }

    /// Writes a directory manifest's pieces and top object (unless hashing only) and returns its id.
    @discardableResult
    public func storeManifest(_ manifest: DirManifest) throws -> ObjectID {
        let enc = manifest.encode()
        if let writer, !store.contains(enc.id) {
            try compressors.with { c in
                for p in enc.pieces { try writer.put(id: p.id, kind: .dirPiece, bytes: p.bytes, compressor: c) }
                try writer.put(id: enc.id, kind: .dirManifest, bytes: enc.top, compressor: c)
            }
        }
        return enc.id
    }
}

/// A buffer handed from the reading thread to one worker, which alone uses it until it gives it back.
struct SendablePointer: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer
    init(_ p: UnsafeMutableRawPointer) { pointer = p }
}

/// A value computed on a worker, for whoever waits for it. Started on a worker itself, it runs inline
/// (waiting for another worker from there could deadlock).
final class Pending<T>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var result: Swift.Result<T, Error>?

    init(on work: WorkQueue, _ body: @escaping () throws -> T) {
        if WorkQueue.onWorker {
            result = Swift.Result(catching: body)
            done.signal()
        } else {
            work.submit { [self] in result = Swift.Result(catching: body); done.signal() }
        }
    }

    func wait() throws -> T {
        done.wait()
        done.signal()
        return try result!.get()
    }
}

/// A worker's buffer for whole small files.
final class ReadBuffer {
    private var buffer = GrowableBuffer()
    /// At least `n` bytes; the first `keeping` bytes survive a move.
    func reserve(_ n: Int, keeping: Int = 0) -> UnsafeMutableRawPointer { buffer.reserve(max(n, 1), keeping: keeping) }
    deinit { buffer.free() }
}

/// A fixed set of equal buffers: `take` waits until one is free.
final class BufferPool: @unchecked Sendable {
    private var free_: [UnsafeMutableRawPointer]
    private var all: [UnsafeMutableRawPointer]
    private let lock = NSLock()
    private let available: DispatchSemaphore

    init(count: Int, size: Int) {
        all = (0..<count).map { _ in UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64) }
        free_ = all
        available = DispatchSemaphore(value: count)
    }

    func take() -> UnsafeMutableRawPointer {
        available.wait()
        lock.lock(); defer { lock.unlock() }
        return free_.removeLast()
    }

    func give(_ p: UnsafeMutableRawPointer) {
        lock.lock(); free_.append(p); lock.unlock()
        available.signal()
    }

    /// Releases the memory; every buffer must have been given back.
    func free() { for p in all { p.deallocate() } }
}

/// Results of chunk jobs by index, and the first error any job hit.
final class ChunkResults: @unchecked Sendable {
    private let lock = NSLock()
    private var chunks: [Int: FileManifest.Chunk] = [:]
    private(set) var error: Error?
    private var _failed = false

    var failed: Bool { lock.lock(); defer { lock.unlock() }; return _failed }

    func set(_ i: Int, _ c: FileManifest.Chunk) { lock.lock(); chunks[i] = c; lock.unlock() }

    func fail(_ e: Error) {
        lock.lock()
        if error == nil { error = e }
        _failed = true
        lock.unlock()
    }

    func ordered(count: Int) -> [FileManifest.Chunk] { (0..<count).map { chunks[$0]! } }
}

public final class AtomicCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    public init() {}
    /// Returns the value before incrementing.
    public func increment() -> Int { lock.lock(); defer { lock.unlock() }; value += 1; return value - 1 }
}
