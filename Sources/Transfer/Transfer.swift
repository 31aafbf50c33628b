import Foundation
import MLOpsBasics
import ObjectStore
import Store

/// Moves objects between the local store and a remote. Orchestration only: what is missing, which
/// packs to send or read, in what ranges, how many at once, verification, retries and progress.
public final class Transfer: @unchecked Sendable {
    public let store: Store
    public let remote: RemoteStore
    public var progress: ProgressMeter?
    /// Range reads closer than this are merged into one request.
    public var mergeGap: Int64 = 1 << 20
    /// Largest single range request (what a parallel download holds in memory at once).
    public var maxRange: Int64 = 8 << 20

    public init(store: Store, remote: RemoteStore) {
        self.store = store
        self.remote = remote
    }

    var backend: RemoteBackend { remote.backend }

    // MARK: Push

    public struct PushReport: Sendable {
        public var objects = 0
        public var bytes: Int64 = 0
        public var packs = 0
        public var alreadyThere = 0
        /// Objects sent again because a `gc --remote` retired them while this push ran.
        public var resent = 0
    }

    /// Sends every object of `ids` the remote lacks. Whole local packs go as they are when the remote
    /// needs all of them; the rest is copied into new packs. Each pack is uploaded before its index.
    ///
    /// What the push counts on as already there may be retired by a concurrent `gc --remote`: after its
    /// uploads, the push lists the remote again and sends anything retired meanwhile (from the local
    /// cache, or copied out of the retired pack while it still exists), until one listing shows
    /// everything. A root the cache lacks counts on what its remote manifest lists, so that is checked
    /// too. The refs naming these objects must land within the grace period after the push returns
    /// (docs/remotes.md).
    public func push(_ ids: Set<ObjectID>) throws -> PushReport {
        var report = PushReport()
        try remote.checkFormat(create: true)
        var packs = try remote.packs()
        var retired: [RemoteStore.Pack]?
        func retiredPacks() throws -> [RemoteStore.Pack] {
            if let retired { return retired }
            let r = try remote.retiredPacks()
            retired = r
            return r
        }
        var wanted = ids
        let remoteOnly = ids.filter { !store.contains($0) }
        if !remoteOnly.isEmpty {
            let inView = remote.locate(remoteOnly, in: packs).count == remoteOnly.count
            wanted.formUnion(try remoteClosure(of: remoteOnly, packs: inView ? packs : packs + retiredPacks()))
        }
        var located = remote.locate(wanted, in: packs)
        report.alreadyThere = located.count
        var uploaded: [String] = []
        var round = 0, checks = 0
        while true {
            let need = wanted.subtracting(located.keys)
            if !need.isEmpty {
                round += 1
                if round > 1 { report.resent += need.count }
                guard round <= 5 else {
                    throw MLOpsError("objects this push relies on keep being retired from \(backend.url) by a `gc --remote`",
                                     hint: "run the push again once that collection is over")
                }
                let elsewhere = need.filter { !store.contains($0) }
                var copies: [(pack: String, entry: IndexEntry)] = []
                if !elsewhere.isEmpty {
                    let found = remote.locate(elsewhere, in: try retiredPacks())
                    let absent = elsewhere.filter { found[$0] == nil }
                    if !absent.isEmpty && round == 1 {
                        throw MLOpsError("\(absent.count) objects to push are neither in the local cache nor on \(backend.url) (e.g. \(absent.first!.short))",
                                         hint: "fetch them from the remote that has them (`git mlops fetch OTHER`), then push again")
                    }
                    if !absent.isEmpty {
                        throw MLOpsError("\(absent.count) objects this push relies on were deleted from \(backend.url) by a `gc --remote` while it ran (e.g. \(absent.first!.short))",
                                         hint: "push them from a clone that has them, then push again")
                    }
                    copies = found.map { ($0.value.pack, $0.value.entry) }
                }
                for sent in [try uploadLocal(need.subtracting(elsewhere)), try uploadCopies(of: copies)] {
                    report.objects += sent.objects
                    report.bytes += sent.bytes
                    report.packs += sent.packs.count
                    uploaded += sent.packs
                }
            } else if round == 0 {
                break  // nothing to send: the first listing was the last
            }
            // The push ends with one listing in which every pack it relies on is still in view; if a gc
            // retired one meanwhile, what is missing now goes again.
            checks += 1
            let relied = Set(located.values.map(\.pack)).union(uploaded)
            if relied.isSubset(of: try packNamesInView()) { break }
            guard checks <= 8 else {
                throw MLOpsError("packs this push relies on keep being retired from \(backend.url) by a `gc --remote`",
                                 hint: "run the push again once that collection is over")
            }
            packs = try remote.packs()
            retired = nil
            located = remote.locate(wanted, in: packs)
            uploaded = []
        }
        return report
    }

    /// Packs in view (index and pack both listed): one listing, nothing downloaded.
    private func packNamesInView() throws -> Set<String> {
        let files = try remote.retry.run(backend, "list", "packs/") { try backend.list(prefix: "packs/") }
        let names = Set(files.map(\.name))
        return Set(files.compactMap { f in
            f.name.hasSuffix(".idx") && names.contains(String(f.name.dropLast(4)) + ".pack") ? String(f.name.dropFirst("packs/".count).dropLast(4)) : nil
        })
    }

    /// What an upload sent.
    struct Sent { var objects = 0; var bytes: Int64 = 0; var packs: [String] = [] }

    /// Uploads objects of the local cache: whole packs when all of their objects are in `need`, the rest
    /// copied (stored bytes) into new packs.
    private func uploadLocal(_ ids: Set<ObjectID>) throws -> Sent {
        var need = ids
        guard !need.isEmpty else { return Sent() }
        struct Upload { var name: String; var packPath: String; var index: [UInt8]; var temporary: Bool; var bytes: Int64; var objects: Int }
        var uploads: [Upload] = []
        // A pack adopted from this remote and since retired there keeps its name here: sent whole, it
        // would come back under the name gc is about to delete. Its objects go into a new pack instead.
        var retiredNames: Set<String>?
        for name in store.packNames {
            let entries = try store.indexEntries(pack: name)
            guard !entries.isEmpty, entries.allSatisfy({ need.contains($0.id) }) else { continue }
            if retiredNames == nil {
                retiredNames = Set(RemoteStore.retiredNames(try remote.retry.run(backend, "list", "trash/") { try backend.list(prefix: "trash/") }).map(\.name))
            }
            if retiredNames!.contains(name) { continue }
            let idx = try FS.readFile("\(store.packsDir)/\(name).idx")
            let size = FS.stat(store.packPath(name))?.size ?? 0
            uploads.append(Upload(name: name, packPath: store.packPath(name), index: idx, temporary: false, bytes: size, objects: entries.count))
            for e in entries { need.remove(e.id) }
        }
        // What is left lives in packs the remote should not get whole: copy those records into new packs.
        var builder: PackBuilder?
        defer { builder?.discard() }
        defer { for u in uploads where u.temporary { try? FS.remove(u.packPath) } }
        let locations = need.compactMap { store.locate($0) }.sorted { ($0.pack.name, $0.entry.offset) < ($1.pack.name, $1.entry.offset) }
        func seal() throws {
            guard let b = builder else { return }
            let idx = try b.finish()
            uploads.append(Upload(name: b.name, packPath: b.path, index: idx, temporary: true, bytes: b.size, objects: b.entries.count))
            builder = nil
        }
        for loc in locations {
            if builder == nil { builder = try PackBuilder(directory: store.tmpDir) }
            try builder!.append(record: try loc.pack.readRecord(loc.entry), entry: loc.entry)
            if builder!.size >= store.tuning.packSize { try seal() }
        }
        try seal()

        let lock = NSLock()
        var sent = Sent()
        progress?.expect(bytes: uploads.reduce(0) { $0 + $1.bytes }, items: uploads.reduce(0) { $0 + $1.objects })
        try parallel(uploads.count, width: remote.parallelism) { [self] i in
            let u = uploads[i]
            try remote.retry.run(backend, "upload", "packs/\(u.name).pack") { try backend.putFile("packs/\(u.name).pack", from: u.packPath) }
            try remote.retry.run(backend, "upload", "packs/\(u.name).idx") { try backend.put("packs/\(u.name).idx", bytes: u.index) }
            progress?.add(bytes: u.bytes, items: u.objects)
            lock.lock()
            sent.objects += u.objects
            sent.bytes += u.bytes
            sent.packs.append(u.name)
            lock.unlock()
        }
        return sent
    }

    // MARK: Fetch

    public struct FetchReport: Sendable {
        public var objects = 0
        public var bytes: Int64 = 0
        public var wholePacks = 0
        public var rangeRequests = 0
        /// Wanted but on neither side.
        public var missing: [ObjectID] = []
    }

    /// Fetches everything needed to rebuild `roots` that the local store lacks. First the manifests,
    /// level by level (directory, pieces, file manifests: small range reads), then all missing chunks in
    /// one pass, so each byte of the remote is read at most once: only the needed records (merged range
    /// reads), or a whole pack when nearly all of it is needed. Every object is verified before it is kept.
    public func fetch(roots: [ObjectID]) throws -> FetchReport {
        var report = FetchReport()
        try remote.checkFormat(create: false)
        var packs = try remote.packs()
        var packByName = Dictionary(packs.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        // Retired packs are read too, once something is not in view: a gc may have retired an object a
        // ref reaches, which the next gc rescues (docs/remotes.md).
        var withRetired = false
        func locate(_ ids: Set<ObjectID>) throws -> [ObjectID: (pack: String, entry: IndexEntry)] {
            let found = remote.locate(ids, in: packs)
            guard found.count < ids.count, !withRetired else { return found }
            withRetired = true
            let retired = try remote.retiredPacks()
            packs += retired
            for p in retired where packByName[p.name] == nil { packByName[p.name] = p }
            return remote.locate(ids, in: packs)
        }
        var level = Set(roots)
        var seen = Set<ObjectID>()
        var chunks = Set<ObjectID>()
        while !level.isEmpty {
            seen.formUnion(level)
            var next = Set<ObjectID>()
            var manifests: [ObjectID: (pack: String, entry: IndexEntry)] = [:]
            let wanted = level.filter { !store.contains($0) }
            let found = try locate(Set(wanted))
            report.missing += wanted.filter { found[$0] == nil }
            for (id, v) in found {
                if v.entry.kind == .chunk { chunks.insert(id) } else { manifests[id] = v }
            }
            try download(manifests, packs: packByName, wholePacks: false, report: &report)
            // Local manifests may list missing children too (an interrupted fetch).
            for id in level where store.contains(id) { next.formUnion(children(of: id)) }
            level = next.subtracting(seen)
        }
        let wantedChunks = chunks.filter { !store.contains($0) }
        try download(try locate(Set(wantedChunks)), packs: packByName, wholePacks: true, report: &report)
        return report
    }

    /// Ids listed by a manifest object held locally (empty for chunks).
    func children(of id: ObjectID) -> [ObjectID] { store.references(of: id) }

    private func download(_ found: [ObjectID: (pack: String, entry: IndexEntry)], packs: [String: RemoteStore.Pack],
                          wholePacks: Bool, report: inout FetchReport) throws {
        guard !found.isEmpty else { return }
        var byPack: [String: [IndexEntry]] = [:]
        for (_, v) in found { byPack[v.pack, default: []].append(v.entry) }
        enum Job { case whole(RemoteStore.Pack); case range(pack: String, range: Range<Int64>, entries: [IndexEntry]) }
        var jobs: [Job] = []
        for (name, entries) in byPack.sorted(by: { $0.key < $1.key }) {
            let pack = packs[name]!
            let wanted = entries.reduce(Int64(0)) { $0 + Int64($1.recordSize) }
            // At least 90% of the records. Checked indexes hold records that fit the pack without
            // overlapping, so `wanted` <= the pack's size; written so that nothing can overflow.
            let body = pack.size - Int64(PackFormat.headerSize)
            if wholePacks && !store.hasPack(name) && wanted >= body - body / 10 {
                jobs.append(.whole(pack))
                continue
            }
            var cur: [IndexEntry] = []
            var start: Int64 = 0, end: Int64 = 0
            for e in entries.sorted(by: { $0.offset < $1.offset }) {
                let eEnd = e.offset + Int64(e.recordSize)
                if !cur.isEmpty && e.offset - end <= mergeGap && eEnd - start <= maxRange {
                    cur.append(e); end = eEnd
                } else {
                    if !cur.isEmpty { jobs.append(.range(pack: name, range: start..<end, entries: cur)) }
                    cur = [e]; start = e.offset; end = eEnd
                }
            }
            if !cur.isEmpty { jobs.append(.range(pack: name, range: start..<end, entries: cur)) }
        }
        let planned = jobs.reduce(Int64(0)) { t, job in
            switch job { case .whole(let p): return t + p.size; case .range(_, let r, _): return t + Int64(r.count) }
        }
        progress?.expect(bytes: planned, items: found.count)
        let writer = store.writer()
        let lock = NSLock()
        var local = FetchReport()
        do {
            try parallel(jobs.count, width: remote.parallelism) { [self] i in
                switch jobs[i] {
                case .whole(let pack):
                    let n = try downloadWholePack(pack)
                    lock.lock(); local.objects += n; local.bytes += pack.size; local.wholePacks += 1; lock.unlock()
                case .range(let pack, let range, let entries):
                    let bytes = try remote.retry.run(backend, "read", "packs/\(pack).pack") {
                        try backend.get("packs/\(pack).pack", range: range)
                    }
                    guard bytes.count == range.count else {
                        throw MLOpsError("\(backend.url)/packs/\(pack).pack: short read", hint: "run the command again")
                    }
                    try bytes.withUnsafeBytes { all in
                        let records = entries.map { e in
                            UnsafeRawBufferPointer(rebasing: all[Int(e.offset - range.lowerBound)..<(Int(e.offset - range.lowerBound) + e.recordSize)])
                        }
                        try verify(records: records, entries: entries, pack: pack)
                        for (e, r) in zip(entries, records) {
                            _ = try writer.putStored(id: e.id, kind: e.kind, codec: e.codec, rawSize: e.rawSize,
                                                     stored: UnsafeRawBufferPointer(rebasing: r[PackFormat.recordHeaderSize...]))
                        }
                    }
                    progress?.add(bytes: Int64(range.count), items: entries.count)
                    lock.lock(); local.objects += entries.count; local.bytes += Int64(range.count); local.rangeRequests += 1; lock.unlock()
                }
            }
            try writer.finish()
        } catch {
            // What was verified is kept: a fetch run again resumes from there.
            try? writer.finish()
            throw error
        }
        report.objects += local.objects
        report.bytes += local.bytes
        report.wholePacks += local.wholePacks
        report.rangeRequests += local.rangeRequests
    }

    /// Checks records read from a remote: each header matches its index row and each content its id.
    func verify(records: [UnsafeRawBufferPointer], entries: [IndexEntry], pack: String) throws {
        do {
            try store.verify(records: records, entries: entries, pack: pack)
        } catch let e as CorruptObjectError {
            throw MLOpsError("\(backend.url)/packs/\(pack).pack: object \(e.id.hex) is corrupt (\(e.reason))",
                             hint: "nothing was written for it; push it again from a clone that has it")
        }
    }

    /// Downloads a pack in ranges to a temporary file, verifies every object and adopts it whole.
    private func downloadWholePack(_ pack: RemoteStore.Pack) throws -> Int {
        let tmp = "\(store.tmpDir)/fetch-\(pack.name).pack"
        let fd = try FileDescriptor.open(tmp, O_RDWR | O_CREAT | O_TRUNC, mode: 0o644)
        var keep = false
        defer { fd.close(); if !keep { try? FS.remove(tmp) } }
        let remoteName = "packs/\(pack.name).pack"
        let copied = try remote.retry.run(backend, "read", remoteName) { () throws -> Bool in
            guard ftruncate(fd.fd, 0) == 0, lseek(fd.fd, 0, SEEK_SET) == 0 else { throw SystemError("truncate", tmp, errno: errno) }
            return try backend.getFile(remoteName, into: fd)
        }
        if copied {
            guard FileStat.fstat(fd.fd)?.size == pack.size else {
                throw MLOpsError("\(backend.url)/\(remoteName) is not as long as its index says", hint: "the pack is damaged; push its data again from a clone that has it")
            }
            progress?.add(bytes: pack.size)
        } else {
            var off: Int64 = 0
            while off < pack.size {
                let r = off..<min(pack.size, off + maxRange)
                let bytes = try remote.retry.run(backend, "read", remoteName) { try backend.get(remoteName, range: r) }
                guard bytes.count == r.count else { throw MLOpsError("\(backend.url)/\(remoteName): short read", hint: "run the command again") }
                try fd.writeAll(bytes)
                off += Int64(bytes.count)
                progress?.add(bytes: Int64(bytes.count))
            }
        }
        let header = try fd.pread(count: PackFormat.headerSize, offset: 0)
        guard header == PackFormat.header() else {
            throw MLOpsError("\(backend.url)/\(remoteName) has a bad header", hint: "the pack is damaged; push its data again from a clone that has it")
        }
        // Read back in spans of whole records (at most 1 MiB each, or one larger record) and checked a
        // span at a time: the memory of a download stays small whatever the pack's size.
        let ordered = pack.entries.sorted { $0.offset < $1.offset }
        let span = ReadBuffer()
        let spanLimit: Int64 = 1 << 20
        var first = 0
        while first < ordered.count {
            let start = ordered[first].offset
            var last = first
            while last + 1 < ordered.count && ordered[last + 1].offset + Int64(ordered[last + 1].recordSize) - start <= spanLimit { last += 1 }
            let group = Array(ordered[first...last])
            let count = Int(group.last!.offset - start) + group.last!.recordSize
            let base = span.reserve(count)
            guard try fd.pread(into: base, count: count, offset: start) == count else {
                throw MLOpsError("\(backend.url)/\(remoteName) is shorter than its index says", hint: "the pack is damaged; push its data again from a clone that has it")
            }
            let records = group.map { UnsafeRawBufferPointer(start: base + Int($0.offset - start), count: $0.recordSize) }
            try verify(records: records, entries: group, pack: pack.name)
            first = last + 1
        }
        try store.installPack(name: pack.name, from: tmp, index: IndexFormat.encode(pack.entries, packSize: pack.size))
        keep = true
        progress?.add(bytes: 0, items: pack.entries.count)
        return pack.entries.count
    }
}
