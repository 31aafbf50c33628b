import Foundation
import MLOpsBasics
import ObjectStore

/// What the objects mean: which kinds list others, a directory's listing, the closure gc keeps, and
/// the fsck that rebuilds files. Adding an object kind (see docs/architecture.md) touches
/// `references` here and its encoder; the object database below needs only its tag.
extension Store {
    /// What an object lists: the chunks of a file manifest, the pieces of a directory, the files of a
    /// piece; nothing for a chunk (its bytes are never read to find out). The one place that knows
    /// which kinds refer to others: closure, fsck, the damage check and fetch all walk through it.
    public static func references(of kind: ObjectKind, id: ObjectID, _ bytes: () throws -> [UInt8]) throws -> [ObjectID] {
        switch kind {
        case .chunk: return []
        case .fileManifest: return try FileManifest.decode(bytes(), id: id).chunks.map(\.id)
        case .dirManifest: return try DirManifest.decodeTop(bytes(), id: id).pieces.map(\.id)
        case .dirPiece: return try DirManifest.decodePiece(bytes(), id: id).map(\.id)
        }
    }

    /// What the stored object `id` lists (see `references`); empty when it is absent or unreadable.
    public func references(of id: ObjectID) -> [ObjectID] {
        guard let loc = locate(id) else { return [] }
        return (try? Store.references(of: loc.entry.kind, id: id) { try read(loc) }) ?? []
    }

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
        var stack = roots
        while let id = stack.popLast() {
            guard seen.insert(id).inserted else { continue }
            guard let loc = locate(id) else { missing.insert(id); seen.remove(id); continue }
            guard let listed = try? Store.references(of: loc.entry.kind, id: id, { try read(loc) }) else { continue }
            for r in listed where !seen.contains(r) { stack.append(r) }
        }
        return (seen, missing)
    }

    /// Checks every object (`verifyObjects`: hashes, indexes, pack lengths), that everything a manifest
    /// lists is stored, and that every file manifest rebuilds its file (the whole-file hash).
    public func fsck(progress: ProgressMeter? = nil, threads: Int? = nil) throws -> FsckReport {
        let lock = NSLock()
        var files: [(ObjectID, FileManifest)] = []
        var listings: [(ObjectID, [ObjectID])] = []
        var (report, bad) = try verifyObjects(progress: progress, threads: threads) { e, bytes in
            switch e.kind {
            case .chunk: break
            case .fileManifest:
                let m = try FileManifest.decode(bytes, id: e.id)
                lock.lock(); files.append((e.id, m)); lock.unlock()
            default:
                let listed = try Store.references(of: e.kind, id: e.id) { bytes }
                lock.lock(); listings.append((e.id, listed)); lock.unlock()
            }
        }
        for (owner, refs) in listings {
            for r in refs where !contains(r) {
                report.problems.append(Problem(kind: .missing, id: r, pack: nil, detail: "referenced by directory manifest \(owner.short)"))
            }
        }
        let mat = Materializer(store: self, threads: 1)
        let devnull = try FileDescriptor.open("/dev/null", O_WRONLY)
        defer { devnull.close() }
        for (id, m) in files {
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
}
