import Foundation
import Lineage
import MLOpsBasics
import Profiling
import Workspace

/// `git mlops drift DATA`: the per-column comparison of a dataset in the working tree with a baseline.
public struct DriftReport: Sendable {
    public var path: String
    /// What it was compared with, for people.
    public var against: String
    public var rule: DriftRule
    public var rows: [DriftRow]

    /// True when some column drifted past its limits.
    public var drifted: Bool { rows.contains { if case .drift = $0.verdict { return true } else { return false } } }

    /// Compares `userPath` (a tracked file or a file inside a tracked directory) with `against`: a
    /// stage, whose newest recorded run read it, or a revision. Without `against`, the stage of the
    /// path's `drift:` rule in mlops.yaml, else the stage of the newest recorded run that read it.
    public static func make(repo: Repo, path userPath: String, against: String?, cwd: String = FS.currentDirectory) throws -> DriftReport {
        let v = Validator(repo: repo)
        let rel = try v.selection(userPath, cwd: cwd)
        let lock = try repo.lockStore()
        defer { lock.release() }
        let access = DataAccess(repo: repo)
        defer { access.close() }
        let tracked = try repo.workspacePointers().map { TrackedData(path: $0.path, pointer: $0.pointer) }
        guard let d = try access.datasets(rel, isGlob: false, in: tracked).first else {
            throw MLOpsError("\(userPath) is not tracked by git-mlops, nor a file inside a tracked directory", hint: "`git mlops status` lists tracked paths")
        }
        let spec = try ValidationSpec.load(root: repo.root)
        let block = spec.checks.first { b in b.drift != nil && (b.target == d.path || b.target == d.container || (b.isGlob && fnmatch(b.target, d.path, FNM_PATHNAME) == 0)) }
        var rule = block?.drift ?? DriftRule(against: "", line: 0)
        let journal = Journal(repo: repo)
        if let against { rule.against = against }
        if rule.against.isEmpty {
            let reads = try journal.history(from: repo.git.head, where: { r in r.inputs.contains { $0.path == d.trackedPath } }).first
            guard let stage = reads?.record.stage else {
                throw MLOpsError("no recorded run read \(d.trackedPath), and \(Pipeline.fileName) names no drift baseline for it",
                                 hint: "name one: `git mlops drift \(userPath) --against STAGE` or `--against REV`")
            }
            rule.against = stage
        }
        let base = try DriftCheck.baseline(for: d, against: rule.against, repo: repo, access: access, journal: journal,
                                           pipeline: try Pipeline.load(root: repo.root), start: repo.git.head)
        let rows = DriftCheck.rows(baseline: try access.profile(base.dataset), current: try access.profile(d), rule: rule)
        return DriftReport(path: d.path, against: "\(base.label) (sha256:\(base.dataset.id.short))", rule: rule, rows: rows)
    }

    public var text: String {
        var out = "\(path) against \(against)\n"
        let rows = self.rows.map { r -> [String] in
            let verdict: String
            switch r.verdict {
            case .pass: verdict = "ok"
            case .drift(let why): verdict = "DRIFT: " + why.joined(separator: ", ")
            case .skipped(let why): verdict = "not compared: " + why
            }
            let f = { (d: Double?) in d.map(DataRules.format) ?? "-" }
            return [r.drift.column, r.drift.method?.rawValue ?? "-", f(r.drift.psi), f(r.drift.ks), f(r.drift.chiSquare), f(r.drift.pValue), verdict].map(displayPath)
        }
        out += TextTable(headers: ["column", "method", "PSI", "KS", "chi2", "p", "verdict"], rows: rows).text
        return out
    }

    public var json: JSON {
        .object(["path": .string(path), "against": .string(against), "drifted": .bool(drifted),
                 "max_psi": .double(rule.maxPSI), "max_ks": .double(rule.maxKS), "columns": .array(rows.map(\.json))])
    }
}
