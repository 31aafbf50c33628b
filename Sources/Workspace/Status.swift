import MLOpsBasics
import Store

/// How a tracked path differs from its pointer.
public struct StatusEntry: Sendable, Equatable {
    public enum State: String, Sendable {
        /// The workspace data differs from the pointer.
        case modified
        /// The pointer exists but the data is not in the workspace.
        case missing = "missing-from-workspace"
        /// The pointer's data is not in the cache (fetch it from a remote).
        case notInCache = "missing-from-cache"
        /// The pointer's data is in a damaged pack (`git mlops fsck --repair` restores it).
        case damaged = "damaged-in-cache"
        /// A checkout of it was interrupted: the data is partly old, and `git mlops checkout` finishes it.
        case interrupted = "checkout-interrupted"
    }
    public var path: String
    public var state: State
    /// For a modified directory: files added, removed and changed, when the old listing is in the cache.
    public var added = 0, removed = 0, changed = 0

    public var json: JSON {
        var o: [String: JSON] = ["path": .string(path), "state": .string(state.rawValue)]
        if state == .modified && (added + removed + changed) > 0 {
            o["added"] = JSON(added); o["removed"] = JSON(removed); o["changed"] = JSON(changed)
        }
        return .object(o)
    }
}

extension Repo {
    /// Every tracked path that is modified, missing from the workspace or missing from the cache.
    /// Unchanged files are never read: the stat cache answers for them.
    public func status(_ userPaths: [String] = [], cwd: String = FS.currentDirectory) throws -> [StatusEntry] {
        let tracked = try select(try workspacePointers(), userPaths, cwd: cwd)
        let lock = try lockStore()
        defer { lock.release() }
        let hasher = fileHasher()
        let marker = PendingCheckout(self)
        let pending = marker.load()
        var clean = Set<RepoPath>()
        var out: [StatusEntry] = []
        for t in tracked {
            if !store.contains(t.pointer.id) { out.append(StatusEntry(path: t.path, state: .notInCache)) }
            else if store.damage(of: t.pointer.id) != nil { out.append(StatusEntry(path: t.path, state: .damaged)) }
            let current = try currentState(of: t, hasher: hasher)
            if current?.id == t.pointer.id { clean.insert(t.location); continue }
            if pending.contains(t.location) {
                out.append(StatusEntry(path: t.path, state: .interrupted))
                continue
            }
            guard let (_, manifest) = current else {
                out.append(StatusEntry(path: t.path, state: .missing))
                continue
            }
            var e = StatusEntry(path: t.path, state: .modified)
            if let manifest, let old = try? store.directory(t.pointer.id) {
                let d = DirectoryDiff(old: old, new: manifest)
                e.added = d.added.count; e.removed = d.removed.count; e.changed = d.modified.count
            }
            out.append(e)
        }
        try statCache.save()
        // Paths that match their pointers again are no longer interrupted (unless a checkout runs now).
        if !pending.isDisjoint(with: clean), let ws = try? FileLock(path: worktreeState + "/workspace.lock", wait: false) {
            try? marker.save(marker.load().subtracting(clean))
            ws.release()
        }
        return out.sorted { ($0.path, $0.state.rawValue) < ($1.path, $1.state.rawValue) }
    }
}

/// Entry-level differences between two directory listings.
public struct DirectoryDiff {
    public var added: [DirEntry] = []
    public var removed: [DirEntry] = []
    public var modified: [(old: DirEntry, new: DirEntry)] = []

    public init(old: DirManifest, new: DirManifest) {
        var i = 0, j = 0
        let a = old.entries, b = new.entries
        while i < a.count || j < b.count {
            if j >= b.count || (i < a.count && pathLess(a[i].path, b[j].path)) { removed.append(a[i]); i += 1 }
            else if i >= a.count || pathLess(b[j].path, a[i].path) { added.append(b[j]); j += 1 }
            else {
                if a[i].id != b[j].id || a[i].executable != b[j].executable { modified.append((a[i], b[j])) }
                i += 1; j += 1
            }
        }
    }
}
