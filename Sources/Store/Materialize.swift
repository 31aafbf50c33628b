import Foundation
import MLOpsBasics
import ObjectStore
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

    public init(store: Store, threads: Int? = nil) {
        self.store = store
        self.threads = max(1, threads ?? store.tuning.threads)
    }

    /// A file to write: a name in a directory of a `WorkTree` (opened, and made when missing, on the
    /// writing thread).
    public struct Job: Sendable {
        public var id: ObjectID
        public var size: Int64
        public var executable: Bool
        public var tree: WorkTree
        /// The directory in `tree` (its root when nil) and the file's name there.
        public var directory: RepoPath?
        public var name: String
        /// Write straight to `name`, which must not exist: it is inside a staging directory that is
        /// renamed into place whole.
        public var direct: Bool
        /// What named this file (a pointer, a directory listing), for errors that blame it.
        public var origin: String?

        public init(id: ObjectID, size: Int64, executable: Bool, tree: WorkTree, directory: RepoPath?, name: String,
                    direct: Bool = false, origin: String? = nil) {
            self.id = id; self.size = size; self.executable = executable
            self.tree = tree; self.directory = directory; self.name = name; self.direct = direct; self.origin = origin
        }

        /// A file at an absolute path whose directory the caller trusts (scratch space, tests).
        public init(id: ObjectID, size: Int64, executable: Bool, dest: String) {
            self.init(id: id, size: size, executable: executable, tree: WorkTree(path: dirname(dest)), directory: nil, name: basename(dest))
        }

        public var dest: String { (directory.map { tree.display($0) } ?? tree.path) + "/" + name }
    }

    /// Writes all jobs: large files on up to one thread per core, largest first (each spreads its chunks
    /// over the cores; the whole-file hash is the one sequential step, and two large files hash side by
    /// side instead of one after the other), small files meanwhile on the others. Returns the stat of
    /// each written file, in the order of `jobs`.
    public func write(_ jobs: [Job]) throws -> [FileStat] {
        final class Results: @unchecked Sendable {
            var stats: [FileStat?]
            init(_ n: Int) { stats = [FileStat?](repeating: nil, count: n) }
        }
        let out = Results(jobs.count)
        let lock = NSLock()
        let errors = FirstError()
        let indices = Array(jobs.indices)
        let large = indices.filter { jobs[$0].size > Int64(FileHasher.smallFileLimit) }.sorted { jobs[$0].size > jobs[$1].size }
        let small = indices.filter { jobs[$0].size <= Int64(FileHasher.smallFileLimit) }
        let writeOne = { [self] (k: Int, verified: UnsafeRawBufferPointer?) in
            do {
                let st = try write(jobs[k], verified: verified)
                lock.lock(); out.stats[k] = st; lock.unlock()
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
                    writeOne(large[k], nil)
                }
                largeDone.leave()
            }.start()
        }
        // Up to 16 files and 1 MiB a batch: the 16 lanes, and little memory per worker.
        let batches = sizeLimitedGroups(count: small.count, maxItems: 16, maxBytes: 1 << 20) { jobs[small[$0]].size }.map { Array(small[$0]) }
        let next = AtomicCounter()
        DispatchQueue.concurrentPerform(iterations: min(threads * 2, max(1, batches.count))) { _ in
            let buffer = ReadBuffer()
            while !errors.failed {
                let b = next.increment()
                guard b < batches.count else { return }
                let verified = verifiedChunks(batches[b].map { jobs[$0] }, into: buffer)
                for (k, bytes) in zip(batches[b], verified) where !errors.failed { writeOne(k, bytes) }
            }
        }
        largeDone.wait()
        if let e = errors.error { throw e }
        return out.stats.map { $0! }
    }

    /// The bytes of the jobs' files that are one chunk each, decoded into `buffer` and hashed side by
    /// side (BatchHash: 16 lanes where the CPU has them): most small files are. Nil for a job whose
    /// file is not one chunk, or whose chunk is missing or fails to decode or to hash: the one-file
    /// path then writes it, or says what is wrong.
    private func verifiedChunks(_ jobs: [Job], into buffer: ReadBuffer) -> [UnsafeRawBufferPointer?] {
        var out = [UnsafeRawBufferPointer?](repeating: nil, count: jobs.count)
        let found = jobs.enumerated().compactMap { i, job -> (Int, ObjectLocation)? in
            guard let loc = store.locate(job.id), loc.entry.kind == .chunk, Int64(loc.entry.rawSize) == job.size else { return nil }
            return (i, loc)
        }
        guard found.count > 1 else { return out }
        let base = buffer.reserve(found.reduce(0) { $0 + $1.1.entry.rawSize })
        var decoded: [(job: Int, bytes: UnsafeRawBufferPointer, id: ObjectID)] = []
        var off = 0
        store.recordBuffers.with { scratch in
            for (i, loc) in found {
                let dst = UnsafeMutableRawBufferPointer(start: base + off, count: loc.entry.rawSize)
                guard (try? store.decodeUnverified(loc, into: dst, scratch: scratch)) != nil else { continue }
                decoded.append((i, UnsafeRawBufferPointer(dst), loc.entry.id))
                off += loc.entry.rawSize
            }
        }
        for (d, id) in zip(decoded, BatchHash.ids(decoded.map(\.bytes))) where id == d.id { out[d.job] = d.bytes }
        return out
    }

    /// Writes one file and returns its stat after the rename. The file is created (O_EXCL|O_NOFOLLOW) in
    /// a directory held open, under a temporary name git-mlops owns, and renamed over its name there.
    public func write(_ job: Job) throws -> FileStat { try write(job, verified: nil) }

    /// `verified`: the file's bytes, already checked against its id.
    private func write(_ job: Job, verified: UnsafeRawBufferPointer?) throws -> FileStat {
        guard let dir = try job.tree.directory(job.directory, create: true) else {
            throw SystemError("mkdir", job.dest, errno: ENOENT)
        }
        let mode: mode_t = job.executable ? 0o777 : 0o666
        do {
            if job.direct {
                let fd = try dir.create(job.name, mode: mode)
                defer { fd.close() }
                try stream(job.id, size: job.size, to: fd, verified: verified)
                if durable { try fd.sync() }
                guard let st = fd.stat() else { throw SystemError("fstat", job.dest, errno: errno) }
                return st
            }
            let tmp = Materializer.tempName(for: job.name)
            let fd = try dir.createTemporary(tmp, mode: mode)
            do {
                try stream(job.id, size: job.size, to: fd, verified: verified)
                if durable { try fd.sync() }
                fd.close()
                try dir.rename(tmp, to: job.name)
            } catch {
                fd.close()
                try? dir.remove(tmp)
                throw error
            }
            guard let st = dir.lstat(job.name) else { throw SystemError("stat", job.dest, errno: errno) }
            return st
        } catch let e as WrongSizeError {
            guard let origin = job.origin else { throw e }
            throw MLOpsError("\(origin): says \(displayPath(job.dest)) has \(job.size) bytes, but its data (sha256:\(e.id.hex)) has \(e.actual)",
                             hint: "the pointer is wrong, not the cache; restore it with `git checkout`, or re-create it with `git mlops add`")
        }
    }

    /// The temporary name a file is written under before its rename: `.NAME.mlops-tmp` beside it.
    /// Same directory, so the rename is cheap and atomic (a rename across directories takes the file
    /// system's global rename lock); a fixed name, so a checkout run again after a crash reuses it.
    /// Walks skip such names, `RepoPath` refuses them, and `git mlops init` lists them in `.git/info/exclude`.
    public static func tempName(for name: String) -> String { "." + name + tempSuffix }

    public static let tempSuffix = RepoPath.tempSuffix

    /// Streams the bytes of file `id` into `fd` and checks the whole-file hash.
    public func stream(_ id: ObjectID, size: Int64, to fd: FileDescriptor) throws { try stream(id, size: size, to: fd, verified: nil) }

    /// `verified`: the file's bytes, already checked against `id`.
    private func stream(_ id: ObjectID, size: Int64, to fd: FileDescriptor, verified: UnsafeRawBufferPointer?) throws {
        if let verified, verified.count == size {
            try fd.write(verified)
            progress?.add(bytes: size, items: 1)
            return
        }
        guard let loc = store.locate(id) else { throw MissingObjectError(id: id) }
        switch loc.entry.kind {
        case .chunk:
            // One-chunk file: decoding checks the chunk's hash, which is the file's id.
            try store.withVerifiedBytes(loc) { bytes in
                guard bytes.count == size else { throw WrongSizeError(id: id, expected: size, actual: Int64(bytes.count)) }
                try fd.write(bytes)
            }
            progress?.add(bytes: size, items: 1)
        case .fileManifest:
            let manifest = try FileManifest.decode(try store.read(loc), id: id)
            guard manifest.size == size else { throw WrongSizeError(id: id, expected: size, actual: manifest.size) }
            try streamChunks(manifest, fileID: id, to: fd)
        default:
            throw NotAFileError(id: id, kind: loc.entry.kind)
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

extension Store {
    /// The size of the file stored under `id` (reads its manifest when it has one).
    public func fileSize(of id: ObjectID) throws -> Int64 {
        guard let loc = locate(id) else { throw MissingObjectError(id: id) }
        switch loc.entry.kind {
        case .chunk: return Int64(loc.entry.rawSize)
        case .fileManifest: return try FileManifest.decode(try read(loc), id: id).size
        default: throw NotAFileError(id: id, kind: loc.entry.kind)
        }
    }
}

/// A file's stored data has another size than whatever named it claims: the namer (a pointer, a
/// listing) is wrong, not the cache.
public struct WrongSizeError: Error, CustomStringConvertible {
    public let id: ObjectID
    public let expected: Int64
    public let actual: Int64
    public var description: String {
        "file \(id.hex) has \(actual) bytes, not the \(expected) it was said to have; what named it is wrong, not the cache"
    }
}

/// An id that names a directory listing (or a piece of one) where a file was expected.
public struct NotAFileError: Error, CustomStringConvertible {
    public let id: ObjectID
    public let kind: ObjectKind
    public var description: String { "object \(id.hex) is a \(kind), not a file; what named it is wrong, not the cache" }
}
