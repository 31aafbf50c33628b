import Foundation
import MLOpsBasics

extension ObjectDatabase {
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
            else if live.count == entries.count && liveBytes >= tuning.packSize / 4 { keepWhole.append(name) }
            else { rewrite.append((name, live)) }
        }
        // Small packs that are all live are merged only when there are several of them.
        if rewrite.count == 1, let only = rewrite.first, only.1.count == (try indexEntries(pack: only.0)).count {
            keepWhole.append(only.0)
            rewrite = []
        }
        if dryRun {
            report.packsAfter = keepWhole.count + Int((rewrite.reduce(Int64(0)) { $0 + $1.1.reduce(0) { $0 + Int64($1.recordSize) } } + tuning.packSize - 1) / tuning.packSize)
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

    /// Re-hashes every object in every pack (or checks its check line; see `ObjectKind.verification`),
    /// checks every index and every pack's length. `visit` gets each object that verified, with its
    /// bytes, on any of `threads` threads; what it throws is reported as a corrupt object. `bad` holds
    /// the ids of the objects that failed.
    public func verifyObjects(progress: ProgressMeter? = nil, threads: Int? = nil,
                              visit: @escaping (IndexEntry, [UInt8]) throws -> Void = { _, _ in }) throws -> (report: FsckReport, bad: Set<ObjectID>) {
        var report = FsckReport()
        let lock = NSLock()
        var bad = Set<ObjectID>()
        let names = packNames
        try parallel(names.count, width: threads ?? tuning.threads) { [self] k in
            let name = names[k]
            var local = FsckReport()
            var localBad: [ObjectID] = []
            defer {
                lock.lock()
                report.objects += local.objects
                report.bytes += local.bytes
                report.problems += local.problems
                bad.formUnion(localBad)
                lock.unlock()
            }
            let index: PackIndex
            do { index = try PackIndex(path: "\(packsDir)/\(name).idx", name: name, verifyChecksum: true) } catch {
                local.problems.append(Problem(kind: .badIndex, id: nil, pack: name, detail: "\(error)"))
                return
            }
            let pack = packFile(name)
            let size = FS.stat("\(packsDir)/\(name).pack")?.size
            if size != index.packSize {
                let what = size.map { "is \($0) bytes" } ?? "is missing"
                local.problems.append(Problem(kind: .corrupt, id: nil, pack: name, detail: "the pack \(what), its index says \(index.packSize)"))
            }
            for e in index.entries.sorted(by: { $0.offset < $1.offset }) {
                local.objects += 1
                local.bytes += Int64(e.recordSize)
                do {
                    let rec = try pack.readRecord(e)
                    try visit(e, try decode(record: rec, entry: e, pack: name))
                } catch let c as CorruptObjectError {
                    local.problems.append(Problem(kind: .corrupt, id: e.id, pack: name, detail: c.reason))
                    localBad.append(e.id)
                } catch {
                    local.problems.append(Problem(kind: .corrupt, id: e.id, pack: name, detail: "\(error)"))
                    localBad.append(e.id)
                }
                progress?.add(bytes: Int64(e.recordSize), items: 1)
            }
        }
        return (report, bad)
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
                  h.rawSize <= ObjectDatabase.largestScannedObject else { break }
            out.append(IndexEntry(id: h.id, offset: off, storedSize: h.storedSize, rawSize: h.rawSize, kind: h.kind, codec: h.codec))
            off += Int64(PackFormat.recordHeaderSize + h.storedSize)
        }
        return out
    }
}
