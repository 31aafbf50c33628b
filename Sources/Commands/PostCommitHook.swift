import Lineage
import Validation
import MLOpsBasics
import Workspace

/// `git mlops hook post-commit`: attaches pending run records to the new commit when it holds what ran.
/// Never fails the commit.
func postCommitHook(_ args: [String]) throws {
    guard let repo = try? Repo.open() else { return }
    do {
        for line in try PostCommit.handle(repo: repo) { Terminal.err(line) }
        for line in try ValidationHooks.recordBypass(repo: repo) { Terminal.err(line) }
    } catch {
        Terminal.warn("git-mlops post-commit: \(error)")
    }
}
