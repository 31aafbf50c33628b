import MLOpsBasics

extension Repo {
    /// The `.gitignore` that lists a tracked path: the one beside it (`data/.gitignore` for `data/x`).
    public static func gitignore(beside rel: String) -> String {
        let dir = dirname(rel)
        return dir.isEmpty ? ".gitignore" : dir + "/.gitignore"
    }
}

extension AddSummary {
    /// What to `git add` after the add: the pointers, then the `.gitignore` files that list the paths.
    public var filesToCommit: [String] {
        var seen = Set<String>()
        let paths = results.map(\.path)
        return (paths.map { Pointer.pointerPath(forData: $0) } + paths.map(Repo.gitignore(beside:))).filter { seen.insert($0).inserted }
    }
}

extension Untracked {
    /// What to `git add` after `remove`: the removed pointers, then the `.gitignore` files changed.
    public static func filesToCommit(_ removed: [Untracked]) -> [String] {
        var seen = Set<String>()
        return (removed.map(\.pointer) + removed.compactMap(\.gitignore)).filter { seen.insert($0).inserted }
    }
}
