import Foundation
import MLOpsBasics

/// Appends objects to new packs. Thread-safe: workers compress in parallel and append under a lock.
///
/// Appends go to a buffer; a full buffer is written at its offset outside the lock, so one worker's
/// 4 MiB write never stalls the others. Lookups of objects written in this session take their own lock.
/// Each pack is written under `tmp/`, then sealed in the background once it reaches the target size:
/// in-flight writes awaited, fsync, index written and synced, pack renamed into `packs/`, then its
/// index (which makes it visible). `finish()` waits for every seal, so data is durable before any
/// pointer names it.
public final class PackWriter: @unchecked Sendable {
    private let store: ObjectDatabase
    private let lock = NSLock()
    private var current: OpenPack?
    /// This session in the database's table of pending objects.
    private var session = 0
    private let sealQueue = DispatchQueue(label: "git-mlops.seal")
    private let ioQueue = DispatchQueue(label: "git-mlops.pack-io")
    static let ioDepth = 4
    private let ioSlots = DispatchSemaphore(value: PackWriter.ioDepth)
    private var sealError: Error?
    private var finished = false
    private var sealedNames: [String] = []
    /// Written-out buffers kept for reuse: a gigabyte of appends goes through the same few buffers,
    /// whose pages stay mapped (fresh pages cost a page fault each, which showed at 3% of `add`).
    private var spareBuffers: [AppendBuffer] = []

    /// Bytes appended (record headers included) and objects written by this session.
    public private(set) var bytesWritten: Int64 = 0
    public private(set) var objectsWritten = 0

    private final class OpenPack {
        let name: String
        let tmpPath: String
        let fd: FileDescriptor
        /// The same file opened for direct I/O (nil where the file system refuses it): full buffers go
        /// to the disk without a page-cache copy, which on VMs costs a page fault per fresh 4 KiB page.
        var direct: FileDescriptor?
        let file: PackFile
        /// End of the pack, buffered bytes included.
        var size: Int64
        var entries: [IndexEntry] = []
        /// Appends wait here and go to the file in large writes (one syscall per few MiB, not two per object).
        var buffer: AppendBuffer
        /// File offset of `buffer[0]`.
        var bufferStart: Int64
        /// Buffer writes under way outside the lock.
        let writes = DispatchGroup()
        static let bufferLimit = 4 << 20

        /// The pack header is the first bytes of the first buffer, so every direct write starts on a block.
        init(name: String, tmpPath: String, fd: FileDescriptor, direct: FileDescriptor?, buffer: AppendBuffer) {
            self.name = name
            self.tmpPath = tmpPath
            self.fd = fd
            self.direct = direct
            self.buffer = buffer
            file = PackFile(name: name, path: tmpPath, fd: fd)
            let header = PackFormat.header()
            header.withUnsafeBytes { buffer.extend(by: header.count).copyMemory(from: $0.baseAddress!, byteCount: header.count) }
            size = Int64(header.count)
            bufferStart = 0
        }
    }

    /// A buffer taken out of a pack under the lock, to be written at `offset` outside it.
    private struct Detached {
        let pack: OpenPack
        let bytes: AppendBuffer
        let offset: Int64
        /// Set for whole blocks at a block offset, to be written without the page cache.
        let direct: FileDescriptor?
    }

    /// Direct I/O wants whole blocks at block offsets; 4 KiB suits every device's logical block.
    static let directBlock = 4096

    init(store: ObjectDatabase) {
        self.store = store
        session = store.pending.open { [unowned self] in makeReadable($0) }
    }

    /// A session dropped without `finish` or `abandon` leaves nothing behind in the table.
    deinit { store.pending.close(session) }

    /// Names of the packs sealed so far.
    public var sealedPacks: [String] { lock.lock(); defer { lock.unlock() }; return sealedNames }

    /// Writes out what of `loc`'s record is still buffered, so that it can be read from the pack file.
    private func makeReadable(_ loc: ObjectLocation) {
        lock.lock()
        let pack = current.flatMap { $0.file === loc.pack ? $0 : nil }
        let detached = pack.flatMap { loc.entry.offset >= $0.bufferStart ? detach($0, whole: true) : nil }
        lock.unlock()
        if let detached { writeOut(detached) }
        if let pack {
            pack.writes.wait()
        } else {
            sealQueue.sync {}  // its pack is being sealed: the seal writes what was still buffered first
        }
    }

    /// Compresses and appends `raw` under `id` unless the database already holds it (one lookup: its
    /// indexes, then the objects this process is writing). Returns whether it was written.
    @discardableResult
    public func put(id: ObjectID, kind: ObjectKind, raw: UnsafeRawBufferPointer, compressor: Compressor) throws -> Bool {
        if store.contains(id) { return false }
        return try putNew(id: id, kind: kind, raw: raw, compressor: compressor)
    }

    @discardableResult
    public func put(id: ObjectID, kind: ObjectKind, bytes: [UInt8], compressor: Compressor) throws -> Bool {
        try bytes.withUnsafeBytes { try put(id: id, kind: kind, raw: $0, compressor: compressor) }
    }

    /// `put` for an id the caller has just looked up and not found: no second lookup.
    @discardableResult
    public func putNew(id: ObjectID, kind: ObjectKind, raw: UnsafeRawBufferPointer, compressor: Compressor) throws -> Bool {
        let (codec, stored) = compressor.compress(raw)
        return try putStored(id: id, kind: kind, codec: codec, rawSize: raw.count, stored: stored)
    }

    @discardableResult
    public func putNew(id: ObjectID, kind: ObjectKind, bytes: [UInt8], compressor: Compressor) throws -> Bool {
        try bytes.withUnsafeBytes { try putNew(id: id, kind: kind, raw: $0, compressor: compressor) }
    }

    /// Appends an already-encoded object (copied from another pack) without recompressing it, unless
    /// this session already holds it. The database is not asked: callers copy what they chose.
    @discardableResult
    public func putStored(id: ObjectID, kind: ObjectKind, codec: Codec, rawSize: Int, stored: UnsafeRawBufferPointer) throws -> Bool {
        var detached: Detached?
        defer { if let detached { writeOut(detached) } }
        lock.lock()
        defer { lock.unlock() }
        precondition(!finished, "write after finish")
        if let sealError { throw sealError }
        // Only this writer records into its session, and only under this lock: the check holds.
        if store.pending.holds(id, in: session) { return false }
        let pack = try currentPack()
        let entry = IndexEntry(id: id, offset: pack.size, storedSize: stored.count, rawSize: rawSize, kind: kind, codec: codec)
        // Recorded before the bytes are appended: a reader that finds it waits for this lock to make it readable.
        store.pending.record(id, at: ObjectLocation(pack: pack.file, entry: entry), in: session)
        let recordSize = PackFormat.recordHeaderSize + stored.count
        let at = pack.buffer.extend(by: recordSize)
        PackFormat.writeRecordHeader(to: at, kind: kind, codec: codec, rawSize: rawSize, storedSize: stored.count, id: id)
        if stored.count > 0 { (at + PackFormat.recordHeaderSize).copyMemory(from: stored.baseAddress!, byteCount: stored.count) }
        pack.entries.append(entry)
        pack.size += Int64(recordSize)
        bytesWritten += Int64(recordSize)
        objectsWritten += 1
        if pack.size >= store.tuning.packSize {
            sealCurrent()
        } else if pack.buffer.count >= OpenPack.bufferLimit {
            detached = detach(pack)
        }
        return true
    }

    /// Takes the buffer out of `pack` for writing outside the lock. Called with the lock held.
    ///
    /// For a direct write, the bytes after the last whole block move on to the next buffer. `whole`
    /// writes everything through the page cache (a reader needs the bytes now), and the next buffer
    /// still starts at the last block boundary, so direct writes stay aligned. A pack being sealed
    /// (`last`) gets no new buffer.
    private func detach(_ pack: OpenPack, whole: Bool = false, last: Bool = false) -> Detached? {
        let full = pack.buffer
        guard full.count > 0 else { return nil }
        // Bytes up to the last block boundary; the rest is carried into the next buffer.
        var written = full.count
        if pack.direct != nil && !last {
            let end = pack.bufferStart + Int64(full.count)
            written = Int(end - end % Int64(PackWriter.directBlock) - pack.bufferStart)
            if written == 0 && !whole { return nil }
        }
        let next = last ? AppendBuffer(capacity: 0) : takeBuffer()
        let carry = full.count - written
        if carry > 0 { next.extend(by: carry).copyMemory(from: full.contents.baseAddress! + written, byteCount: carry) }
        let direct = whole || last ? nil : pack.direct
        if direct != nil { full.count = written }
        let d = Detached(pack: pack, bytes: full, offset: pack.bufferStart, direct: direct)
        pack.buffer = next
        pack.bufferStart += Int64(written)
        pack.writes.enter()
        return d
    }

    /// Writes a detached buffer at its offset (without the lock); a failure fails the session.
    /// Direct writes wait for the disk, so they go to one I/O thread and the worker goes back to
    /// compressing; at most `ioDepth` are queued, which bounds the buffers in flight.
    private func writeOut(_ d: Detached) {
        guard d.direct != nil else { return write(d) }
        ioSlots.wait()
        ioQueue.async { [self] in
            write(d)
            ioSlots.signal()
        }
    }

    private func write(_ d: Detached) {
        do {
            if let direct = d.direct {
                do {
                    try direct.pwrite(d.bytes.contents, offset: d.offset)
                } catch let e as SystemError where e.errno == EINVAL {
                    // Opened, yet refused (some file systems): this pack goes through the page cache.
                    lock.lock(); d.pack.direct = nil; lock.unlock()
                    try d.pack.fd.pwrite(d.bytes.contents, offset: d.offset)
                }
            } else {
                try d.pack.fd.pwrite(d.bytes.contents, offset: d.offset)
            }
        } catch {
            lock.lock(); if sealError == nil { sealError = error }; lock.unlock()
        }
        d.bytes.count = 0
        lock.lock(); if spareBuffers.count < PackWriter.ioDepth + 2 { spareBuffers.append(d.bytes) }; lock.unlock()
        d.pack.writes.leave()
    }

    /// A spare buffer, or a new one. Called with the lock held.
    private func takeBuffer() -> AppendBuffer {
        spareBuffers.popLast() ?? AppendBuffer(capacity: OpenPack.bufferLimit + (512 << 10), alignment: PackWriter.directBlock)
    }

    private func currentPack() throws -> OpenPack {
        if let current { return current }
        let name = PackWriter.newPackName()
        let tmp = "\(store.tmpDir)/\(name).pack"
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(tmp, O_RDWR | O_CREAT | O_EXCL, mode: 0o444)
        } catch let e as SystemError where FileLock.isReadOnlyError(e.errno) {
            throw MLOpsError.readOnlyCache(store.root, e)
        }
        let direct = store.tuning.directIO ? try? FileDescriptor.open(tmp, O_WRONLY | FileDescriptor.directFlag) : nil
        let p = OpenPack(name: name, tmpPath: tmp, fd: fd, direct: direct, buffer: takeBuffer())
        current = p
        return p
    }

    /// 128 random bits: pack names never collide between processes or machines.
    static func newPackName() -> String {
        var g = SystemRandomNumberGenerator()
        return (0..<2).map { _ in
            let v = g.next() as UInt64
            let s = String(v, radix: 16)
            return String(repeating: "0", count: 16 - s.count) + s
        }.joined()
    }

    /// Called with the lock held.
    private func sealCurrent() {
        guard let pack = current else { return }
        current = nil
        let last = detach(pack, last: true)
        let store = self.store
        sealQueue.async { [self] in
            if let last { writeOut(last) }
            pack.writes.wait()
            lock.lock(); let failed = sealError != nil; lock.unlock()
            do {
                if failed { throw CancellationError() }
                try PackWriter.seal(pack.fd, name: pack.name, tmpPath: pack.tmpPath, entries: pack.entries,
                                    size: pack.size, store: store)
                pack.file.moved(to: "\(store.packsDir)/\(pack.name).pack")
                lock.lock(); sealedNames.append(pack.name); lock.unlock()
            } catch {
                // A pack that cannot be sealed (a full disk) leaves nothing in tmp/ to fill it further.
                lock.lock(); if sealError == nil { sealError = error }; lock.unlock()
                pack.fd.close()
                try? FS.remove(pack.tmpPath)
                try? FS.remove("\(store.tmpDir)/\(pack.name).idx")
            }
        }
    }

    static func seal(_ fd: FileDescriptor, name: String, tmpPath: String, entries: [IndexEntry], size: Int64, store: ObjectDatabase) throws {
        try fd.sync()
        let idxTmp = "\(store.tmpDir)/\(name).idx"
        let idx = try FileDescriptor.open(idxTmp, O_WRONLY | O_CREAT | O_TRUNC, mode: 0o444)
        try idx.writeAll(IndexFormat.encode(entries, packSize: size))
        try idx.sync()
        idx.close()
        try FS.rename(tmpPath, "\(store.packsDir)/\(name).pack")
        try FS.rename(idxTmp, "\(store.packsDir)/\(name).idx")
        FS.syncDirectory(store.packsDir)
    }

    /// Seals the last pack and waits until every pack is durable and visible.
    public func finish() throws {
        lock.lock()
        if !finished { sealCurrent(); finished = true }
        lock.unlock()
        sealQueue.sync {}
        store.sessionEnded(session)
        lock.lock(); defer { lock.unlock() }
        if let sealError { throw sealError }
    }

    /// Drops the unsealed pack; sealed packs stay (they are complete, and gc removes what nothing uses).
    public func abandon() {
        lock.lock()
        let c = current
        current = nil
        finished = true
        lock.unlock()
        if let c {
            c.writes.wait()
            c.fd.close()
            try? FS.remove(c.tmpPath)
        }
        sealQueue.sync {}
        store.sessionEnded(session)
    }
}

/// Raw bytes appended in place. Grows only for a record larger than what is left (a big manifest).
final class AppendBuffer: @unchecked Sendable {
    private var storage: GrowableBuffer
    var count = 0

    init(capacity: Int, alignment: Int = 64) {
        storage = GrowableBuffer(alignment: alignment)
        if capacity > 0 { _ = storage.reserve(capacity) }
    }

    deinit { storage.free() }

    /// Reserves `n` more bytes at the end and returns where they start.
    func extend(by n: Int) -> UnsafeMutableRawPointer {
        defer { count += n }
        return storage.reserve(count + n, keeping: count) + count
    }

    var contents: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: storage.pointer, count: count) }
}
