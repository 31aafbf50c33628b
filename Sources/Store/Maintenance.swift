import Foundation
import MLOpsBasics

extension Store {
    /// A directory's full listing, read from its top object and pieces.
    public func directory(_ id: ObjectID) throws -> DirManifest {
        let (kind, top) = try read(id)
        guard kind == .dirManifest else {
            throw MLOpsError("object \(id.hex) is a \(kind), not a directory", hint: "the pointer is wrong; run `git mlops fsck`")
        }
        let t = try DirManifest.decodeTop(top, id: id)
        var entries: [DirEntry] = []
        entries.reserveCapacity(min(t.files, 1 << 16))  // a count from outside: never trust it for memory
        for p in t.pieces {
            let (pk, bytes) = try read(p.id)
            guard pk == .dirPiece else { throw CorruptObjectError(id: p.id, pack: "-", reason: "not a directory piece") }
            let part = try DirManifest.decodePiece(bytes, id: p.id)
            guard part.count == p.count else { throw CorruptObjectError(id: p.id, pack: "-", reason: "entry count differs from its directory") }
            entries.append(contentsOf: part)
        }
        return DirManifest(sortedEntries: entries)
    }

    /// Every object needed to rebuild `roots` (files or directories), roots included.
    /// Objects that are referenced but absent are returned in `missing`.
    public func closure(of roots: [ObjectID]) -> (objects: Set<ObjectID>, missing: Set<ObjectID>) {
        var seen = Set<ObjectID>()
        var missing = Set<ObjectID>()
        // A root's profile (when there is one) is part of its closure: it travels and is kept with it.
        var stack = roots + roots.map(ProfileObject.key).filter(contains)
        while let id = stack.popLast() {
            guard seen.insert(id).inserted else { continue }
            guard let loc = locate(id) else { missing.insert(id); seen.remove(id); continue }
            switch loc.entry.kind {
            case .chunk: continue
            case .fileManifest:
                guard let m = try? FileManifest.decode(read(loc), id: id) else { continue }
                for c in m.chunks where !seen.contains(c.id) { stack.append(c.id) }
            case .dirManifest:
                guard let t = try? DirManifest.decodeTop(read(loc), id: id) else { continue }
                for p in t.pieces { stack.append(p.id) }
            case .dirPiece:
                guard let bytes = try? read(loc), let es = try? DirManifest.decodePiece(bytes, id: id) else { continue }
                for e in es where !seen.contains(e.id) { stack.append(e.id) }
            case .profile:
                stack += (try? ProfileObject.decode(read(loc), key: id).partKeys) ?? []
            }
        }
        return (seen, missing)
    }

    // MARK: gc

    public struct GCReport: Sendable {
        public var packsBefore = 0
        public var packsAfter = 0
        public var objectsRemoved = 0
        public var bytesRemoved: Int64 = 0
        public var objectsKept = 0
        public var bytesKept: Int64 = 0
    }

    /// Keeps exactly the objects in `keep`, rewriting packs that hold some garbage and merging small packs.
    /// The caller holds the store lock exclusively. New packs are durable before any old one is removed.
    /// Leftovers in `tmp/` go first and the multi-pack index is rewritten last, so gc frees space on a
    /// full disk instead of failing there.
    public func repack(keep: Set<ObjectID>, dryRun: Bool) throws -> GCReport {
        var report = GCReport()
        if !dryRun { try cleanTemporaryFiles() }
        let names = packNames
        report.packsBefore = names.count
        var rewrite: [(String, [IndexEntry])] = []
        var drop: [String] = []
        var keepWhole: [String] = []
        var seen = Set<ObjectID>()
        for name in names {
            let entries = try indexEntries(pack: name)
            // An object kept in an earlier pack is garbage here (duplicates from concurrent writers).
            let live = entries.filter { keep.contains($0.id) && !seen.contains($0.id) }
            for e in live { seen.insert(e.id) }
            for e in entries where !live.contains(where: { $0.id == e.id }) {
                report.objectsRemoved += 1
                report.bytesRemoved += Int64(e.recordSize)
            }
            for e in live { report.objectsKept += 1; report.bytesKept += Int64(e.recordSize) }
            let liveBytes = live.reduce(Int64(0)) { $0 + Int64($1.recordSize) }
            if live.isEmpty { drop.append(name) }
            else if live.count == entries.count && liveBytes >= PackFormat.targetPackSize / 4 { keepWhole.append(name) }
            else { rewrite.append((name, live)) }
        }
        // Small packs that are all live are merged only when there are several of them.
        if rewrite.count == 1, let only = rewrite.first, only.1.count == (try indexEntries(pack: only.0)).count {
            keepWhole.append(only.0)
            rewrite = []
        }
        if dryRun {
            report.packsAfter = keepWhole.count + Int((rewrite.reduce(Int64(0)) { $0 + $1.1.reduce(0) { $0 + Int64($1.recordSize) } } + PackFormat.targetPackSize - 1) / PackFormat.targetPackSize)
            return report
        }
        if !rewrite.isEmpty {
            let w = writer()
            do {
                for (name, live) in rewrite {
                    let pack = packFile(name)
                    for e in live.sorted(by: { $0.offset < $1.offset }) {
                        let rec = try pack.readRecord(e)
                        _ = try rec.withUnsafeBytes { r in
                            try w.putStored(id: e.id, kind: e.kind, codec: e.codec, rawSize: e.rawSize,
                                            stored: UnsafeRawBufferPointer(rebasing: r[PackFormat.recordHeaderSize...]))
                        }
                    }
                }
                try w.finish()
            } catch {
                w.abandon()
                throw error
            }
        }
        let gone = Set(drop + rewrite.map(\.0))
        // No multi-pack index may name a removed pack: drop it first (the per-pack indexes cover every
        // pack meanwhile, and removing it needs no space), then write it anew for what is left.
        if !gone.isEmpty { try dropMultiIndex() }
        for name in gone {
            try FS.remove("\(packsDir)/\(name).idx")
            try FS.remove("\(packsDir)/\(name).pack")
        }
        FS.syncDirectory(packsDir)
        forgetPacks(gone)
        try reload()
        try writeMultiIndex(packs: packNames)
        report.packsAfter = packNames.count
        return report
    }

    /// Removes leftovers of interrupted writes. Only safe while holding the store lock exclusively.
    public func cleanTemporaryFiles() throws {
        for e in try FS.listDirectory(tmpDir) { try? FS.removeTree("\(tmpDir)/\(e.name)") }
    }

    // MARK: fsck

    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        public enum Kind: String, Sendable { case corrupt, missing, badIndex = "bad-index" }
        public var kind: Kind
        public var id: ObjectID?
        public var pack: String?
        public var detail: String
        public init(kind: Kind, id: ObjectID?, pack: String?, detail: String) {
            self.kind = kind; self.id = id; self.pack = pack; self.detail = detail
        }
        public var description: String {
            var s = "\(kind.rawValue)"
            if let id { s += " \(id.hex)" }
            if let pack { s += " (pack \(pack))" }
            return s + ": " + detail
        }
    }

    public struct FsckReport: Sendable {
        public var objects = 0
        public var bytes: Int64 = 0
        public var problems: [Problem] = []
    }

    /// Re-hashes every object in every pack, checks every manifest's references, and rebuilds each file
    /// listed by a manifest to check its whole-file hash.
    public func fsck(progress: ProgressMeter? = nil, threads: Int = Ingester.defaultThreads) throws -> FsckReport {
        var report = FsckReport()
        let lock = NSLock()
        var manifests: [(ObjectID, FileManifest)] = []
        var bad = Set<ObjectID>()
        var dirRefs: [(ObjectID, [ObjectID])] = []
        let names = packNames
        let next = AtomicCounter()
        DispatchQueue.concurrentPerform(iterations: min(threads, max(1, names.count))) { _ in
            while true {
                let k = next.increment()
                guard k < names.count else { return }
                let name = names[k]
                var local = FsckReport()
                var localManifests: [(ObjectID, FileManifest)] = []
                var localBad: [ObjectID] = []
                var localDirs: [(ObjectID, [ObjectID])] = []
                let index: PackIndex
                do { index = try PackIndex(path: "\(packsDir)/\(name).idx", name: name, verifyChecksum: true) } catch {
                    local.problems.append(Problem(kind: .badIndex, id: nil, pack: name, detail: "\(error)"))
                    lock.lock(); report.problems += local.problems; lock.unlock()
                    continue
                }
                let entries = index.entries
                let pack = packFile(name)
                let size = FS.stat("\(packsDir)/\(name).pack")?.size
                if size != index.packSize {
                    let what = size.map { "is \($0) bytes" } ?? "is missing"
                    local.problems.append(Problem(kind: .corrupt, id: nil, pack: name, detail: "the pack \(what), its index says \(index.packSize)"))
                }
                for e in entries.sorted(by: { $0.offset < $1.offset }) {
                    local.objects += 1
                    local.bytes += Int64(e.recordSize)
                    do {
                        let rec = try pack.readRecord(e)
                        let bytes = try decode(record: rec, entry: e, pack: name)
                        switch e.kind {
                        case .fileManifest: localManifests.append((e.id, try FileManifest.decode(bytes, id: e.id)))
                        case .dirManifest: localDirs.append((e.id, try DirManifest.decodeTop(bytes, id: e.id).pieces.map(\.id)))
                        case .dirPiece: localDirs.append((e.id, try DirManifest.decodePiece(bytes, id: e.id).map(\.id)))
                        case .profile: localDirs.append((e.id, try ProfileObject.decode(bytes, key: e.id).partKeys))
                        case .chunk: break
                        }
                    } catch let c as CorruptObjectError {
                        local.problems.append(Problem(kind: .corrupt, id: e.id, pack: name, detail: c.reason))
                        localBad.append(e.id)
                    } catch {
                        local.problems.append(Problem(kind: .corrupt, id: e.id, pack: name, detail: "\(error)"))
                        localBad.append(e.id)
                    }
                    progress?.add(bytes: Int64(e.recordSize), items: 1)
                }
                lock.lock()
                report.objects += local.objects
                report.bytes += local.bytes
                report.problems += local.problems
                manifests += localManifests
                bad.formUnion(localBad)
                dirRefs += localDirs
                lock.unlock()
            }
        }
        for (owner, refs) in dirRefs {
            for r in refs where !contains(r) {
                report.problems.append(Problem(kind: .missing, id: r, pack: nil, detail: "referenced by directory manifest \(owner.short)"))
            }
        }
        let mat = Materializer(store: self, threads: 1)
        let devnull = try FileDescriptor.open("/dev/null", O_WRONLY)
        for (id, m) in manifests {
            let absent = m.chunks.filter { !contains($0.id) }
            if !absent.isEmpty {
                for c in absent {
                    report.problems.append(Problem(kind: .missing, id: c.id, pack: nil, detail: "chunk of file \(id.short)"))
                }
                continue
            }
            if m.chunks.contains(where: { bad.contains($0.id) }) { continue }
            do { try mat.stream(id, size: m.size, to: devnull) } catch {
                report.problems.append(Problem(kind: .corrupt, id: id, pack: nil, detail: "file manifest does not rebuild its file (\(error))"))
            }
        }
        report.problems.sort { ($0.id?.hex ?? "", $0.detail) < ($1.id?.hex ?? "", $1.detail) }
        return report
    }

    // MARK: repair

    public struct SalvageReport: Sendable {
        /// Packs removed from the store.
        public var dropped: [String] = []
        /// Objects of those packs that verified and were copied into new packs.
        public var salvaged = 0
        /// Objects of those packs that could not be read or did not verify, and are now absent.
        public var lost: Set<ObjectID> = []
    }

    /// Removes damaged packs (corrupt objects, a bad index, a wrong size) from the store, after copying
    /// every object of theirs that still verifies into new packs (durable first). A pack whose index
    /// cannot be read is scanned record by record: records carry their own id and sizes. The caller
    /// holds the store lock exclusively.
    public func dropDamagedPacks(_ names: Set<String>) throws -> SalvageReport {
        var report = SalvageReport()
        guard !names.isEmpty else { return report }
        var sound = Set<ObjectID>()
        for name in packNames where !names.contains(name) {
            for e in (try? indexEntries(pack: name)) ?? [] { sound.insert(e.id) }
        }
        var seen = Set<ObjectID>(), kept = Set<ObjectID>()
        let writer = self.writer()
        do {
            for name in names.sorted() {
                let pack = packFile(name)
                let entries = (try? indexEntries(pack: name, verify: true)) ?? scanRecords(pack)
                for e in entries.sorted(by: { $0.offset < $1.offset }) where !sound.contains(e.id) && !kept.contains(e.id) {
                    seen.insert(e.id)
                    guard let record = try? pack.readRecord(e), (try? decode(record: record, entry: e, pack: name)) != nil else { continue }
                    try record.withUnsafeBytes { r in
                        _ = try writer.putStored(id: e.id, kind: e.kind, codec: e.codec, rawSize: e.rawSize,
                                                 stored: UnsafeRawBufferPointer(rebasing: r[PackFormat.recordHeaderSize...]))
                    }
                    kept.insert(e.id)
                }
            }
            try writer.finish()
        } catch {
            writer.abandon()
            throw error
        }
        report.salvaged = kept.count
        report.lost = seen.subtracting(kept)
        // No multi-pack index may name a removed pack: drop it, remove the packs, write it anew.
        let hadMultiIndex = FS.exists(midxPath)
        try dropMultiIndex()
        for name in names.sorted() {
            try FS.remove("\(packsDir)/\(name).idx")
            try FS.remove("\(packsDir)/\(name).pack")
            report.dropped.append(name)
        }
        FS.syncDirectory(packsDir)
        forgetPacks(names)
        try reload()
        if hadMultiIndex { try writeMultiIndex(packs: packNames) }
        return report
    }

    /// Largest decoded size a record found without an index may claim (decoding allocates it): far more
    /// than a chunk (256 KiB) or the manifest of a 100 GB file.
    static let largestScannedObject = 256 << 20

    /// Index rows rebuilt from a pack's record headers, up to the first one that does not parse.
    func scanRecords(_ pack: PackFile) -> [IndexEntry] {
        guard let fd = try? pack.descriptor(), let size = fd.stat()?.size,
              (try? fd.pread(count: PackFormat.headerSize, offset: 0)) == PackFormat.header() else { return [] }
        var out: [IndexEntry] = []
        var off = Int64(PackFormat.headerSize)
        while off + Int64(PackFormat.recordHeaderSize) <= size {
            guard let bytes = try? fd.pread(count: PackFormat.recordHeaderSize, offset: off),
                  let h = bytes.withUnsafeBytes({ PackFormat.parseRecordHeader($0) }),
                  Int64(h.storedSize) <= size - off - Int64(PackFormat.recordHeaderSize),
                  h.rawSize <= Store.largestScannedObject else { break }
            out.append(IndexEntry(id: h.id, offset: off, storedSize: h.storedSize, rawSize: h.rawSize, kind: h.kind, codec: h.codec))
            off += Int64(PackFormat.recordHeaderSize + h.storedSize)
        }
        return out
    }
}
