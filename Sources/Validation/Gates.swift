import GitBridge
import Lineage
import MLOpsBasics
import Workspace

/// A baseline known by name rather than by revision: its metrics file (nil when the name is known
/// but holds nothing yet, such as a stage no version was promoted to) and how to name it.
public struct NamedBaseline: Sendable {
    public var metrics: JSON?
    public var label: String

    public init(metrics: JSON?, label: String) { self.metrics = metrics; self.label = label }
}

/// Baselines known by name rather than by revision, such as `production` (the model catalog's stage,
/// `CatalogBaselines`). nil when the name means nothing to the provider: it is then read as a revision.
public protocol BaselineProvider {
    func baseline(named name: String, file: String) throws -> NamedBaseline?
}

/// What the model catalog's promotion asks of the gates: judge metrics that need not be in any
/// working tree (a version's run record), relative to a commit (`ValidationPromotionGates` adapts it
/// to the catalog's `PromotionGates`).
public protocol MetricsJudge {
    func judge(metrics: [String: JSON], at commit: GitOID?) throws -> [Finding]
}

/// The gates of mlops.yaml: thresholds on metrics, absolute or relative to a baseline.
public struct GateJudge: MetricsJudge {
    public let repo: Repo
    public let gates: [MetricsGates]
    public var baselines: [BaselineProvider]
    let journal: Journal

    public init(repo: Repo, gates: [MetricsGates], baselines: [BaselineProvider] = []) {
        self.repo = repo
        self.gates = gates
        self.baselines = baselines
        journal = Journal(repo: repo)
    }

    /// The gates of the working tree's mlops.yaml.
    public init(repo: Repo, baselines: [BaselineProvider] = []) throws {
        self.init(repo: repo, gates: try ValidationSpec.load(root: repo.root).gates, baselines: baselines)
    }

    /// Judges `metrics` (by file) as if committed on top of `commit`: `previous` is the newest recorded
    /// run on `commit`'s first-parent history, `commit` included (for a promotion: pass the parent of
    /// the version's commit, whose own run made the metrics).
    public func judge(metrics: [String: JSON], at commit: GitOID?) throws -> [Finding] {
        let pipeline = try Pipeline.load(root: repo.root)
        return try gates.flatMap { g -> [Finding] in
            guard let doc = metrics[g.file] else {
                return g.gates.map { Finding(subject: g.file, column: $0.metric, check: "gate", observed: "no such file", expected: describe($0), verdict: .skipped) }
            }
            return try judge(g, doc: doc, previousStart: commit, pipeline: pipeline)
        }
    }

    /// The findings of one file's gates, its content `doc` as parsed.
    func judge(_ g: MetricsGates, doc: JSON, previousStart: GitOID?, pipeline: Pipeline?) throws -> [Finding] {
        var out: [Finding] = []
        var baselineCache: [Baseline: (JSON?, String)] = [:]
        for gate in g.gates {
            let sev = gate.severity
            guard let raw = Values.lookup(doc, gate.metric), raw.bool == nil, let value = raw.double else {
                let what = Values.lookup(doc, gate.metric).map { "not a number (\(Values.display($0)))" } ?? "not in the file"
                out.append(.judged(false, sev, subject: g.file, column: gate.metric, check: "gate", observed: what, expected: describe(gate)))
                continue
            }
            let v = Values.formatNumber(value)
            if let lo = gate.min {
                out.append(.judged(value >= lo, sev, subject: g.file, column: gate.metric, check: "gate min", observed: v, expected: ">= \(Values.formatNumber(lo))"))
            }
            if let hi = gate.max {
                out.append(.judged(value <= hi, sev, subject: g.file, column: gate.metric, check: "gate max", observed: v, expected: "<= \(Values.formatNumber(hi))"))
            }
            guard gate.comparesWithBaseline else { continue }
            let (base, label): (JSON?, String)
            if let cached = baselineCache[gate.baseline] { (base, label) = cached } else {
                (base, label) = try baseline(gate.baseline, file: g.file, previousStart: previousStart, pipeline: pipeline)
                baselineCache[gate.baseline] = (base, label)
            }
            guard let base, let old = Values.lookup(base, gate.metric)?.double, Values.lookup(base, gate.metric)?.bool == nil else {
                for (check, t) in [("max_increase", gate.maxIncrease), ("max_decrease", gate.maxDecrease)] where t != nil {
                    out.append(Finding(subject: g.file, column: gate.metric, check: "gate \(check)", observed: v, expected: "vs \(label)", verdict: .skipped,
                                       note: base == nil ? "no \(label) value to compare with yet" : "\(label) has no number \(gate.metric)"))
                }
                continue
            }
            let change = value - old
            let delta = "\(v) (\(Values.formatDelta(change)) from \(Values.formatNumber(old)), \(label))"
            if let t = gate.maxIncrease {
                out.append(.judged(change <= t.limit(from: old), sev, subject: g.file, column: gate.metric, check: "gate max_increase",
                                   observed: delta, expected: "increase <= \(t)"))
            }
            if let t = gate.maxDecrease {
                out.append(.judged(-change <= t.limit(from: old), sev, subject: g.file, column: gate.metric, check: "gate max_decrease",
                                   observed: delta, expected: "decrease <= \(t)"))
            }
        }
        return out
    }

    func describe(_ g: MetricGate) -> String {
        var parts: [String] = []
        if let v = g.min { parts.append(">= \(Values.formatNumber(v))") }
        if let v = g.max { parts.append("<= \(Values.formatNumber(v))") }
        if let t = g.maxIncrease { parts.append("increase <= \(t)") }
        if let t = g.maxDecrease { parts.append("decrease <= \(t)") }
        return parts.joined(separator: ", ")
    }

    /// The baseline document of `file` and how to name it.
    func baseline(_ b: Baseline, file: String, previousStart: GitOID?, pipeline: Pipeline?) throws -> (JSON?, String) {
        switch b {
        case .previous:
            return (try previous(file: file, from: previousStart, stage: pipeline?.producer(of: file)?.name), "previous")
        case .named(let name):
            for p in baselines {
                if let b = try p.baseline(named: name, file: file) { return (b.metrics, b.label) }
            }
            guard let c = try? repo.git.resolveCommit(name) else {
                throw MLOpsError("baseline '\(name)' of the gates of \(file) is neither `previous` nor a revision",
                                 hint: "write `baseline: previous` or a revision (a tag, a branch, a commit) in \(Pipeline.fileName)")
            }
            return (try metrics(file: file, at: c), name)
        }
    }

    /// `previous`: the metrics of the newest recorded run of `stage` on the first-parent history from
    /// `start`; when no run is recorded, the file as committed in `start`.
    func previous(file: String, from start: GitOID?, stage: String?) throws -> JSON? {
        guard let start else { return nil }
        if let stage {
            var c: GitOID? = start
            var steps = 0
            while let commit = c, steps < 10_000 {
                let runs = try journal.records(on: commit).filter { $0.stage == stage && $0.metrics[file] != nil }
                if let newest = runs.max(by: { $0.recorded < $1.recorded }) { return newest.metrics[file] }
                c = try repo.git.commitInfo(commit).parents.first
                steps += 1
            }
        }
        return try metrics(file: file, at: start)
    }

    /// A metrics file as committed in `commit`, else as its run records hold it.
    func metrics(file: String, at commit: GitOID) throws -> JSON? {
        if let bytes = try repo.git.file(file, in: commit) {
            return try Values.parseDocument(String(decoding: bytes, as: UTF8.self), path: "\(commit.short):\(file)")
        }
        return try journal.records(on: commit).sorted { $0.recorded < $1.recorded }.last { $0.metrics[file] != nil }?.metrics[file]
    }
}
