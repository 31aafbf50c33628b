import Catalog
import Foundation
import Lineage
import MLOpsBasics

extension Snapshot {
    /// The table `monitor` prints: features, then the other figures, then the classes, then the alerts.
    public var text: String {
        var out = "\(subject), commit \(String(commit.prefix(10))): \(windowText)\n"
        out += "baseline: " + baseline.map { "\($0.path) (\($0.id.hasPrefix("sha256:") ? "sha256:" + $0.id.dropFirst(7).prefix(12) : $0.id))" }.joined(separator: ", ")
        out += ", read by \(trainingStage) run \(run.prefix(12))\n"
        func value(_ f: Figure?) -> String { f?.value.map(Format.number) ?? "-" }
        func mark(_ figs: [Figure]) -> String {
            let alerts = figs.filter { $0.verdict == .alert }
            if !alerts.isEmpty { return "ALERT " + alerts.map { "\($0.name) \(value($0)) \($0.thresholdText.isEmpty ? "" : "(\($0.thresholdText))")" }.joined(separator: ", ") }
            if figs.contains(where: { $0.verdict == .ok }) { return "ok" }
            return figs.compactMap(\.note).first.map { "skipped: " + $0 } ?? "-"
        }
        let byFeature = Dictionary(grouping: figures.filter { $0.group == .feature }, by: { $0.feature ?? "" })
        var seen: [String] = []
        for f in figures where f.group == .feature { if let n = f.feature, !seen.contains(n) { seen.append(n) } }
        if !seen.isEmpty {
            let rows = seen.map { n -> [String] in
                let fs = byFeature[n] ?? []
                func pick(_ name: String) -> Figure? { fs.first { $0.name == name } }
                let second = pick("ks") ?? pick("chi2_pvalue")
                return [n, value(pick("psi")), second.map { "\($0.name == "ks" ? "ks" : "p") \(value($0))" } ?? "-",
                        value(pick("missing")), value(pick("invalid")), mark(fs)]
            }
            out += "\n" + TextTable(headers: ["feature", "psi", "ks / chi2 p", "missing", "invalid", "verdict"], rows: rows).text
        }
        let others = figures.filter { $0.group != .feature && $0.cls == nil }
        if !others.isEmpty {
            let rows = others.map { f -> [String] in
                let unit = f.name.hasPrefix("latency_") ? " (ms)" : f.name == "throughput" ? " (/s)" : ""
                let v = f.verdict == .alert ? "ALERT" : f.verdict == .skipped ? "skipped" + (f.note.map { ": " + $0 } ?? "") : f.verdict.rawValue
                return [f.title + unit, value(f), f.thresholdText.isEmpty ? "-" : f.thresholdText, v]
            }
            out += "\n" + TextTable(headers: ["figure", "value", "threshold", "verdict"], rows: rows).text
        }
        let classFigures = figures.filter { $0.cls != nil }
        if !classFigures.isEmpty {
            var classes: [String] = []
            for f in classFigures { if let c = f.cls, !classes.contains(c) { classes.append(c) } }
            let rows = classes.map { c -> [String] in
                func pick(_ name: String) -> String { value(classFigures.first { $0.cls == c && $0.name == name }) }
                return [c, pick("precision"), pick("recall"), pick("f1"), pick("support")]
            }
            out += "\n" + TextTable(headers: ["class", "precision", "recall", "f1", "support"], rows: rows).text
        }
        let alerts = self.alerts
        out += "\n" + (alerts.isEmpty ? "no alert\n" : "ALERT: " + alerts.map(\.alertText).joined(separator: "; ") + "\n")
        return displayable(out)
    }

    /// One line for a window of a followed log.
    public var summary: String {
        let alerts = self.alerts
        return displayable("\(at)  \(subject)  \(windowText)  " + (alerts.isEmpty ? "ok" : "ALERT: " + alerts.map(\.alertText).joined(separator: "; ")), newlines: false)
    }
}
