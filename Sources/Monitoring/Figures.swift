import Foundation
import Lineage
import MLOpsBasics
import Profiling

/// One measured figure of a window, with its threshold and verdict (docs/monitoring.md, "Figures").
public struct Figure: Sendable, Equatable {
    public enum Group: String, Sendable {
        /// Drift and data quality of one feature.
        case feature
        /// Drift of the predictions against the training data's target.
        case prediction
        /// Live metrics from labels.
        case performance
        /// Latency, errors, throughput, records.
        case service
    }

    public enum Verdict: String, Sendable {
        case ok
        /// Beyond its threshold.
        case alert
        /// Not judged (too few records, nothing to compare); `note` says why.
        case skipped
        /// Measured, with no threshold to judge it by.
        case info
    }

    public var group: Group
    /// `psi`, `ks`, `chi2_pvalue`, `missing`, `invalid`, `accuracy`, `precision`, `recall`, `f1`,
    /// `support`, `rmse`, `mae`, `latency_p50`, `latency_p95`, `latency_p99`, `error_rate`,
    /// `throughput`, `records`, `malformed`.
    public var name: String
    public var feature: String?
    /// For per-class metrics.
    public var cls: String?
    public var value: Double?
    public var limit: MonitorSettings.Limit?
    public var verdict: Verdict
    /// Why a figure was skipped, or what bounds its error.
    public var note: String?

    public init(group: Group, name: String, feature: String? = nil, cls: String? = nil, value: Double?,
                limit: MonitorSettings.Limit? = nil, verdict: Verdict = .info, note: String? = nil) {
        self.group = group; self.name = name; self.feature = feature; self.cls = cls; self.value = value
        self.limit = limit; self.verdict = verdict; self.note = note
    }

    /// `feature age psi`, `prediction psi`, `class cat f1`, `accuracy`.
    public var title: String {
        if let feature { return "feature \(feature) \(name)" }
        if let cls { return "class \(cls) \(name)" }
        if group == .prediction { return "prediction \(name)" }
        return name
    }

    /// `<= 0.2`, `>= 0.9`, `0.1 .. 0.3`; empty without a limit.
    public var thresholdText: String {
        guard let l = limit else { return "" }
        switch (l.min, l.max) {
        case let (lo?, hi?): return "\(Format.number(lo)) .. \(Format.number(hi))"
        case let (lo?, nil): return ">= \(Format.number(lo))"
        case let (nil, hi?): return "<= \(Format.number(hi))"
        default: return ""
        }
    }

    /// `feature age psi 0.51 > 0.2` (the note only when there is no value to show).
    public var alertText: String {
        guard let v = value, let l = limit else { return title + (note.map { ": " + $0 } ?? "") }
        if let hi = l.max, v > hi { return "\(title) \(Format.number(v)) > \(Format.number(hi))" }
        if let lo = l.min, v < lo { return "\(title) \(Format.number(v)) < \(Format.number(lo))" }
        return title + (note.map { ": " + $0 } ?? "")
    }

    /// Judges `value` against `limit` (skipped without a value; info without a limit).
    static func judged(_ group: Group, _ name: String, feature: String? = nil, cls: String? = nil, value: Double?,
                       limit: MonitorSettings.Limit?, note: String? = nil) -> Figure {
        var f = Figure(group: group, name: name, feature: feature, cls: cls, value: value, limit: limit, note: note)
        guard let v = value else { f.verdict = .skipped; return f }
        guard let l = limit, l.min != nil || l.max != nil else { f.verdict = .info; f.limit = nil; return f }
        f.verdict = (l.max.map { v > $0 } ?? false) || (l.min.map { v < $0 } ?? false) ? .alert : .ok
        return f
    }
}

enum Format {
    /// Four significant digits, no exponent for everyday sizes: `0.1234`, `12.35`, `1234`, `1.2e-05`.
    static func number(_ d: Double) -> String {
        guard d.isFinite else { return d.isNaN ? "NaN" : d > 0 ? "+Inf" : "-Inf" }
        if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
        let s = String(format: "%.4g", d)
        return s
    }
}

/// The figures of a window against its plan and thresholds.
enum Evaluate {
    static func figures(_ w: Window) -> [Figure] {
        let plan = w.plan
        let t = plan.settings.thresholds
        let enough = w.records >= t.minRecords
        let few = "\(w.records) records, fewer than min_records \(t.minRecords)"
        var out: [Figure] = []

        // Features: drift, then missing and unreadable values.
        for (i, f) in plan.features.enumerated() {
            let a = w.features[i]
            out += drift(f, a, group: .feature, feature: f.name, psi: t.psi, ks: t.ks, chi2: t.chi2PValue, enough: enough, few: few)
            if w.records > 0 {
                let share = Double(a.missing) / Double(w.records)
                var m = Figure.judged(.feature, "missing", feature: f.name, value: share, limit: .init(max: min(1, f.missingShare + t.missing)))
                if a.keySeen == 0 {
                    m.note = "not in the live records"
                    if f.missingShare < 1 { m.verdict = .alert }
                }
                out.append(m)
                if f.kind == .numeric {
                    out.append(.judged(.feature, "invalid", feature: f.name, value: Double(a.invalid) / Double(w.records), limit: .init(max: t.invalid)))
                }
            }
        }

        // Predictions against the training data's target.
        if w.predictions.keySeen > 0 {
            if let target = plan.target {
                out += drift(target, w.predictions, group: .prediction, feature: nil, psi: t.predictionPSI ?? t.psi,
                             ks: t.predictionKS ?? t.ks, chi2: t.chi2PValue, enough: enough, few: few)
            } else {
                out.append(Figure(group: .prediction, name: "psi", value: nil, verdict: .skipped,
                                  note: "the training data has no column '\(plan.settings.target)' (set `monitor.target`)"))
            }
        }

        // Live metrics, when labels came with the predictions.
        let limits = t.limits
        func metric(_ name: String, _ v: Double?, cls: String? = nil, note: String? = nil) -> Figure {
            var f = Figure.judged(.performance, name, cls: cls, value: v, limit: cls == nil ? limits[name] : nil, note: note)
            if !enough && f.verdict != .info && cls == nil { f.verdict = .skipped; f.note = few }
            return f
        }
        if plan.task == .classification && w.classes.pairs > 0 {
            let m = ClassificationMetrics(w.classes)
            let note = w.classes.overflowed ? "more than \(ClassCounts.maxClasses) classes: the rest count as one" : nil
            out.append(metric("accuracy", m.accuracy))
            out.append(metric("precision", m.macroPrecision, note: note))
            out.append(metric("recall", m.macroRecall, note: note))
            out.append(metric("f1", m.macroF1, note: note))
            for c in m.perClass.prefix(ClassificationMetrics.maxReported) {
                out.append(metric("precision", c.precision, cls: c.label))
                out.append(metric("recall", c.recall, cls: c.label))
                out.append(metric("f1", c.f1, cls: c.label))
                out.append(metric("support", Double(c.support), cls: c.label))
            }
        } else if plan.task == .regression && w.regression.n > 0 {
            let r = RegressionMetrics(w.regression)
            out.append(metric("rmse", r.rmse))
            out.append(metric("mae", r.mae))
        }

        // Service: latency, errors, throughput, records.
        if w.latency.n > 0 {
            let view = w.latency.sortedView
            let err = w.latency.rankError
            for (name, q) in [("latency_p50", 0.5), ("latency_p95", 0.95), ("latency_p99", 0.99)] {
                out.append(metric(name, view.quantile(q), note: err > 0 ? "rank error ±\(Format.number(err))" : nil).with(group: .service))
            }
        }
        if w.errorsSeen > 0 {
            out.append(metric("error_rate", Double(w.errors) / Double(w.errorsSeen)).with(group: .service))
        }
        if let tp = throughput(w) { out.append(metric("throughput", tp).with(group: .service)) }
        out.append(Figure(group: .service, name: "records", value: Double(w.records)))
        let total = w.records + w.malformed
        if total > 0 {
            out.append(.judged(.service, "malformed", value: Double(w.malformed) / Double(total), limit: .init(max: t.malformed)))
        }
        return out
    }

    /// Records per second: by the time column when the records have one, else by arrival.
    static func throughput(_ w: Window) -> Double? {
        if w.lastTime > w.firstTime { return Double(w.records - 1) / (w.lastTime - w.firstTime) }
        if let a = w.firstArrival, let b = w.lastArrival, b > a { return Double(w.records - 1) / (b - a) }
        return nil
    }

    /// PSI and KS (numeric) or PSI and chi-square (categorical) of live values against the training
    /// data's column, computed as Profiling's `Drift` computes them for validation.
    static func drift(_ f: Plan.Feature, _ a: FeatureAccumulator, group: Figure.Group, feature: String?,
                      psi maxPSI: Double, ks maxKS: Double, chi2 minP: Double?, enough: Bool, few: String) -> [Figure] {
        func skipped(_ why: String) -> [Figure] { [Figure(group: group, name: "psi", feature: feature, value: nil, verdict: .skipped, note: why)] }
        if case .uncompared(let why) = f.kind { return skipped(why) }
        guard a.present > 0 else { return skipped("no live values") }
        var out: [Figure] = []
        switch f.kind {
        case .numeric:
            guard let bv = f.view else { return skipped("the training data has no numbers") }
            let cv = a.sketch.sortedView
            let q = Histogram(edges: f.edges, view: cv).counts.map { Double($0) / Double(cv.n) }
            let psi = Drift.psi(f.shares, q)
            let range = Drift.psiBounds(f.shares, q, baselineError: f.baseline.quantiles.rankError, currentError: a.sketch.rankError)
            let ks = Drift.ks(bv, cv)
            let ksError = f.baseline.quantiles.rankError + a.sketch.rankError
            out.append(.judged(group, "psi", feature: feature, value: psi, limit: .init(max: maxPSI),
                               note: range.lowerBound == range.upperBound ? nil : "exact PSI in \(Format.number(range.lowerBound)) .. \(Format.number(range.upperBound))"))
            out.append(.judged(group, "ks", feature: feature, value: ks, limit: .init(max: maxKS),
                               note: ksError > 0 ? "±\(Format.number(ksError)), p-value \(Format.number(Drift.ksPValue(ks, bv.n, cv.n)))" : "p-value \(Format.number(Drift.ksPValue(ks, bv.n, cv.n)))"))
        case .categorical:
            let b = f.baseline.categories
            let live = a.items
            var labels = b.items.map(\.label)
            let known = Set(labels)
            labels += live.prefix(FrequentItems.capacity).map(\.label).filter { !known.contains($0) }
            var bc = labels.map { Double(b.count(of: $0)) }
            var cc = labels.map { Double(a.count(of: $0)) }
            let bOther = Double(b.total) - bc.reduce(0, +), cOther = Double(a.present) - cc.reduce(0, +)
            if bOther > 0 || cOther > 0 {
                labels.append("(other)")
                bc.append(bOther)
                cc.append(cOther)
            }
            let bt = bc.reduce(0, +), ct = cc.reduce(0, +)
            guard bt > 0, ct > 0 else { return skipped("no categories to compare") }
            let p = bc.map { $0 / bt }, q = cc.map { $0 / ct }
            let exactSides = b.isExact && a.other == 0
            out.append(.judged(group, "psi", feature: feature, value: Drift.psi(p, q), limit: .init(max: maxPSI),
                               note: exactSides ? nil : "categories counted approximately"))
            let chi = Drift.chiSquare([bc, cc])
            out.append(.judged(group, "chi2_pvalue", feature: feature, value: chi.pValue, limit: minP.map { .init(min: $0) },
                               note: "chi-square \(Format.number(chi.statistic)), \(chi.degreesOfFreedom) degrees of freedom"))
        case .uncompared:
            break
        }
        if !enough {
            for i in out.indices where out[i].verdict != .info { out[i].verdict = .skipped; out[i].note = few }
        }
        return out
    }
}

extension Figure {
    func with(group g: Group) -> Figure {
        var f = self
        f.group = g
        return f
    }
}
