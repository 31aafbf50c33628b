extension Repo {
    /// The fix for data a remote lacks. A plain `git mlops push` sends only HEAD's and the workspace's
    /// data, so the hint names the revisions that need it (HEAD here: the same commit in the clone
    /// that has the data), or `--all-commits`.
    func missingDataHint(revs: [String], then again: String) -> String {
        let named = revs.isEmpty ? (git.head.map { [$0.short] } ?? []) : revs
        let push = named.isEmpty ? "`git mlops push --all-commits`"
            : "`git mlops push \(named.map { "--rev " + ShellQuoting.quote($0) }.joined(separator: " "))` or `--all-commits`"
        return "push them from a clone that has them (\(push) there; a plain push sends only HEAD and the workspace), then \(again) again"
    }
}
