import Foundation
import MLOpsBasics
#if canImport(Glibc)
import Glibc
#endif

/// Writes stored files back to disk. Every file is written to a temporary name, checked against its id
/// (the SHA-256 of the whole file), and only then renamed into place: data that fails its hash is
/// never written where the user would see it.
public final class Materializer: @unchecked Sendable {
    public let store: Store
    let threads: Int
    public var progress: ProgressMeter?
    /// fsync each file before the rename. Off by default, like git: the cache holds a durable copy.
    public var durable = false

    public init(store: Store, threads: Int = Ingester.defaultThreads) {
        self.store = store
        self.threads = max(1, threads)
    }

    /// A file to write.
    public struct Job: Sendable {
        public var id: ObjectID
        public var size: Int64
        public var executable: Bool
        public var dest: String
        /// Write straight to `dest`: it is inside a staging directory that is renamed into place whole.
        public var direct: Bool
        public init(id: ObjectID, size: Int64, executable: Bool, dest: String, direct: Bool = false) {
            self.id = id; self.size = size; self.executable = executable; self.dest = dest; self.direct = direct
        }
    }

    /// Writes all jobs: large files on up to one thread per core, largest first (each spreads its chunks
    /// over the cores; the whole-file hash is the one sequential step, and two large files hash side by
    /// side instead of one after the other), small files meanwhile on the others. Returns the stat of
    /// each written file, by destination.
    public func write(_ jobs: [Job]) throws -> [String: FileStat] {
        final class Results: @unchecked Sendable { var stats: [String: FileStat] = [:] }
        let out = Results()
        let lock = NSLock()
        let errors = ChunkResults()
        let large = jobs.filter { $0.size > Int64(Ingester.smallFileLimit) }.sorted { $0.size > $1.size }
        let small = jobs.filter { $0.size <= Int64(Ingester.smallFileLimit) }
        let writeOne = { [self] (j: Job) in
            do {
                let st = try write(j)
                lock.lock(); out.stats[j.dest] = st; lock.unlock()
            } catch { errors.fail(error) }
        }
        let largeDone = DispatchGroup()
        let nextLarge = AtomicCounter()
        for _ in 0..<min(threads, large.count) {
            largeDone.enter()
            Thread {
                while !errors.failed {
                    let k = nextLarge.increment()
                    guard k < large.count else { break }
                    writeOne(large[k])
                }
                largeDone.leave()
            }.start()
        }
        let next = AtomicCounter()
        DispatchQueue.concurrentPerform(iterations: min(threads * 2, max(1, small.count))) { _ in
            while !errors.failed {
                let k = next.increment()
                guard k < small.count else { return }
                writeOne(small[k])
            }
        }
        largeDone.wait()
        if let e = errors.error { throw e }
        return out.stats
    }

    /// Writes one file and returns its stat after the rename.
    public func write(_ job: Job) throws -> FileStat {
        if job.direct {
            let fd = try FileDescriptor.open(job.dest, O_WRONLY | O_CREAT | O_TRUNC, mode: job.executable ? 0o777 : 0o666)
            defer { fd.close() }
            try stream(job.id, size: job.size, to: fd)
            if durable { try fd.sync() }
            guard let st = fd.stat() else { throw SystemError("fstat", job.dest, errno: errno) }
            return st
        }
        let tmp = Materializer.tempPath(for: job.dest)
        let fd = try FileDescriptor.open(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode: job.executable ? 0o777 : 0o666)
        do {
            try stream(job.id, size: job.size, to: fd)
            if durable { try fd.sync() }
            fd.close()
            try FS.rename(tmp, job.dest)
        } catch {
            fd.close()
            try? FS.remove(tmp)
            throw error
        }
        guard let st = FS.lstat(job.dest) else { throw SystemError("stat", job.dest, errno: errno) }
        return st
    }

    /// The temporary name a file is written under before its rename: `.NAME.mlops-tmp` beside it.
    /// Same directory, so the rename is cheap and atomic (a rename across directories takes the file
    /// system's global rename lock); a fixed name, so a checkout run again after a crash reuses it.
    /// Walks skip such names, and `git mlops init` lists them in `.git/info/exclude`.
    public static func tempPath(for dest: String) -> String {
        let dir = dirname(dest)
        return (dir.isEmpty ? "" : dir + "/") + "." + basename(dest) + tempSuffix
    }

    public static let tempSuffix = ".mlops-tmp"

    /// Streams the bytes of file `id` into `fd` and checks the whole-file hash.
    public func stream(_ id: ObjectID, size: Int64, to fd: FileDescriptor) throws {
        guard let loc = store.locate(id) else { throw MissingObjectError(id: id) }
        switch loc.entry.kind {
        case .chunk:
            // One-chunk file: decoding checks the chunk's hash, which is the file's id.
            try store.withVerifiedBytes(loc) { bytes in
                guard bytes.count == size else { throw CorruptObjectError(id: id, pack: loc.pack.name, reason: "size \(bytes.count), expected \(size)") }
                try fd.write(bytes)
            }
            progress?.add(bytes: size, items: 1)
        case .fileManifest:
            let manifest = try FileManifest.decode(try store.read(loc), id: id)
            guard manifest.size == size else { throw CorruptObjectError(id: id, pack: loc.pack.name, reason: "manifest size \(manifest.size), expected \(size)") }
            try streamChunks(manifest, fileID: id, to: fd)
        default:
            throw MLOpsError("object \(id.hex) is a \(loc.entry.kind), not a file", hint: "the pointer is wrong; run `git mlops fsck`")
        }
    }

    /// Workers decode batches of chunks into one buffer each and write it at its offset (one write per
    /// batch: fewer syscalls, and workers do not queue on the file's lock chunk by chunk) while this
    /// thread hashes the batches in order: the whole-file hash, the one sequential step, is all it does.
    /// Batch buffers are reused, so memory is bounded by the window whatever the file size.
    private func streamChunks(_ manifest: FileManifest, fileID: ObjectID, to fd: FileDescriptor) throws {
        let batch = 32
        var hasher = StreamHasher()
        let chunks = manifest.chunks
        var at: Int64 = 0
        let offsets: [Int64] = chunks.map { c in defer { at += Int64(c.size) }; return at }
        let batches = stride(from: 0, to: chunks.count, by: batch).map { $0..<min($0 + batch, chunks.count) }
        let store = self.store
        final class Slot: @unchecked Sendable {
            let buffer: ReadBuffer
            var count = 0
            var error: Error?
            let done = DispatchSemaphore(value: 0)
            init(_ buffer: ReadBuffer) { self.buffer = buffer }
        }
        let window = max(2, threads) + 1
        var spare = (0..<window).map { _ in ReadBuffer() }
        func start(_ r: Range<Int>) -> Slot {
            let slot = Slot(spare.removeLast())
            DispatchQueue.global(qos: .userInitiated).async {
                do {
                    let total = r.reduce(0) { $0 + chunks[$1].size }
                    let base = slot.buffer.reserve(total)
                    try store.recordBuffers.with { scratch in
                        var off = 0
                        for i in r {
                            let c = chunks[i]
                            guard let loc = store.locate(c.id) else { throw MissingObjectError(id: c.id) }
                            try store.decodeUnverified(loc, into: UnsafeMutableRawBufferPointer(start: base + off, count: c.size), scratch: scratch)
                            off += c.size
                        }
                    }
                    try fd.pwrite(UnsafeRawBufferPointer(start: base, count: total), offset: offsets[r.lowerBound])
                    slot.count = total
                } catch { slot.error = error }
                slot.done.signal()
            }
            return slot
        }
        var ahead: [Slot] = []
        var nextBatch = 0
        while nextBatch < batches.count && ahead.count < window { ahead.append(start(batches[nextBatch])); nextBatch += 1 }
        var written: Int64 = 0
        while !ahead.isEmpty {
            let slot = ahead.removeFirst()
            slot.done.wait()
            if let e = slot.error {
                for s in ahead { s.done.wait() }
                throw e
            }
            let bytes = UnsafeRawBufferPointer(start: slot.buffer.reserve(slot.count), count: slot.count)
            hasher.update(bytes)
            written += Int64(slot.count)
            progress?.add(bytes: Int64(slot.count))
            spare.append(slot.buffer)
            if nextBatch < batches.count { ahead.append(start(batches[nextBatch])); nextBatch += 1 }
        }
        if hasher.finalize() != fileID || written != manifest.size {
            throw findBadChunk(manifest, fileID: fileID)
        }
    }

    /// After a whole-file mismatch, names the chunk that fails its own hash.
    private func findBadChunk(_ manifest: FileManifest, fileID: ObjectID) -> Error {
        for c in manifest.chunks {
            guard let loc = store.locate(c.id) else { return MissingObjectError(id: c.id) }
            do { _ = try store.read(loc) } catch { return error }
        }
        return CorruptObjectError(id: fileID, pack: "-", reason: "file manifest lists the wrong chunks")
    }
}
