import MLOpsBasics
import Store

/// The id of a workspace path as `add` would record it, without storing anything.
public struct PathState: Sendable, Equatable {
    public var id: ObjectID
    public var isDirectory: Bool
    public var size: Int64
    /// Number of files for a directory.
    public var files: Int?
}

extension Repo {
    /// Computes ids as `add` would, storing nothing; remembers what it hashed in the stat cache.
    func fileHasher() -> FileHasher { FileHasher(statCache: statCache, store: store) }

    /// Ids of repository-relative paths (files or directories), using the stat cache so unchanged
    /// files are not read. A path that does not exist maps to nil.
    public func hash(_ rels: [String]) throws -> [String: PathState?] {
        let hasher = fileHasher()
        var out: [String: PathState?] = [:]
        for rel in rels {
            let abs = absolute(rel)
            guard let st = FS.stat(abs) else { out[rel] = .some(nil); continue }
            if st.isDirectory {
                let r = try hasher.directoryID(at: abs, keyPrefix: rel)
                out[rel] = PathState(id: r.id, isDirectory: true, size: r.size, files: r.files)
            } else {
                let r = try hasher.file(at: abs, key: rel)
                out[rel] = PathState(id: r.id, isDirectory: false, size: r.size)
            }
        }
        try statCache.save()
        return out
    }

    /// Makes sure the cache holds everything needed to rebuild these files or directories, fetching
    /// what is missing from the default remote. Throws naming what cannot be found.
    public func ensureObjects(_ ids: [ObjectID]) throws {
        guard !store.closure(of: ids).missing.isEmpty else { return }
        if let spec = try? remote(nil) {
            let lock = try lockStore()
            defer { lock.release() }
            _ = try transfer(to: spec).fetch(roots: ids)
        }
        let missing = store.closure(of: ids).missing
        guard missing.isEmpty else {
            throw MLOpsError("\(counted(missing.count, "object")) \(missing.count == 1 ? "is" : "are") in neither the cache nor the default remote (e.g. \(missing.first!.short))",
                             hint: "push them from a clone that has them, or add the remote that holds them with `git mlops remote add NAME URL --default`")
        }
    }
}
