import MLOpsBasics

/// A path `remove` stopped tracking.
public struct Untracked: JSONRepresentable, Sendable {
    public var path: String
    /// The pointer file removed.
    public var pointer: String
    /// The `.gitignore` that no longer lists the path (removed when nothing else was in it).
    public var gitignore: String?
    /// Whether the workspace data was deleted too.
    public var dataDeleted: Bool

    public var json: JSON {
        ["path": .string(path), "pointer": .string(pointer), "gitignore": JSON(gitignore), "data_deleted": .bool(dataDeleted)]
    }
}

extension Repo {
    /// `git mlops remove PATH...`: stops tracking each path: removes its pointer and its line in the
    /// `.gitignore` beside it, and keeps the data in the workspace (for git or nothing to track) or,
    /// with `deleteData`, deletes it. Deleting data whose content the cache does not hold is refused
    /// unless `force`. Everything is checked before anything changes; the cache is not touched (gc
    /// frees what no commit needs).
    public func untrack(_ userPaths: [String], deleteData: Bool, force: Bool, cwd: String = FS.currentDirectory) throws -> [Untracked] {
        let all = try workspacePointers()
        var chosen: [Tracked] = []
        for u in userPaths {
            var rel = try relativePath(u, cwd: cwd)
            if rel.hasSuffix(Pointer.suffix) { rel = Pointer.dataPath(forPointer: rel) }
            guard let t = all.first(where: { $0.path == rel }) else {
                let inside = all.filter { $0.path.hasPrefix(rel + "/") }.map(\.path)
                throw MLOpsError("\(u) is not tracked by git-mlops",
                                 hint: inside.isEmpty ? "`git mlops status` lists tracked paths" : "name the tracked paths inside it: \(inside.prefix(5).joined(separator: ", "))")
            }
            if !chosen.contains(t) { chosen.append(t) }
        }
        if deleteData && !force {
            let entries = try status(chosen.map(\.path), cwd: root)
            let absent = Set(entries.filter { $0.state == .missing }.map(\.path))
            let unsaved = entries.filter { !absent.contains($0.path) }.map(\.path)
            if let first = unsaved.first {
                throw MLOpsError("\(first) holds data that the cache does not (edited since `git mlops add`, or never fetched)",
                                 hint: "`git mlops add \(ShellQuoting.quote(first))` saves it first; `--force` deletes it anyway")
            }
        }
        let wsLock = try lockWorkspace()
        defer { wsLock.release() }
        let tree = workTree()
        var out: [Untracked] = []
        for t in chosen {
            let pointer = try RepoPath(t.pointerPath)
            try tree.remove(pointer)
            let ignore = try unignoreInGit(t.path)
            if deleteData { try tree.remove(t.location) }
            out.append(Untracked(path: t.path, pointer: t.pointerPath, gitignore: ignore, dataDeleted: deleteData))
        }
        let marker = PendingCheckout(self)
        let pending = marker.load()
        let gone = Set(chosen.map(\.location))
        if !pending.isDisjoint(with: gone) { try marker.save(pending.subtracting(gone)) }
        return out
    }

    /// Takes `/NAME` out of the `.gitignore` beside `rel` (the file goes when nothing else is in it).
    /// Returns the file's path when it listed the name.
    func unignoreInGit(_ rel: String) throws -> String? {
        let file = Repo.gitignore(beside: rel)
        let line = "/" + basename(rel)
        let text = try gitignoreText(beside: rel)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let kept = lines.filter { $0.trimmingCharacters(in: .whitespaces) != line }
        guard kept.count != lines.count else { return nil }
        let newText = kept.joined(separator: "\n")
        if newText.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            try workTree().remove(try RepoPath(file))
        } else {
            try FS.writeAtomic(absolute(file), newText)
        }
        return file
    }
}
