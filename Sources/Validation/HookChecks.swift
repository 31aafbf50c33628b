import Foundation
import GitBridge
import Lineage
import MLOpsBasics
import Workspace

/// What the git hooks validate: the pre-commit hook (tracked data modified but not added, then the
/// checks and drift of staged datasets and the gates of staged metrics files), the pre-push hook
/// (the gates of the commits being pushed), and the post-commit hook, which records a commit that
/// skipped a failing validation (`git commit --no-verify`) in the notes.
public enum ValidationHooks {
    public struct PreCommit: Sendable {
        /// Tracked paths whose data differs from their pointer.
        public var modified: [String] = []
        public var report = ValidationReport()
        public var refused: Bool { !modified.isEmpty || !report.passed }
    }

    /// Marks the tree a passing pre-commit validated, for the post-commit hook.
    static func markerPath(_ repo: Repo) -> String { repo.worktreeState + "/validated-tree" }

    /// The pre-commit hook. Fast when nothing relevant is staged: the stat cache answers for the data,
    /// and no data or profile is read.
    public static func preCommit(repo: Repo, baselines: [BaselineProvider] = []) throws -> PreCommit {
        var result = PreCommit()
        try? FS.remove(markerPath(repo))
        result.modified = try repo.status().filter { $0.state == .modified }.map(\.path)
        guard result.modified.isEmpty else { return result }
        let spec = try ValidationSpec.load(root: repo.root)
        guard !spec.isEmpty else { return result }
        let reader = SideReader(repo: repo, side: .staged)
        let changed = try reader.changedPaths()
        let relevant = (!spec.checks.isEmpty && changed.contains { $0.hasSuffix(Pointer.suffix) }) || spec.gates.contains { changed.contains($0.file) }
        guard relevant else { return result }
        var o = ValidationOptions()
        o.side = .staged
        o.changedOnly = true
        o.strict = repo.config.bool("checks.strict", default: false)
        let v = Validator(repo: repo)
        v.baselines = baselines + v.baselines
        result.report = try v.run(o)
        if result.report.passed {
            let tree = try ProcessRunner.capture(["git", "write-tree"], cwd: repo.root)
            if tree.status == 0 { try? FS.writeAtomic(markerPath(repo), tree.stdout, durable: false) }
        }
        return result
    }

    /// The pre-push hook's gates: every commit being pushed (git's ref lines in `input`) that changes a
    /// metrics file with gates is judged on its own, against its first parent's history.
    public static func prePush(repo: Repo, gitRemote: String, input: String, baselines: [BaselineProvider] = []) throws -> ValidationReport {
        var report = ValidationReport()
        let zero = String(repeating: "0", count: 40)
        var tips: [GitOID] = [], hide: [GitOID] = []
        for line in input.split(separator: "\n") {
            let f = line.split(separator: " ")
            guard f.count == 4, !f[0].hasPrefix("refs/notes/"), !f[0].hasPrefix("refs/tags/"), f[1] != zero, let local = GitOID(hex: String(f[1])) else { continue }
            tips.append(local)
            if f[3] != zero, let r = GitOID(hex: String(f[3])), repo.git.hasCommit(r) { hide.append(r) }
        }
        guard !tips.isEmpty else { return report }
        hide += try repo.git.references(prefixes: ["refs/remotes/\(gitRemote)/"]).map(\.commit)
        let commits = try repo.git.commits(reachableFrom: tips, hiding: hide)
        let v = Validator(repo: repo)
        v.baselines = baselines + v.baselines
        for c in commits.reversed() {
            var o = ValidationOptions()
            o.side = .commit(c)
            o.changedOnly = true
            o.dataChecks = false
            for var f in try v.run(o).findings {
                f.subject = "\(c.short):\(f.subject)"
                report.findings.append(f)
            }
        }
        return report
    }

    /// The post-commit hook: when HEAD was not validated by the pre-commit hook (it was skipped with
    /// `--no-verify`, or is not installed) and its changes fail their checks, appends a `bypass` entry
    /// to HEAD's note (docs/validation.md) and returns a line saying so. Only what profiles answer is
    /// checked here: no command runs and no data is read.
    public static func recordBypass(repo: Repo) throws -> [String] {
        guard let head = repo.git.head else { return [] }
        let marker = markerPath(repo)
        let validated = (try? FS.readText(marker))?.trimmingCharacters(in: .whitespacesAndNewlines)
        try? FS.remove(marker)
        if let validated, validated == (try repo.git.commitInfo(head).tree.hex) { return [] }
        var o = ValidationOptions()
        o.side = .commit(head)
        o.changedOnly = true
        o.readData = false
        o.commands = false
        let report = try Validator(repo: repo).run(o)
        guard !report.passed else { return [] }
        let failed = report.failures
        try Journal(repo: repo).appendValidationEntry(kind: "bypass", fields: [
            "failed": .array(failed.map { .string($0.line) }),
            "findings": .array(failed.map(\.json)),
        ], to: head)
        return ["git-mlops: commit \(head.short) was made past failing checks: \(failed[0].line)"
                + (failed.count > 1 ? " (and \(failed.count - 1) more)" : "") + "; recorded in \(Repo.notesRef)"]
    }

    /// Bypass entries of the notes on `commits` (newest first), for the audit trail.
    public static func bypasses(repo: Repo, on commits: [GitOID]) -> [(commit: GitOID, entry: JSON)] {
        let journal = Journal(repo: repo)
        return commits.flatMap { c in journal.validationEntries(on: c).filter { $0["kind"]?.string == "bypass" }.map { (c, $0) } }
    }
}
