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
    public var progress: ProgressMeter?
    /// Workers for chunk batches and small files; started with the ingester, ended by `finish`.
    let work: WorkQueue

    /// Files up to this size are read whole by one worker.
    static let smallFileLimit = 8 << 20
    static let readBufferSize = 16 << 20
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

    /// The record of one file. `key` is its path in the stat cache (nil: do not use the cache).
    public func file(at path: String, key: String?) throws -> FileRecord {
        guard let st = FS.stat(path) else { throw SystemError("stat", path, errno: errno) }
        guard st.isRegular else { throw MLOpsError("\(path) is not a regular file", hint: "add regular files or directories only") }
        if let key, let id = statCache?.lookup(key, st), writer == nil || store.contains(id) {
            progress?.add(bytes: st.size, items: 1)
            return FileRecord(id: id, size: st.size, executable: st.isExecutable)
        }
        let fd = try FileDescriptor.open(path, O_RDONLY)
        defer { fd.close() }
        let id: ObjectID
        if st.size <= Int64(Ingester.smallFileLimit) {
            var bytes = [UInt8](repeating: 0, count: Int(st.size))
            let n = try bytes.withUnsafeMutableBytes { try fd.readFully(into: $0.baseAddress!, count: $0.count) }
            guard n == bytes.count else { throw changedWhileReading(path) }
            id = try bytes.withUnsafeBytes { try ingestSmall($0) }
        } else {
            fd.adviseSequential()
            id = try ingestLarge(fd, size: st.size)
        }
        guard let after = fd.stat(), after.size == st.size, after.mtimeNs == st.mtimeNs else { throw changedWhileReading(path) }
        if let key { statCache?.record(key, st, id) }
        return FileRecord(id: id, size: st.size, executable: st.isExecutable)
    }

    private func changedWhileReading(_ path: String) -> MLOpsError {
        MLOpsError("\(path) changed while it was being read", hint: "wait until whatever writes it is done, then run the command again")
    }

    /// Stores a buffer as one file: a single chunk (its id is the file's id) or chunks and a manifest.
    func ingestSmall(_ buf: UnsafeRawBufferPointer) throws -> ObjectID {
        let fileID = ObjectID.hashing(buf)
        progress?.add(bytes: Int64(buf.count), items: 1)
        guard let writer, !store.contains(fileID) else { return fileID }
        let cuts = chunker.split(buf)
        try compressors.with { c in
            if cuts.count <= 1 {
                try writer.put(id: fileID, kind: .chunk, raw: buf, compressor: c)
                return
            }
            var chunks: [FileManifest.Chunk] = []
            var off = 0
            for len in cuts {
                let piece = UnsafeRawBufferPointer(rebasing: buf[off..<(off + len)])
                let cid = ObjectID.hashing(piece)
                try writer.put(id: cid, kind: .chunk, raw: piece, compressor: c)
                chunks.append(.init(id: cid, size: len))
                off += len
            }
            try writer.put(id: fileID, kind: .fileManifest, bytes: FileManifest(size: Int64(buf.count), chunks: chunks).encode(), compressor: c)
        }
        return fileID
    }

    /// A large file, streamed: read and cut here, chunks hashed and compressed by workers.
    func ingestLarge(_ fd: FileDescriptor, size: Int64) throws -> ObjectID {
        guard let writer else { return try hashStream(fd) }
        var hasher = StreamHasher()
        let results = ChunkResults()
        let group = DispatchGroup()
        let capacity = Ingester.readBufferSize + chunker.params.maxSize
        let buf = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 64)
        defer { buf.deallocate() }
        var filled = 0, eof = false
        // Batches are raw buffers from a fixed pool: a job gives its buffer back when done, so memory is
        // bounded by the pool (and never fragmented across allocator arenas), whatever the file size.
        let pool = BufferPool(count: threads * 2 + 1, size: Ingester.batchSize + chunker.params.maxSize)
        defer { pool.free() }
        var batch = pool.take()
        var batchFill = 0
        var batchCuts: [Int] = [], batchFirst = 0, nextIndex = 0

        func dispatchBatch() {
            guard !batchCuts.isEmpty else { return }
            let bytes = SendablePointer(batch), count = batchFill, cuts = batchCuts, first = batchFirst
            batchFill = 0; batchCuts = []; batchFirst = nextIndex
            group.enter()
            let job = { [self] in
                defer { pool.give(bytes.pointer); group.leave() }
                if results.failed { return }
                do {
                    try compressors.with { c in
                        var off = 0
                        for (k, len) in cuts.enumerated() {
                            let piece = UnsafeRawBufferPointer(start: bytes.pointer + off, count: len)
                            let cid = ObjectID.hashing(piece)
                            try writer.put(id: cid, kind: .chunk, raw: piece, compressor: c)
                            results.set(first + k, .init(id: cid, size: len))
                            off += len
                        }
                    }
                    progress?.add(bytes: Int64(count))
                } catch {
                    results.fail(error)
                }
            }
            // On a worker (a small file that grew while queued), run inline: waiting for a worker could deadlock.
            if WorkQueue.onWorker { job() } else { work.submit(urgent: true, job) }
            batch = pool.take()
        }

        while !eof || filled > 0 {
            if !eof && filled < capacity {
                let n = try fd.read(into: buf + filled, count: capacity - filled)
                if n == 0 { eof = true } else { filled += n; if filled < capacity { continue } }
            }
            var start = 0
            while start < filled {
                let rest = UnsafeRawBufferPointer(start: buf + start, count: filled - start)
                guard let len = chunker.cut(rest, atEnd: eof) else { break }
                let piece = UnsafeRawBufferPointer(start: buf + start, count: len)
                hasher.update(piece)
                (batch + batchFill).copyMemory(from: piece.baseAddress!, byteCount: len)
                batchFill += len
                batchCuts.append(len)
                nextIndex += 1
                start += len
                if batchFill >= Ingester.batchSize { dispatchBatch() }
                if results.failed { break }
            }
            if start > 0 {
                (buf).copyMemory(from: buf + start, byteCount: filled - start)
                filled -= start
            }
            if results.failed { break }
        }
        dispatchBatch()
        group.wait()
        pool.give(batch)
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
    /// skipped), sorted by path.
    public static func walk(_ root: String, sorted: Bool = true) throws -> [WalkEntry] {
        var out: [WalkEntry] = []
        var stack: [String] = [""]
        while let rel = stack.popLast() {
            let dir = rel.isEmpty ? root : root + "/" + rel
            for e in try FS.listDirectory(dir) {
                if e.name == ".git" { continue }
                if e.name.hasPrefix(".") && e.name.hasSuffix(Materializer.tempSuffix) { continue }
                let r = rel.isEmpty ? e.name : rel + "/" + e.name
                let abs = root + "/" + r
                switch e.kind {
                case .directory: stack.append(r)
                case .file:
                    if let st = FS.lstat(abs) { out.append(WalkEntry(relPath: r, absPath: abs, stat: st)) }
                case .symlink:
                    if let st = FS.stat(abs), st.isRegular { out.append(WalkEntry(relPath: r, absPath: abs, stat: st)) }
                case .other: continue
                }
            }
        }
        if sorted { out.sort { pathLess($0.relPath, $1.relPath) } }
        return out
    }

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
    /// workers meanwhile, so both cores stay busy from the first file to the last.
    public func ingest(_ targets: [Target]) throws -> [Result] {
        struct Input { var path: String; var key: String?; var size: Int64 }
        struct Walk { var files: [WalkEntry]; var fp: (UInt64, UInt64); var size: Int64; var newest: Int64 }
        var inputs: [Input] = []
        // Per target: where its files start in `inputs`, and the walk of a directory.
        var starts: [Int] = []
        var walks: [Walk?] = []
        for t in targets {
            starts.append(inputs.count)
            switch t {
            case .file(let path, let key):
                guard let st = FS.stat(path) else { throw SystemError("stat", path, errno: errno) }
                walks.append(nil)
                inputs.append(Input(path: path, key: key, size: st.size))
            case .directory(let root, let prefix):
                let files = try Ingester.walk(root)
                let (fp, size, newest) = Ingester.fingerprint(files)
                walks.append(Walk(files: files, fp: fp, size: size, newest: newest))
                for f in files { inputs.append(Input(path: f.absPath, key: prefix.map { $0 + "/" + f.relPath }, size: f.stat.size)) }
            }
        }
        let records = try files(inputs.map { ($0.path, $0.key, $0.size) })
        var out: [Result] = []
        for (n, t) in targets.enumerated() {
            switch t {
            case .file:
                out.append(.file(records[starts[n]]))
            case .directory(let root, let prefix):
                let w = walks[n]!
                let entries = w.files.enumerated().map { k, f in
                    let r = records[starts[n] + k]
                    return DirEntry(path: f.relPath, id: r.id, size: r.size, executable: r.executable)
                }
                let manifest = DirManifest(sortedEntries: entries)
                let id = try storeManifest(manifest)
                // Remember the directory only when its manifest is stored, so a cached id can always be listed.
                if let prefix, let cache = statCache, writer != nil || store.contains(id) {
                    let after = Ingester.fingerprint(try Ingester.walk(root, sorted: false))
                    if after.fp == w.fp && after.size == w.size {
                        cache.recordDirectory(prefix, .init(fingerprint: w.fp, files: w.files.count, size: w.size, newest: w.newest, id: id))
                    }
                }
                out.append(.directory(id: id, manifest: manifest))
            }
        }
        return out
    }

    /// Records of many files, in order: large ones on a reading thread, small ones on the workers.
    func files(_ inputs: [(path: String, key: String?, size: Int64)]) throws -> [FileRecord] {
        final class Results: @unchecked Sendable {
            var records: [FileRecord?]
            init(_ n: Int) { records = [FileRecord?](repeating: nil, count: n) }
        }
        let results = Results(inputs.count)
        let errors = ChunkResults()
        let lock = NSLock()
        let group = DispatchGroup()
        let large = inputs.indices.filter { inputs[$0].size > Int64(Ingester.smallFileLimit) }
        let small = inputs.indices.filter { inputs[$0].size <= Int64(Ingester.smallFileLimit) }
        let ingest = { [self] (i: Int) in
            guard !errors.failed else { return }
            do {
                let r = try file(at: inputs[i].path, key: inputs[i].key)
                lock.lock(); results.records[i] = r; lock.unlock()
            } catch { errors.fail(error) }
        }
        // Small files in slices, so a thousand tiny files are one job, not a thousand.
        let slice = 16
        for start in stride(from: 0, to: small.count, by: slice) {
            let part = small[start..<min(start + slice, small.count)]
            group.enter()
            work.submit {
                defer { group.leave() }
                part.forEach(ingest)
            }
        }
        large.forEach(ingest)
        group.wait()
        if let e = errors.error { throw e }
        return results.records.map { $0! }
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
