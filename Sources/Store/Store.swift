import MLOpsBasics
import ObjectStore

/// The cache in `.git/mlops` as files and directories: an `ObjectDatabase` whose objects are chunks,
/// file manifests and directory listings (see `Store.references`), with the verbs that need to know
/// that: listing a directory, the closure gc keeps, fsck that rebuilds files, a quick damage check.
/// Ingest (`Ingester`, `FileHasher`) and checkout (`Materializer`) work on it.
public final class Store: ObjectDatabase, @unchecked Sendable {
    /// Opens the cache at `root`, creating it when missing.
    @discardableResult
    public static func create(at root: String, tuning: Tuning = Tuning()) throws -> Store {
        try Store(creating: root, tuning: tuning)
    }

    /// A quick check of what reading `id` needs, short of re-reading the data: the packs holding it and
    /// what it lists directly are as long as their indexes say (a truncated pack), and a manifest reads
    /// and verifies (a chunk is not re-hashed: only its record header is compared with the index).
    /// Nil when all is well; `status` runs it per pointer.
    public func damage(of id: ObjectID) -> CorruptObjectError? {
        guard let loc = locate(id) else { return nil }
        if loc.entry.kind == .chunk { return recordDamage(loc) }
        if let e = packDamage(loc.pack.name, id) { return e }
        let bytes: [UInt8]
        do { bytes = try read(loc) } catch {
            return error as? CorruptObjectError ?? CorruptObjectError(id: id, pack: loc.pack.name, reason: "\(error)")
        }
        let listed = (try? Store.references(of: loc.entry.kind, id: id) { bytes }) ?? []
        for c in listed {
            if let l = locate(c), let e = packDamage(l.pack.name, c) { return e }
        }
        return nil
    }
}
