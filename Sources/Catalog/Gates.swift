import Foundation
import GitBridge
import Lineage
import MLOpsBasics

/// A promotion about to be tagged, with what the gates may judge it by.
public struct PromotionRequest: Sendable {
    public var model: String
    public var version: String
    public var commit: GitOID
    public var stage: String
    /// The run that made the version's weights (its metrics and params), nil when none is recorded.
    public var run: RunRecord?
    /// The metrics of that run, by metrics file, as run records hold them.
    public var metrics: [String: JSON] { run?.metrics ?? [:] }

    public init(model: String, version: String, commit: GitOID, stage: String, run: RunRecord?) {
        self.model = model; self.version = version; self.commit = commit; self.stage = stage; self.run = run
    }
}

/// The verdict of one gate.
public struct GateResult: Sendable, Equatable {
    /// What was checked, usually a metric (`mse`, `metrics.json:acc`).
    public var metric: String
    public var passed: Bool
    /// One line for people: `mse 0.09 > max 0.05`.
    public var detail: String

    public init(metric: String, passed: Bool, detail: String) {
        self.metric = metric; self.passed = passed; self.detail = detail
    }
}

/// What decides whether a version may enter a stage. `model promote` asks it before tagging; a failed
/// result refuses the promotion unless the user overrides it with `--force --reason`.
///
/// The interim implementation is `ThresholdGates` (per-stage min/max on the run's metrics, from the
/// `promotion:` block of mlops.yaml); the validation work replaces it with its own gates (checks,
/// drift, baselines such as "not worse than production") by conforming to this protocol.
public protocol PromotionGates {
    /// Every gate that applies to this promotion and its result; empty when none applies.
    func check(_ request: PromotionRequest) throws -> [GateResult]
}

/// Per-stage metric thresholds from `mlops.yaml`:
///
///     promotion:
///       production:
///         mse: {max: 0.05}
///         metrics.json:accuracy: {min: 0.9}
///
/// A metric is a key path in the run's metrics files (`mse`, `eval.auc`), or `FILE:key` to name the
/// file. A missing metric fails its gate.
public struct ThresholdGates: PromotionGates, Sendable {
    public struct Threshold: Sendable, Equatable {
        public var metric: String
        public var min: Double?
        public var max: Double?
    }

    /// Thresholds by stage.
    public var stages: [String: [Threshold]]

    public init(stages: [String: [Threshold]]) { self.stages = stages }

    public static let section = "promotion"

    /// The thresholds in the working tree's `mlops.yaml` (none when there is no file or no block).
    public static func load(root: String) throws -> ThresholdGates {
        let path = root + "/" + Pipeline.fileName
        guard FS.exists(path) else { return ThresholdGates(stages: [:]) }
        return try parse(try FS.readText(path), path: Pipeline.fileName)
    }

    public static func parse(_ text: String, path: String) throws -> ThresholdGates {
        let doc = try Values.parseDocument(text, path: path)
        guard let block = doc[section], block != .null else { return ThresholdGates(stages: [:]) }
        func bad(_ what: String) -> MLOpsError {
            .malformed(path, "`\(section)`: \(what)", fix: "write `\(section):`, then `STAGE:`, then `METRIC: {min: N, max: N}` (see docs/catalog.md)")
        }
        guard let byStage = block.object else { throw bad("must map stage names to thresholds") }
        var out: [String: [Threshold]] = [:]
        for (stage, body) in byStage {
            guard !stage.contains("#"), CatalogTagName.isValidName(Array(stage.utf8)) else { throw bad("'\(stage)' is not a valid stage name") }
            guard let metrics = body.object else { throw bad("stage '\(stage)' must map metrics to {min, max}") }
            var list: [Threshold] = []
            for (metric, limits) in metrics.sorted(by: { $0.key < $1.key }) {
                guard let l = limits.object, !l.isEmpty, l.keys.allSatisfy({ $0 == "min" || $0 == "max" }) else {
                    throw bad("'\(stage).\(metric)' must be {min: N} and/or {max: N}")
                }
                var t = Threshold(metric: metric)
                for (k, v) in l {
                    guard let d = v.double, d.isFinite, v.bool == nil else { throw bad("'\(stage).\(metric).\(k)' is not a number") }
                    if k == "min" { t.min = d } else { t.max = d }
                }
                list.append(t)
            }
            out[stage] = list
        }
        return ThresholdGates(stages: out)
    }

    public func check(_ request: PromotionRequest) throws -> [GateResult] {
        guard let list = stages[request.stage], !list.isEmpty else { return [] }
        return list.map { t in
            let bounds = [t.min.map { ">= \(Values.formatNumber($0))" }, t.max.map { "<= \(Values.formatNumber($0))" }].compactMap { $0 }.joined(separator: ", ")
            guard let run = request.run else {
                return GateResult(metric: t.metric, passed: false, detail: "\(t.metric): no recorded run made these weights, so the metric is unknown (needs \(bounds))")
            }
            let found = ThresholdGates.lookup(t.metric, in: run.metrics)
            guard found.count == 1, let value = found[0].value.double, found[0].value.bool == nil else {
                let why = found.isEmpty ? "not recorded by run \(run.shortID)"
                    : found.count > 1 ? "found in \(found.map(\.file).joined(separator: " and ")); name one as FILE:\(t.metric)"
                    : "not a number (\(Values.display(found[0].value)))"
                return GateResult(metric: t.metric, passed: false, detail: "\(t.metric): \(why) (needs \(bounds))")
            }
            let v = Values.formatNumber(value)
            if let lo = t.min, value < lo { return GateResult(metric: t.metric, passed: false, detail: "\(t.metric) \(v) < min \(Values.formatNumber(lo))") }
            if let hi = t.max, value > hi { return GateResult(metric: t.metric, passed: false, detail: "\(t.metric) \(v) > max \(Values.formatNumber(hi))") }
            return GateResult(metric: t.metric, passed: true, detail: "\(t.metric) \(v) (\(bounds))")
        }
    }

    /// `mse` in every metrics file that has it; `FILE:key` in that file only.
    static func lookup(_ metric: String, in metrics: [String: JSON]) -> [(file: String, value: JSON)] {
        if let colon = metric.firstIndex(of: ":") {
            let file = String(metric[..<colon]), key = String(metric[metric.index(after: colon)...])
            return metrics[file].flatMap { Values.lookup($0, key) }.map { [(file, $0)] } ?? []
        }
        return metrics.keys.sorted().compactMap { f in Values.lookup(metrics[f]!, metric).map { (f, $0) } }
    }
}
