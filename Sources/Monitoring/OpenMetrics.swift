import Foundation
import MLOpsBasics

/// The figures of the latest window in the OpenMetrics text format (docs/monitoring.md,
/// "OpenMetrics"), for Prometheus through the node exporter's textfile collector: every family a
/// gauge with `# TYPE`, `# HELP` and, for base units, `# UNIT`; names start with `mlops_`; the file
/// ends with `# EOF` and is replaced atomically (written beside, synced, renamed).
public enum OpenMetrics {
    public struct Sample: Equatable {
        public var labels: [(String, String)]
        public var value: Double

        public static func == (a: Sample, b: Sample) -> Bool {
            a.value == b.value && a.labels.elementsEqual(b.labels) { $0 == $1 }
        }
    }

    public struct Family: Equatable {
        public var name: String
        public var help: String
        /// `seconds`, `ratio`; the name then ends in `_seconds`, `_ratio`.
        public var unit: String?
        public var samples: [Sample] = []
    }

    /// A label value with `\`, `"` and line ends escaped, as the format requires.
    public static func escape(_ value: String) -> String {
        var out = ""
        out.reserveCapacity(value.utf8.count)
        for c in value.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// A sample value: whole numbers without a fraction, others in Swift's shortest round-trip form.
    static func number(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d > 0 ? "+Inf" : "-Inf" }
        if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
        return "\(d)"
    }

    /// The exposition text of families (those without samples left out), ending with `# EOF`.
    public static func text(_ families: [Family]) -> String {
        var out = ""
        for f in families where !f.samples.isEmpty {
            out += "# TYPE \(f.name) gauge\n"
            if let u = f.unit { out += "# UNIT \(f.name) \(u)\n" }
            out += "# HELP \(f.name) \(f.help.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n"))\n"
            for s in f.samples {
                let labels = s.labels.map { "\($0.0)=\"\(escape($0.1))\"" }.joined(separator: ",")
                out += "\(f.name){\(labels)} \(number(s.value))\n"
            }
        }
        return out + "# EOF\n"
    }

    /// Replaces `path` with `text` all at once, so a collector never reads half a file.
    public static func write(_ text: String, to path: String) throws {
        do {
            try FS.writeAtomic(path, text)
        } catch {
            throw MLOpsError("cannot write \(path): \(error)", hint: "check that its directory exists and is writable")
        }
    }

    /// Every family of a snapshot, labelled with the model, its version and (when named by one) stage.
    /// `records` counts every record since the monitor started, `windows` the windows closed.
    public static func families(_ s: Snapshot, records: Int64, windows: Int) -> [Family] {
        var base = [("model", s.model), ("version", s.version)]
        if let st = s.stage { base.append(("stage", st)) }
        var byName: [String: Family] = [:]
        var order: [String] = []
        func add(_ name: String, _ help: String, unit: String? = nil, _ extra: [(String, String)] = [], _ value: Double) {
            guard value.isFinite else { return }
            if byName[name] == nil {
                byName[name] = Family(name: name, help: help, unit: unit)
                order.append(name)
            }
            byName[name]!.samples.append(Sample(labels: base + extra, value: value))
        }
        add("mlops_monitor_records", "Live records read since the monitor started.", [], Double(records))
        add("mlops_monitor_windows", "Windows of live records closed since the monitor started.", [], Double(windows))
        add("mlops_monitor_window_records", "Records in the latest window.", [], Double(s.window.records))
        if let t = ISO8601DateFormatter.monitoring.date(from: s.at) {
            add("mlops_monitor_window_end_timestamp_seconds", "When the latest window closed, in seconds since 1970.", unit: "seconds", [], t.timeIntervalSince1970)
        }
        add("mlops_monitor_alerts", "Figures of the latest window beyond their thresholds.", [], Double(s.alerts.count))
        for f in s.figures where f.verdict == .ok || f.verdict == .alert {
            add("mlops_monitor_alert", "1 when a figure of the latest window is beyond its threshold, else 0.", [("figure", f.title)], f.verdict == .alert ? 1 : 0)
        }
        for f in s.figures {
            guard let v = f.value else { continue }
            let featureLabel = f.feature.map { [("feature", $0)] } ?? []
            switch (f.group, f.name) {
            case (.feature, "psi"): add("mlops_feature_psi", "Population stability index of a feature against the training data.", featureLabel, v)
            case (.feature, "ks"): add("mlops_feature_ks", "Kolmogorov-Smirnov distance of a numeric feature from the training data.", featureLabel, v)
            case (.feature, "chi2_pvalue"): add("mlops_feature_chi2_pvalue", "Chi-square p-value of a categorical feature against the training data.", featureLabel, v)
            case (.feature, "missing"): add("mlops_feature_missing_ratio", "Share of records without a value of the feature.", unit: "ratio", featureLabel, v)
            case (.feature, "invalid"): add("mlops_feature_invalid_ratio", "Share of records whose value of a numeric feature is not a number.", unit: "ratio", featureLabel, v)
            case (.prediction, "psi"): add("mlops_prediction_psi", "Population stability index of the predictions against the training labels.", [], v)
            case (.prediction, "ks"): add("mlops_prediction_ks", "Kolmogorov-Smirnov distance of the predictions from the training labels.", [], v)
            case (.prediction, "chi2_pvalue"): add("mlops_prediction_chi2_pvalue", "Chi-square p-value of the predictions against the training labels.", [], v)
            case (.performance, "accuracy"): add("mlops_accuracy_ratio", "Share of predictions equal to their label.", unit: "ratio", [], v)
            case (.performance, "precision"), (.performance, "recall"), (.performance, "f1"):
                if let c = f.cls {
                    add("mlops_class_\(f.name)_ratio", "\(f.name == "f1" ? "F1 score" : f.name.capitalized) of one class.", unit: "ratio", [("class", c)], v)
                } else {
                    add("mlops_\(f.name)_ratio", "\(f.name == "f1" ? "F1 score" : f.name.capitalized), macro-averaged over the classes.", unit: "ratio", [], v)
                }
            case (.performance, "support"): add("mlops_class_support", "Labels of one class in the latest window.", [("class", f.cls ?? "")], v)
            case (.performance, "rmse"): add("mlops_rmse", "Root mean squared error of the predictions.", [], v)
            case (.performance, "mae"): add("mlops_mae", "Mean absolute error of the predictions.", [], v)
            case (.service, let n) where n.hasPrefix("latency_p"):
                add("mlops_\(n)_seconds", "Latency quantile \(n.dropFirst(9)) of the latest window (from a quantile sketch).", unit: "seconds", [], v / 1000)
            case (.service, "error_rate"): add("mlops_error_ratio", "Share of requests flagged as errors.", unit: "ratio", [], v)
            case (.service, "throughput"): add("mlops_records_per_second", "Records per second in the latest window.", [], v)
            case (.service, "malformed"): add("mlops_malformed_ratio", "Share of records that could not be read.", unit: "ratio", [], v)
            default: break
            }
        }
        return order.map { byName[$0]! }
    }
}

extension ISO8601DateFormatter {
    /// Record times as snapshots write them (milliseconds, UTC).
    static var monitoring: ISO8601DateFormatter {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f
    }
}
