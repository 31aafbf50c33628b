import Foundation
import MLOpsBasics
import ObjectStore
import Store

extension Transfer {
    public struct RemoteGCReport: Sendable {
        public var packsBefore = 0
        public var packsKept = 0
        public var packsRewritten = 0
        public var packsRetired = 0
        public var packsDeleted = 0
        public var orphansDeleted = 0
        /// Garbage hidden by this run (phase 1): deleted for good after the grace period.
        public var objectsRetired = 0
        public var bytesRetired: Int64 = 0
        /// Deleted for good by this run: garbage of retired packs past the grace period, and incomplete uploads.
        public var objectsRemoved = 0
        public var bytesRemoved: Int64 = 0
        public var objectsRescued = 0
    }

    /// Removes from the remote what `roots` do not need, in two phases so that it is safe while others push.
    ///
    /// Phase 1 (packs older than `grace`): live objects of a pack holding garbage are copied to a new pack,
    /// then the old pack is retired: its index moves to `trash/`, so readers and pushers stop seeing it (a
    /// pusher that needs one of its objects uploads it again). Phase 2 (retired longer than `grace`): any
    /// object that became live again meanwhile (a push that relied on it before it was retired) is copied
    /// to a new pack, then the pack is deleted. Liveness reads manifests from retired packs too, so what
    /// a rescued manifest lists is rescued with it. Packs without an index (interrupted pushes) older than
    /// `grace` are deleted. Nothing younger than `grace` is touched. docs/remotes.md states the guarantee.
    public func collectGarbage(roots: [ObjectID], grace: TimeInterval, dryRun: Bool, now: Date = Date()) throws -> RemoteGCReport {
        var report = RemoteGCReport()
        try remote.checkFormat(create: false)
        let packs = try remote.packs()
        report.packsBefore = packs.count
        let allPackFiles = try remote.retry.run(backend, "list", "packs/") { try backend.list(prefix: "packs/") }
        let retired = try remote.retiredPacks(packFiles: allPackFiles)
        let live = try remoteClosure(of: roots, packs: packs + retired.packs)

        // Phase 2 first: live objects that only retired packs hold are copied back into view (a push
        // relied on them just before they were retired), then retired packs past their grace period go.
        // A pack both visible and expired (a retirement that was interrupted) is finished off, so its
        // objects do not count as visible.
        let expired = retired.packs.filter { now.timeIntervalSince($0.modified) >= grace }
        let expiredNames = Set(expired.map(\.name))
        var visible = Set<ObjectID>()
        for p in packs where !expiredNames.contains(p.name) { for e in p.entries { visible.insert(e.id) } }
        var rescue: [(pack: String, entry: IndexEntry)] = []
        for p in expired + retired.packs.filter({ !expiredNames.contains($0.name) }) {
            var rescuedBytes: Int64 = 0, rescued = 0
            for e in p.entries where live.contains(e.id) && !visible.contains(e.id) {
                rescue.append((p.name, e)); visible.insert(e.id)
                rescued += 1; rescuedBytes += Int64(e.recordSize)
            }
            if expiredNames.contains(p.name) {
                report.objectsRemoved += p.entries.count - rescued
                report.bytesRemoved += p.size - rescuedBytes
            }
        }

        // Phase 1: visible packs past their grace period that hold garbage.
        var keep = Set<ObjectID>()
        var copy = rescue
        var retire: [String] = []
        for p in packs.sorted(by: { $0.name < $1.name }) where !expiredNames.contains(p.name) {
            let old = now.timeIntervalSince(p.modified) >= grace
            let needed = p.entries.filter { live.contains($0.id) && !keep.contains($0.id) }
            if !old || needed.count == p.entries.count {
                for e in p.entries { keep.insert(e.id) }
                report.packsKept += 1
                continue
            }
            let neededIDs = Set(needed.map(\.id))
            for e in p.entries where !neededIDs.contains(e.id) {
                report.objectsRetired += 1
                report.bytesRetired += Int64(e.recordSize)
            }
            for e in needed { keep.insert(e.id); copy.append((p.name, e)) }
            retire.append(p.name)
            if !needed.isEmpty { report.packsRewritten += 1 }
        }
        report.packsRetired = retire.count
        report.objectsRescued = rescue.count
        let indexed = Set(allPackFiles.filter { $0.name.hasSuffix(".idx") }.map { String($0.name.dropFirst("packs/".count).dropLast(4)) })
            .union(retired.packs.map(\.name)).union(retired.unreadable)
        let orphans = allPackFiles.filter {
            $0.name.hasSuffix(".pack") && !indexed.contains(String($0.name.dropFirst("packs/".count).dropLast(5)))
                && now.timeIntervalSince($0.modified) >= grace
        }
        report.orphansDeleted = orphans.count
        for o in orphans { report.bytesRemoved += o.size }
        report.orphansDeleted += try abortStaleUploads(grace: grace, dryRun: dryRun)
        report.packsDeleted = expired.count
        if dryRun { return report }

        // New packs with everything that must survive, uploaded (pack, then index) before anything goes.
        _ = try uploadCopies(of: copy)
        for name in retire {
            let cached = "\(remote.cacheDir)/\(name).idx"
            let idx = try (try? FS.readFile(cached)) ?? remote.retry.run(backend, "read", "packs/\(name).idx") { try backend.get("packs/\(name).idx") }
            try remote.retry.run(backend, "write", "trash/\(name).idx") { try backend.put("trash/\(name).idx", bytes: idx) }
            try remote.retry.run(backend, "delete", "packs/\(name).idx") { try backend.delete("packs/\(name).idx") }
        }
        for p in expired {
            // Hidden first (an interrupted retirement may have left its index visible), then deleted.
            if allPackFiles.contains(where: { $0.name == "packs/\(p.name).idx" }) {
                try remote.retry.run(backend, "delete", "packs/\(p.name).idx") { try backend.delete("packs/\(p.name).idx") }
            }
            try remote.retry.run(backend, "delete", "packs/\(p.name).pack") { try backend.delete("packs/\(p.name).pack") }
            try remote.retry.run(backend, "delete", "trash/\(p.name).idx") { try backend.delete("trash/\(p.name).idx") }
        }
        // Indexes in trash whose pack is already gone (a deletion that was interrupted).
        for name in retired.dangling {
            try remote.retry.run(backend, "delete", "trash/\(name).idx") { try backend.delete("trash/\(name).idx") }
        }
        for o in orphans {
            try remote.retry.run(backend, "delete", o.name) { try backend.delete(o.name) }
        }
        return report
    }

    /// Copies records out of remote packs (visible or retired) into new packs, verified, and uploads them
    /// (each pack before its index). Returns what was uploaded.
    func uploadCopies(of records: [(pack: String, entry: IndexEntry)]) throws -> Sent {
        guard !records.isEmpty else { return Sent() }
        var builder: PackBuilder?
        defer { builder?.discard() }
        var copied = Sent()
        func upload() throws {
            guard let b = builder else { return }
            let idx = try b.finish()
            try remote.retry.run(backend, "upload", "packs/\(b.name).pack") { try backend.putFile("packs/\(b.name).pack", from: b.path) }
            try remote.retry.run(backend, "upload", "packs/\(b.name).idx") { try backend.put("packs/\(b.name).idx", bytes: idx) }
            copied.objects += b.entries.count
            copied.bytes += b.size
            copied.packs.append(b.name)
            try? FS.remove(b.path)
            builder = nil
        }
        for (pack, e) in records.sorted(by: { ($0.pack, $0.entry.offset) < ($1.pack, $1.entry.offset) }) {
            let record = try readRecord(e, pack: pack)
            if builder == nil { builder = try PackBuilder(directory: store.tmpDir) }
            try builder!.append(record: record, entry: e)
            if builder!.size >= store.tuning.packSize { try upload() }
        }
        try upload()
        return copied
    }

    /// One record of a remote pack, verified against its index row.
    func readRecord(_ e: IndexEntry, pack: String) throws -> [UInt8] {
        let record = try remote.retry.run(backend, "read", "packs/\(pack).pack") {
            try backend.get("packs/\(pack).pack", range: e.offset..<(e.offset + Int64(e.recordSize)))
        }
        try record.withUnsafeBytes { try verify(records: [$0], entries: [e], pack: pack) }
        return record
    }

    /// Everything `roots` need, reading manifests from the local store or, when absent there, from
    /// `packs` (visible and retired: a manifest a push relied on may sit in a retired pack). They are
    /// small, and kept in the local cache afterwards.
    func remoteClosure(of roots: some Sequence<ObjectID>, packs: [RemoteStore.Pack]) throws -> Set<ObjectID> {
        var live = Set<ObjectID>()
        var level = Set(roots)
        while !level.isEmpty {
            live.formUnion(level)
            let remoteOnly = level.filter { !store.contains($0) }
            if !remoteOnly.isEmpty {
                let found = remote.locate(Set(remoteOnly), in: packs).filter { $0.value.entry.kind != .chunk }
                if !found.isEmpty {
                    let writer = store.writer()
                    do {
                        for (id, v) in found {
                            let e = v.entry
                            let record = try readRecord(e, pack: v.pack)
                            try record.withUnsafeBytes { r in
                                _ = try writer.putStored(id: id, kind: e.kind, codec: e.codec, rawSize: e.rawSize,
                                                         stored: UnsafeRawBufferPointer(rebasing: r[PackFormat.recordHeaderSize...]))
                            }
                        }
                        try writer.finish()
                    } catch {
                        writer.abandon()
                        throw error
                    }
                }
            }
            var next = Set<ObjectID>()
            for id in level { next.formUnion(children(of: id)) }
            level = next.subtracting(live)
        }
        return live
    }
}

extension RemoteStore {
    /// Names of retired packs in a listing of `trash/`. A listing comes from outside: only plain names
    /// (letters, digits, `-`, `_`) are taken, so no key built from one leaves `packs/` or `trash/`.
    static func retiredNames(_ trash: [RemoteFile]) -> [(file: RemoteFile, name: String)] {
        trash.compactMap { f in
            guard f.name.hasPrefix("trash/"), f.name.hasSuffix(".idx") else { return nil }
            let name = String(f.name.dropFirst("trash/".count).dropLast(4))
            let plain = !name.isEmpty && name.utf8.allSatisfy { c in
                (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 45 || c == 95
            }
            return plain ? (f, name) : nil
        }
    }

    /// The readable retired packs (see below), listing `packs/` for their files.
    func retiredPacks() throws -> [Pack] {
        try retiredPacks(packFiles: try retry.run(backend, "list", "packs/") { try backend.list(prefix: "packs/") }).packs
    }

    /// Packs retired by gc (`trash/NAME.idx`), with `modified` the time of their retirement. Their pack
    /// files stay in `packs/` until phase 2 deletes them; an index whose pack is gone is `dangling`, and
    /// one that cannot be read is `unreadable` (its pack is left alone: nobody can tell what it holds).
    func retiredPacks(packFiles: [RemoteFile]) throws -> (packs: [Pack], dangling: [String], unreadable: [String]) {
        let trash = RemoteStore.retiredNames(try retry.run(backend, "list", "trash/") { try backend.list(prefix: "trash/") })
        let sizes = Dictionary(packFiles.map { ($0.name, $0.size) }, uniquingKeysWith: { a, _ in a })
        let lock = NSLock()
        var packs: [Pack] = [], dangling: [String] = [], unreadable: [String] = []
        try parallel(trash.count, width: parallelism) { [self] i in
            let (t, name) = trash[i]
            guard let size = sizes["packs/\(name).pack"] else { lock.lock(); dangling.append(name); lock.unlock(); return }
            let bytes = try retry.run(backend, "read", t.name) { try backend.get(t.name) }
            guard let idx = try? PackIndexFile(bytes: bytes, checksum: true), idx.packSize == size else {
                lock.lock(); unreadable.append(name); lock.unlock(); return
            }
            lock.lock(); packs.append(Pack(name: name, size: size, modified: t.modified, entries: idx.entries)); lock.unlock()
        }
        return (packs.sorted { $0.name < $1.name }, dangling.sorted(), unreadable.sorted())
    }
}
