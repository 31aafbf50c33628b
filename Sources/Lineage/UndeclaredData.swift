import Workspace

extension Reproducer {
    /// What to add to a failed re-run's reason when tracked data in the worktree was left as a pointer
    /// because the record does not name it: only declared dependencies are materialized, so a command
    /// that reads undeclared data fails there. "" when there is none.
    static func undeclaredDataNote(stage: String, pointers: [Tracked], materialized: [String]) -> String {
        let left = pointers.map(\.path).filter { p in !materialized.contains(p) }.sorted()
        guard !left.isEmpty else { return "" }
        let named = left.prefix(5).joined(separator: ", ") + (left.count > 5 ? " and \(left.count - 5) more" : "")
        return "; only declared dependencies are materialized in the temporary worktree, and stage '\(stage)' does not declare "
            + "\(named) (tracked there as \(left.count == 1 ? "a pointer" : "pointers") only): if its command reads \(left.count == 1 ? "it" : "them"), "
            + "add \(left.count == 1 ? "it" : "them") to the stage's deps in mlops.yaml (or `git mlops stage add --force ... -d PATH`) and run it again"
    }
}
