import Foundation
import MLOpsBasics
import Store

extension Transfer {
    public struct RemoteGCReport: Sendable {
        public var packsBefore = 0
        public var packsKept = 0
        public var packsRewritten = 0
        public var packsRetired = 0
        public var packsDeleted = 0
        public var orphansDeleted = 0
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
    /// to a new pack, then the pack is deleted. Packs without an index (interrupted pushes) older than
    /// `grace` are deleted. Nothing younger than `grace` is touched.
    public func collectGarbage(roots: [ObjectID], grace: TimeInterval, dryRun: Bool) throws -> RemoteGCReport {
        var report = RemoteGCReport()
        try remote.checkFormat(create: false)
        let now = Date()
        var packs = try remote.packs()
        report.packsBefore = packs.count
        let live = try liveObjects(roots: roots, packs: packs)
        let trash = try remote.retry.run(backend, "list", "trash/") { try backend.list(prefix: "trash/") }
        let allPackFiles = try remote.retry.run(backend, "list", "packs/") { try backend.list(prefix: "packs/") }

        // Phase 2 first: retired packs past their grace period, rescuing anything live not found elsewhere.
        var visible = Set<ObjectID>()
        for p in packs { for e in p.entries { visible.insert(e.id) } }
        var rescue: [(pack: String, entry: IndexEntry)] = []
        var expired: [String] = []
        for t in trash where t.name.hasSuffix(".idx") && now.timeIntervalSince(t.modified) >= grace {
            let name = String(t.name.dropFirst("trash/".count).dropLast(4))
            let bytes = try remote.retry.run(backend, "read", t.name) { try backend.get(t.name) }
            let local = "\(remote.cacheDir)/trash-\(name).idx"
            try FS.writeAtomic(local, bytes, durable: false)
            defer { try? FS.remove(local) }
            let entries = (try? PackIndexFile(path: local).entries) ?? []
            for e in entries where live.contains(e.id) && !visible.contains(e.id) {
                rescue.append((name, e)); visible.insert(e.id)
            }
            expired.append(name)
        }

        // Phase 1: visible packs past their grace period that hold garbage.
        var keep = Set<ObjectID>()
        var copy = rescue
        var retire: [String] = []
        for p in packs.sorted(by: { $0.name < $1.name }) {
            let old = now.timeIntervalSince(p.modified) >= grace
            let needed = p.entries.filter { live.contains($0.id) && !keep.contains($0.id) }
            if !old || needed.count == p.entries.count {
                for e in p.entries { keep.insert(e.id) }
                report.packsKept += 1
                continue
            }
            for e in p.entries where !needed.contains(where: { $0.id == e.id }) {
                report.objectsRemoved += 1
                report.bytesRemoved += Int64(e.recordSize)
            }
            for e in needed { keep.insert(e.id); copy.append((p.name, e)) }
            retire.append(p.name)
            if !needed.isEmpty { report.packsRewritten += 1 }
        }
        report.packsRetired = retire.count
        report.objectsRescued = rescue.count
        let referenced = Set(packs.map(\.name) + trash.map { String($0.name.dropFirst("trash/".count).dropLast(4)) })
        let orphans = allPackFiles.filter {
            $0.name.hasSuffix(".pack") && !referenced.contains(String($0.name.dropFirst("packs/".count).dropLast(5)))
                && now.timeIntervalSince($0.modified) >= grace
        }
        report.orphansDeleted = orphans.count
        report.orphansDeleted += try abortStaleUploads(grace: grace, dryRun: dryRun)
        report.packsDeleted = expired.count
        if dryRun { return report }

        // New packs with everything that must survive, uploaded (pack, then index) before anything goes.
        if !copy.isEmpty {
            var builder: PackBuilder? = try PackBuilder(directory: store.tmpDir)
            defer { builder?.discard() }
            func upload() throws {
                guard let b = builder else { return }
                let idx = try b.finish()
                try remote.retry.run(backend, "upload", "packs/\(b.name).pack") { try backend.putFile("packs/\(b.name).pack", from: b.path) }
                try remote.retry.run(backend, "upload", "packs/\(b.name).idx") { try backend.put("packs/\(b.name).idx", bytes: idx) }
                try? FS.remove(b.path)
                builder = nil
            }
            for (pack, e) in copy.sorted(by: { ($0.pack, $0.entry.offset) < ($1.pack, $1.entry.offset) }) {
                let record = try remote.retry.run(backend, "read", "packs/\(pack).pack") {
                    try backend.get("packs/\(pack).pack", range: e.offset..<(e.offset + Int64(e.recordSize)))
                }
                try verify(record: record, entry: e, pack: pack)
                if builder == nil { builder = try PackBuilder(directory: store.tmpDir) }
                try builder!.append(record: record, entry: e)
                if builder!.size >= PackFormat.targetPackSize { try upload() }
            }
            try upload()
        }
        for name in retire {
            let idx = try remote.retry.run(backend, "read", "packs/\(name).idx") { try backend.get("packs/\(name).idx") }
            try remote.retry.run(backend, "write", "trash/\(name).idx") { try backend.put("trash/\(name).idx", bytes: idx) }
            try remote.retry.run(backend, "delete", "packs/\(name).idx") { try backend.delete("packs/\(name).idx") }
        }
        for name in expired {
            try remote.retry.run(backend, "delete", "packs/\(name).pack") { try backend.delete("packs/\(name).pack") }
            try remote.retry.run(backend, "delete", "trash/\(name).idx") { try backend.delete("trash/\(name).idx") }
        }
        for o in orphans {
            try remote.retry.run(backend, "delete", o.name) { try backend.delete(o.name) }
        }
        packs = try remote.packs()
        return report
    }

    /// Everything `roots` need, reading manifests from the local store or, when absent there, from the
    /// remote (they are small; they are kept in the local cache afterwards).
    func liveObjects(roots: [ObjectID], packs: [RemoteStore.Pack]) throws -> Set<ObjectID> {
        var live = Set<ObjectID>()
        var level = Set(roots)
        while !level.isEmpty {
            live.formUnion(level)
            let remoteOnly = level.filter { !store.contains($0) }
            if !remoteOnly.isEmpty {
                let found = remote.locate(Set(remoteOnly), in: packs).filter { $0.value.entry.kind != .chunk }
                let writer = store.writer()
                for (id, v) in found {
                    let e = v.entry
                    let record = try remote.retry.run(backend, "read", "packs/\(v.pack).pack") {
                        try backend.get("packs/\(v.pack).pack", range: e.offset..<(e.offset + Int64(e.recordSize)))
                    }
                    try verify(record: record, entry: e, pack: v.pack)
                    try record.withUnsafeBytes { r in
                        _ = try writer.putStored(id: id, kind: e.kind, codec: e.codec, rawSize: e.rawSize,
                                                 stored: UnsafeRawBufferPointer(rebasing: r[PackFormat.recordHeaderSize...]))
                    }
                }
                try writer.finish()
            }
            var next = Set<ObjectID>()
            for id in level { next.formUnion(children(of: id)) }
            level = next.subtracting(live)
        }
        return live
    }
}
