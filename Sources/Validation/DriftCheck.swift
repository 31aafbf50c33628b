import GitBridge
import Lineage
import MLOpsBasics
import Profiling
import Workspace

/// What a dataset is compared with: the same path's data as a stage last read it, or as a revision holds it.
struct DriftBaseline {
    var dataset: Dataset
    /// For people: `run 1a2b3c4d of train on 9f8e7d6c5b`, `v1.0`.
    var label: String
}

/// One column's drift with its verdict.
public struct DriftRow: Sendable {
    public var drift: ColumnDrift
    public var verdict: DriftVerdict

    public var json: JSON {
        var o: [String: JSON] = ["column": .string(drift.column)]
        o["method"] = drift.method.map { .string($0.rawValue) } ?? .null
        if let v = drift.psi { o["psi"] = .double(v) }
        if let r = drift.psiRange { o["psi_range"] = .array([.double(r.lowerBound), .double(r.upperBound)]) }
        if let v = drift.ks { o["ks"] = .double(v) }
        if let v = drift.ksError { o["ks_error"] = .double(v) }
        if let v = drift.ksPValue { o["ks_p"] = .double(v) }
        if let v = drift.chiSquare { o["chi2"] = .double(v) }
        if let v = drift.pValue { o["chi2_p"] = .double(v) }
        o["exact"] = .bool(drift.exact)
        switch verdict {
        case .pass: o["verdict"] = .string("pass")
        case .drift(let why): o["verdict"] = .string("drift"); o["reasons"] = .array(why.map(JSON.string))
        case .skipped(let why): o["verdict"] = .string("not-compared"); o["note"] = .string(why)
        }
        return .object(o)
    }

    /// `PSI 0.31, KS 0.12` or `PSI 0.05, chi2 12.3 (p 0.2)`.
    public var statistics: String {
        var parts: [String] = []
        if let v = drift.psi { parts.append("PSI \(DataRules.format(v))") }
        if let v = drift.ks { parts.append("KS \(DataRules.format(v))") }
        if let v = drift.chiSquare { parts.append("chi2 \(DataRules.format(v))" + (drift.pValue.map { " (p \(DataRules.format($0)))" } ?? "")) }
        return parts.joined(separator: ", ")
    }
}

/// A stage that has no recorded run yet: nothing to compare with (the first training).
struct NoBaselineYet: Error, CustomStringConvertible {
    let stage: String
    var description: String { "no recorded run of stage '\(stage)' yet to compare with" }
}

enum DriftCheck {
    /// The baseline `against` names for dataset `d`: a stage (its newest recorded run on the
    /// first-parent history from `start` that read the path), or else a revision.
    static func baseline(for d: Dataset, against: String, repo: Repo, access: DataAccess, journal: Journal,
                         pipeline: Pipeline?, start: GitOID?) throws -> DriftBaseline {
        let stageNeedle = "\"stage\":" + JSON.string(against).canonical
        let isStage = pipeline?.stage(against) != nil
        let runs = try journal.history(from: start, needle: stageNeedle, where: { $0.stage == against })
        if isStage || !runs.isEmpty {
            guard let newest = runs.first else { throw NoBaselineYet(stage: against) }
            for e in runs {
                if let found = try match(d, in: e.record.inputs, access: access) {
                    return DriftBaseline(dataset: found, label: "run \(e.record.shortID) of \(against)" + (e.commit.map { " on \($0.short)" } ?? ""))
                }
            }
            let read = newest.record.inputs.map(\.path).joined(separator: ", ")
            throw MLOpsError("no recorded run of stage '\(against)' read \(d.trackedPath) (its last run read \(read.isEmpty ? "no data" : read))",
                             hint: "name in `drift.against` the stage that trains on \(d.path)")
        }
        guard let commit = try? repo.git.resolveCommit(against) else {
            throw MLOpsError("'\(against)' is neither a stage of \(Pipeline.fileName) nor a revision",
                             hint: "name the stage whose last run read the data (`against: train`), or a revision")
        }
        let tracked = try repo.pointers(at: commit, strict: false).map { TrackedData(path: $0.path, pointer: $0.pointer) }
        guard let found = try access.datasets(d.path, isGlob: false, in: tracked).first else {
            throw MLOpsError("\(against) (\(commit.short)) has no \(d.path)", hint: "compare with a revision that holds it")
        }
        return DriftBaseline(dataset: found, label: against)
    }

    /// The dataset's counterpart among a run's inputs: the same path, or the same file inside the
    /// directory the run read (else that directory as a whole).
    static func match(_ d: Dataset, in inputs: [Artifact], access: DataAccess) throws -> Dataset? {
        for i in inputs {
            guard let oid = i.oid else { continue }
            let isDir = i.type == "dir"
            if i.path == d.path {
                return Dataset(path: d.path, id: oid, isDirectory: isDir, size: i.size, container: nil)
            }
            if isDir, d.path.hasPrefix(i.path + "/") {
                let dir = TrackedData(path: i.path, pointer: Pointer(id: oid, size: i.size ?? 0, kind: .dir, files: i.files))
                if let f = try? access.datasets(d.path, isGlob: false, in: [dir]).first { return f }
                return Dataset(path: i.path, id: oid, isDirectory: true, size: i.size, container: nil)
            }
        }
        return nil
    }

    /// Per-column drift of `current` against `baseline`, judged by the rule's thresholds.
    static func rows(baseline: Profile, current: Profile, rule: DriftRule) -> [DriftRow] {
        let t = DriftThresholds(maxPSI: rule.maxPSI, maxKS: rule.maxKS, minPValue: rule.minPValue)
        return Drift.compare(baseline: baseline, current: current)
            .filter { rule.columns?.contains($0.column) ?? true }
            .map { DriftRow(drift: $0, verdict: Drift.verdict($0, t)) }
    }

    /// The findings of a drift rule.
    static func findings(_ rows: [DriftRow], rule: DriftRule, severity: Severity, subject: String, against: String) -> [Finding] {
        let expected = "PSI <= \(DataRules.format(rule.maxPSI)), KS <= \(DataRules.format(rule.maxKS))"
            + (rule.minPValue.map { ", chi2 p >= \(DataRules.format($0))" } ?? "")
        return rows.map { r in
            var f = finding(r, rule: rule, severity: severity, subject: subject, against: against, expected: expected)
            if let v = r.drift.psi { f.measures.append(.init(name: "PSI", value: v, limit: rule.maxPSI)) }
            if let v = r.drift.ks { f.measures.append(.init(name: "KS", value: v, limit: rule.maxKS)) }
            if let v = r.drift.pValue, let p = rule.minPValue { f.measures.append(.init(name: "chi2 p", value: v, limit: p, isMinimum: true)) }
            return f
        }
    }

    static func finding(_ r: DriftRow, rule: DriftRule, severity: Severity, subject: String, against: String, expected: String) -> Finding {
        switch r.verdict {
        case .pass:
            return Finding(subject: subject, column: r.drift.column, check: "drift", observed: r.statistics, expected: expected, verdict: .pass)
        case .drift(let why):
            return Finding.judged(false, severity, subject: subject, column: r.drift.column, check: "drift", observed: r.statistics,
                                  expected: expected, note: "against \(against): " + why.joined(separator: ", "))
        case .skipped(let why):
            return Finding(subject: subject, column: r.drift.column, check: "drift", observed: "-", expected: expected, verdict: .skipped, note: why)
        }
    }
}
