import GitBridge
import MLOpsBasics
import Workspace

/// The post-commit hook's work: attach pending run records to the new commit when it holds what ran.
public enum PostCommit {
    /// Attaches what matches and returns the lines to show: what was attached, and for runs made on
    /// the previous commit that stay pending, why.
    public static func handle(repo: Repo) throws -> [String] {
        guard let head = repo.git.head else { return [] }
        let journal = Journal(repo: repo)
        let (attached, kept) = try journal.attachPending(to: head)
        var lines: [String] = []
        if !attached.isEmpty {
            let stages = attached.map(\.stage)
            lines.append("git-mlops: attached \(attached.count) run record\(attached.count == 1 ? "" : "s") (\(stages.joined(separator: ", "))) to \(head.short)")
        }
        let parent = (try? repo.git.commitInfo(head))?.parents.first
        for (r, why) in kept where r.commit != nil && r.commit == parent?.hex {
            lines.append("git-mlops: run \(r.shortID) (\(r.stage)) stays pending: \(why) in this commit")
        }
        for p in journal.problems { lines.append("git-mlops: warning: \(p)") }
        return lines
    }
}
