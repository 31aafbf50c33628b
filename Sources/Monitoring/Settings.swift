import Foundation
import Lineage
import MLOpsBasics

/// The `monitor:` block of `mlops.yaml` (docs/monitoring.md, "Settings"): which live columns carry
/// what, which columns of the training data are the target and the features, and the thresholds.
///
///     monitor:
///       target: label                  # the training data's label column
///       task: classification           # or regression (default: from the target's type)
///       ignore: [id]                   # training columns that are not features
///       training_data: [data/train.csv]  # inputs of the training run to compare with (default: every table it read)
///       columns: {prediction: prediction, label: label, latency: latency_ms, error: error, time: timestamp}
///       thresholds:
///         psi: 0.2
///         accuracy: {min: 0.9}
///         latency_p99: {max: 250}      # milliseconds, as the live records give them
public struct MonitorSettings: Sendable, Equatable {
    public static let section = "monitor"

    /// Names of the live columns with a role other than feature.
    public struct Columns: Sendable, Equatable {
        public var prediction = "prediction"
        public var label = "label"
        /// Milliseconds.
        public var latency = "latency_ms"
        /// True (or a non-zero number, or a non-empty string other than "false"/"0") when the request failed.
        public var error = "error"
        /// When the record was made: seconds since 1970 or ISO 8601; gives the throughput.
        public var time = "timestamp"

        public init() {}

        var all: [String] { [prediction, label, latency, error, time] }
    }

    public enum Task: String, Sendable {
        case classification, regression
    }

    /// A bound on a figure: `{min: N}`, `{max: N}` or both.
    public struct Limit: Sendable, Equatable {
        public var min: Double?
        public var max: Double?

        public init(min: Double? = nil, max: Double? = nil) {
            self.min = min
            self.max = max
        }
    }

    public struct Thresholds: Sendable, Equatable {
        /// Largest PSI of a feature (and of the predictions, unless `predictionPSI`).
        public var psi = 0.2
        /// Largest Kolmogorov-Smirnov distance of a numeric feature.
        public var ks = 0.1
        /// Smallest chi-square p-value of a categorical feature (not checked when nil).
        public var chi2PValue: Double?
        public var predictionPSI: Double?
        public var predictionKS: Double?
        /// Largest rise of a feature's share of missing values over the training data's.
        public var missing = 0.05
        /// Largest share of values a numeric feature cannot read as numbers.
        public var invalid = 0.01
        /// Largest share of records that cannot be read at all.
        public var malformed = 0.01
        /// Fewer records in a window leave the statistical figures unjudged.
        public var minRecords: Int64 = 100
        /// accuracy, precision, recall, f1, rmse, mae, latency_p50/p95/p99 (ms), error_rate, throughput.
        public var limits: [String: Limit] = [:]

        public init() {}
    }

    public var target = "label"
    public var task: Task?
    /// nil: every column of the training data but the target, the ignored ones and the role columns.
    public var features: [String]?
    public var ignore: [String] = []
    /// nil: every table the training run read.
    public var trainingData: [String]?
    public var columns = Columns()
    public var thresholds = Thresholds()

    public init() {}

    /// Names `thresholds` may bound with `{min, max}`.
    public static let limitNames = ["accuracy", "precision", "recall", "f1", "rmse", "mae",
                                    "latency_p50", "latency_p95", "latency_p99", "error_rate", "throughput"]

    /// The block in the working tree's `mlops.yaml`; defaults when there is no file or no block.
    public static func load(root: String) throws -> MonitorSettings {
        let path = root + "/" + Pipeline.fileName
        guard FS.exists(path) else { return MonitorSettings() }
        return try parse(try FS.readText(path), path: Pipeline.fileName)
    }

    public static func parse(_ text: String, path: String) throws -> MonitorSettings {
        let doc = try Values.parseDocument(text, path: path)
        var s = MonitorSettings()
        guard let block = doc[section], block != .null else { return s }
        func bad(_ what: String) -> MLOpsError {
            .malformed(path, "`\(section)`: \(what)", fix: "see docs/monitoring.md for the keys of the `\(section):` block")
        }
        guard let o = block.object else { throw bad("must be a mapping") }
        func name(_ key: String, _ v: JSON) throws -> String {
            guard let t = v.string ?? v.int.map({ String($0) }), !t.isEmpty else { throw bad("`\(key)` must be a column name") }
            return t
        }
        func names(_ key: String, _ v: JSON) throws -> [String] {
            if v.string != nil { return [try name(key, v)] }
            guard let a = v.array else { throw bad("`\(key)` must be a list of names") }
            return try a.map { try name(key, $0) }
        }
        func number(_ key: String, _ v: JSON, min lo: Double = 0) throws -> Double {
            guard let d = v.double, v.bool == nil, d.isFinite, d >= lo else { throw bad("`\(key)` must be a number of at least \(Values.formatNumber(lo))") }
            return d
        }
        for (k, v) in o {
            switch k {
            case "target": s.target = try name(k, v)
            case "task":
                guard let t = v.string.flatMap(Task.init(rawValue:)) else { throw bad("`task` must be classification or regression") }
                s.task = t
            case "features": s.features = try names(k, v)
            case "ignore": s.ignore = try names(k, v)
            case "training_data": s.trainingData = try names(k, v)
            case "columns":
                guard let c = v.object else { throw bad("`columns` must map roles to live column names") }
                for (role, col) in c {
                    let n = try name("columns.\(role)", col)
                    switch role {
                    case "prediction": s.columns.prediction = n
                    case "label": s.columns.label = n
                    case "latency": s.columns.latency = n
                    case "error": s.columns.error = n
                    case "time": s.columns.time = n
                    default: throw bad("unknown column role '\(role)' (roles: prediction, label, latency, error, time)")
                    }
                }
                if Set(s.columns.all).count != s.columns.all.count { throw bad("two roles name the same live column") }
            case "thresholds":
                guard let t = v.object else { throw bad("`thresholds` must be a mapping") }
                for (tk, tv) in t {
                    switch tk {
                    case "psi": s.thresholds.psi = try number(tk, tv)
                    case "ks": s.thresholds.ks = try number(tk, tv)
                    case "chi2_pvalue": s.thresholds.chi2PValue = try number(tk, tv)
                    case "prediction_psi": s.thresholds.predictionPSI = try number(tk, tv)
                    case "prediction_ks": s.thresholds.predictionKS = try number(tk, tv)
                    case "missing": s.thresholds.missing = try number(tk, tv)
                    case "invalid": s.thresholds.invalid = try number(tk, tv)
                    case "malformed": s.thresholds.malformed = try number(tk, tv)
                    case "min_records":
                        guard let n = tv.int, tv.bool == nil, n >= 1 else { throw bad("`min_records` must be a whole number of at least 1") }
                        s.thresholds.minRecords = n
                    default:
                        guard limitNames.contains(tk) else {
                            throw bad("unknown threshold '\(tk)' (thresholds: psi, ks, chi2_pvalue, prediction_psi, prediction_ks, missing, invalid, malformed, min_records, \(limitNames.joined(separator: ", ")))")
                        }
                        guard let l = tv.object, !l.isEmpty, l.keys.allSatisfy({ $0 == "min" || $0 == "max" }) else {
                            throw bad("`thresholds.\(tk)` must be {min: N} and/or {max: N}")
                        }
                        var limit = Limit()
                        for (lk, lv) in l {
                            guard let d = lv.double, lv.bool == nil, d.isFinite else { throw bad("`thresholds.\(tk).\(lk)` is not a number") }
                            if lk == "min" { limit.min = d } else { limit.max = d }
                        }
                        s.thresholds.limits[tk] = limit
                    }
                }
            default:
                throw bad("unknown key '\(k)' (keys: target, task, features, ignore, training_data, columns, thresholds)")
            }
        }
        return s
    }
}

enum MonitorError {
    /// A `monitor:` setting that does not fit the model's training data.
    static func config(_ what: String, fix: String) -> MLOpsError {
        .malformed(Pipeline.fileName, "`\(MonitorSettings.section)`: \(what)", fix: fix)
    }
}
