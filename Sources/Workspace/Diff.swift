import GitBridge
import MLOpsBasics
import Store

public struct DiffEntry: Sendable, Equatable {
    public enum Change: String, Sendable { case added, removed, modified }
    public var path: String
    public var change: Change
    public var oldSize: Int64?
    public var newSize: Int64?

    public var json: JSON {
        var o: [String: JSON] = ["path": .string(path), "change": .string(change.rawValue)]
        if let oldSize { o["old_size"] = JSON(oldSize) }
        if let newSize { o["new_size"] = JSON(newSize) }
        return .object(o)
    }
}

extension Repo {
    /// Tracked files added, removed and modified between two sides, each a revision or (nil) the workspace
    /// data. Directories are compared file by file when both listings are in the cache.
    public func diff(from a: String? = "HEAD", to b: String? = nil) throws -> [DiffEntry] {
        let lock = try lockStore()
        defer { lock.release() }
        let hasher = fileHasher()
        let left = try side(a, hasher: hasher), right = try side(b, hasher: hasher)
        try statCache.save()
        var out: [DiffEntry] = []
        for path in Set(left.keys).union(right.keys).sorted(by: pathLess) {
            let l = left[path], r = right[path]
            switch (l, r) {
            case let (nil, r?): out += expand(path, r, as: .added)
            case let (l?, nil): out += expand(path, l, as: .removed)
            case let (l?, r?) where l.id != r.id:
                if let lm = l.listing ?? l.dirListing(store), let rm = r.listing ?? r.dirListing(store) {
                    let d = DirectoryDiff(old: lm, new: rm)
                    out += d.added.map { DiffEntry(path: path + "/" + $0.path, change: .added, newSize: $0.size) }
                    out += d.removed.map { DiffEntry(path: path + "/" + $0.path, change: .removed, oldSize: $0.size) }
                    out += d.modified.map { DiffEntry(path: path + "/" + $0.new.path, change: .modified, oldSize: $0.old.size, newSize: $0.new.size) }
                } else {
                    out.append(DiffEntry(path: path, change: .modified, oldSize: l.size, newSize: r.size))
                }
            default: continue
            }
        }
        return out.sorted { pathLess($0.path, $1.path) }
    }

    /// One side's state: what each tracked path holds.
    struct SideItem {
        var id: ObjectID
        var size: Int64
        var isDir: Bool
        var listing: DirManifest?
        func dirListing(_ store: Store) -> DirManifest? { isDir ? try? store.directory(id) : nil }
    }

    private func side(_ rev: String?, hasher: FileHasher) throws -> [String: SideItem] {
        var out: [String: SideItem] = [:]
        if let rev {
            let commit = try git.resolveCommit(rev)
            for t in try pointers(at: commit) {
                out[t.path] = SideItem(id: t.pointer.id, size: t.pointer.size, isDir: t.pointer.kind == .dir)
            }
            return out
        }
        for t in try workspacePointers() {
            guard let (id, manifest) = try currentState(of: t, hasher: hasher) else { continue }
            let isDir = t.pointer.kind == .dir
            let size = manifest?.totalSize ?? (isDir ? t.pointer.size : FS.lstat(absolute(t.path))?.size ?? 0)
            out[t.path] = SideItem(id: id, size: size, isDir: isDir, listing: manifest)
        }
        return out
    }

    private func expand(_ path: String, _ item: SideItem, as change: DiffEntry.Change) -> [DiffEntry] {
        if let m = item.listing ?? item.dirListing(store) {
            return m.entries.map {
                DiffEntry(path: path + "/" + $0.path, change: change,
                          oldSize: change == .removed ? $0.size : nil, newSize: change == .added ? $0.size : nil)
            }
        }
        return [DiffEntry(path: path, change: change, oldSize: change == .removed ? item.size : nil,
                          newSize: change == .added ? item.size : nil)]
    }
}
