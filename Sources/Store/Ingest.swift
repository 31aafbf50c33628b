import Foundation
import MLOpsBasics
import ObjectStore

/// Turns workspace files and directories into stored objects (and ids): `FileHasher`'s walk and
/// schedule, keeping what it reads.
///
/// Work is spread over all cores: small files are processed whole, one per worker; a large file is read
/// and cut on the calling thread (which also computes its whole-file hash) while workers hash and
/// compress its chunks. Memory stays bounded by the number of batches in flight, whatever the file size.
public final class Ingester: FileHasher, @unchecked Sendable {
    let objects: Store
    let writer: PackWriter
    let compressors = Pool { Compressor() }

    public init(store: Store, statCache: StatCache?, threads: Int? = nil) {
        objects = store
        writer = store.writer()
        super.init(statCache: statCache, store: store, threads: threads)
    }

    /// Makes everything written so far durable and visible. Call once, at the end.
    public func finish() throws {
        work.stop()
        try writer.finish()
    }

    public func abandon() {
        work.stop()
        writer.abandon()
    }

    public var bytesWritten: Int64 { writer.bytesWritten }

    /// Ingests several targets as one job (see `records(of:)`).
    public func ingest(_ targets: [Target]) throws -> [Result] { try records(of: targets) }

    // MARK: Storing what is read

    override func canReuse(_ id: ObjectID) -> Bool { objects.contains(id) }

    override func remembersDirectory(_ id: ObjectID) -> Bool { true }

    override func listingID(_ manifest: DirManifest) throws -> ObjectID { try storeManifest(manifest) }

    /// Stores a buffer as one file whose id is known: a single chunk (its id is the file's id) or
    /// chunks and a manifest. A file already stored is not even cut; otherwise each object is looked
    /// up once (by `put`, or here for the file's own id).
    override func keepSmall(_ buf: UnsafeRawBufferPointer, id fileID: ObjectID) throws {
        guard !objects.contains(fileID) else { return }
        let cuts = chunker.split(buf)
        try compressors.with { c in
            if cuts.count <= 1 {
                try writer.putNew(id: fileID, kind: .chunk, raw: buf, compressor: c)
                return
            }
            let pieces = Chunker.pieces(of: buf.baseAddress!, cuts: cuts)
            let ids = BatchHash.ids(pieces)
            for (k, piece) in pieces.enumerated() { try writer.put(id: ids[k], kind: .chunk, raw: piece, compressor: c) }
            let chunks = zip(ids, cuts).map { FileManifest.Chunk(id: $0, size: $1) }
            try writer.putNew(id: fileID, kind: .fileManifest, bytes: FileManifest(size: Int64(buf.count), chunks: chunks).encode(), compressor: c)
        }
    }

    /// A large file, streamed: read and cut here, chunks hashed and compressed by workers.
    ///
    /// The file is read straight into batch buffers from a fixed pool, so memory is bounded by the pool
    /// whatever the file size; only the uncut tail of a batch (at most one max-size chunk) is copied on.
    override func largeFileID(_ fd: FileDescriptor, size: Int64) throws -> ObjectID {
        var hasher = StreamHasher()
        let results = ChunkResults()
        let group = DispatchGroup()
        let capacity = FileHasher.batchSize + chunker.params.maxSize
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
            while start < filled && start < FileHasher.batchSize,
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
        // Looked up here, before the manifest is encoded, not again by the writer.
        if !objects.contains(fileID) {
            try compressors.with { c in
                try writer.putNew(id: fileID, kind: .fileManifest, bytes: FileManifest(size: size, chunks: chunks).encode(), compressor: c)
            }
        }
        return fileID
    }

    /// Writes a directory manifest's pieces and top object and returns its id.
    @discardableResult
    public func storeManifest(_ manifest: DirManifest) throws -> ObjectID {
        let enc = manifest.encode()
        if !objects.contains(enc.id) {
            try compressors.with { c in
                for p in enc.pieces { try writer.put(id: p.id, kind: .dirPiece, bytes: p.bytes, compressor: c) }
                try writer.putNew(id: enc.id, kind: .dirManifest, bytes: enc.top, compressor: c)
            }
        }
        return enc.id
    }
}

/// Chunks of a large file by index, and the first error any chunk job hit.
final class ChunkResults: @unchecked Sendable {
    private let errors = FirstError()
    private let lock = NSLock()
    private var chunks: [Int: FileManifest.Chunk] = [:]

    var failed: Bool { errors.failed }
    var error: Error? { errors.error }
    func fail(_ e: Error) { errors.fail(e) }

    func set(_ i: Int, _ c: FileManifest.Chunk) { lock.lock(); chunks[i] = c; lock.unlock() }

    func ordered(count: Int) -> [FileManifest.Chunk] { (0..<count).map { chunks[$0]! } }
}
