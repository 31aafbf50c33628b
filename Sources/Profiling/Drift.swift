import Foundation

/// One bin of a drift comparison: its label and the share of each side's values in it.
public struct DriftBin: Equatable, Sendable {
    public let label: String
    public let baseline: Double
    public let current: Double
}

/// How a column of the current data differs from the same column of the baseline.
public struct ColumnDrift: Sendable {
    public enum Method: String, Sendable {
        /// PSI on the baseline's decile bins and Kolmogorov-Smirnov, from the quantile sketches.
        case numeric
        /// PSI and Pearson's chi-square on the categories.
        case categorical
    }

    public let column: String
    /// nil when the column cannot be compared (`note` says why).
    public let method: Method?
    public let note: String?
    public var psi: Double? = nil
    /// Where the PSI of the exact data lies, given the sketches' rank errors (numeric) or the
    /// category counts' errors (categorical).
    public var psiRange: ClosedRange<Double>? = nil
    public var ks: Double? = nil
    /// |ks - KS of the exact data| <= ksError (the sum of the two sketches' rank errors).
    public var ksError: Double? = nil
    /// Asymptotic two-sample p-value of `ks` (Kolmogorov distribution, sqrt(n·m/(n+m))·D).
    public var ksPValue: Double? = nil
    public var chiSquare: Double? = nil
    public var degreesOfFreedom: Int? = nil
    public var pValue: Double? = nil
    /// True when the category counts on both sides are exact.
    public var exact = true
    public var bins: [DriftBin] = []

    init(column: String, method: Method?, note: String? = nil) {
        self.column = column
        self.method = method
        self.note = note
    }
}

/// Limits a column's drift must stay within.
public struct DriftThresholds: Sendable {
    public var maxPSI: Double
    public var maxKS: Double
    /// Fail categorical columns whose chi-square p-value falls below this (nil: not checked).
    public var minPValue: Double?

    public init(maxPSI: Double = 0.2, maxKS: Double = 0.1, minPValue: Double? = nil) {
        self.maxPSI = maxPSI
        self.maxKS = maxKS
        self.minPValue = minPValue
    }
}

public enum DriftVerdict: Equatable, Sendable {
    case pass
    /// What exceeded its limit, e.g. "PSI 0.31 > 0.2".
    case drift([String])
    /// Not compared (column missing on one side, types that cannot be compared).
    case skipped(String)
}

public enum Drift {
    /// Empty bins count as this share, so that PSI stays finite.
    public static let epsilon = 1e-4

    /// A comparison for every column of the baseline, then the columns only the current data has.
    public static func compare(baseline: Profile, current: Profile) -> [ColumnDrift] {
        var out: [ColumnDrift] = []
        for b in baseline.columns {
            if let c = current.column(b.name) {
                out.append(column(baseline: b, current: c))
            } else {
                out.append(ColumnDrift(column: b.name, method: nil, note: "missing from the current data"))
            }
        }
        for c in current.columns where baseline.column(c.name) == nil {
            out.append(ColumnDrift(column: c.name, method: nil, note: "not in the baseline"))
        }
        return out
    }

    public static func column(baseline b: ColumnProfile, current c: ColumnProfile) -> ColumnDrift {
        let numeric: Set<ColumnType> = [.int, .float]
        if b.type == .null || c.type == .null {
            return ColumnDrift(column: b.name, method: nil, note: "no values on \(b.type == .null ? "the baseline" : "the current") side")
        }
        if (numeric.contains(b.type) && numeric.contains(c.type)) || (b.type == .datetime && c.type == .datetime) {
            return numericDrift(b, c)
        }
        if numeric.contains(b.type) != numeric.contains(c.type) || b.type == .datetime || c.type == .datetime {
            if b.type != .string && c.type != .string {
                return ColumnDrift(column: b.name, method: nil, note: "type changed from \(b.type.rawValue) to \(c.type.rawValue)")
            }
        }
        return categoricalDrift(b, c)
    }

    static func numericDrift(_ b: ColumnProfile, _ c: ColumnProfile) -> ColumnDrift {
        var d = ColumnDrift(column: b.name, method: .numeric)
        let bv = b.quantiles.sortedView, cv = c.quantiles.sortedView
        let edges = Histogram.edges(bv)
        let bh = Histogram(edges: edges, view: bv), ch = Histogram(edges: edges, view: cv)
        let p = bh.counts.map { Double($0) / Double(bv.n) }
        let q = ch.counts.map { Double($0) / Double(cv.n) }
        d.psi = psi(p, q)
        // A bin's count is a range query, whose error has the same bound as a single rank's.
        d.psiRange = psiBounds(p, q, baselineError: b.quantiles.rankError, currentError: c.quantiles.rankError)
        d.ks = ks(bv, cv)
        d.ksError = b.quantiles.rankError + c.quantiles.rankError
        d.ksPValue = ksPValue(d.ks!, bv.n, cv.n)
        d.exact = b.quantiles.rankError == 0 && c.quantiles.rankError == 0
        d.bins = (0..<p.count).map { i in
            let lo = i == 0 ? "-inf" : formatNumber(edges[i - 1]), hi = i == edges.count ? "+inf" : formatNumber(edges[i])
            return DriftBin(label: "[\(lo), \(hi))", baseline: p[i], current: q[i])
        }
        return d
    }

    static func categoricalDrift(_ b: ColumnProfile, _ c: ColumnProfile) -> ColumnDrift {
        var d = ColumnDrift(column: b.name, method: .categorical)
        let bi = b.categories.items, ci = c.categories.items
        var labels = bi.map(\.label)
        let known = Set(labels)
        labels += ci.map(\.label).filter { !known.contains($0) }
        var bc = labels.map { Double(b.categories.count(of: $0)) }
        var cc = labels.map { Double(c.categories.count(of: $0)) }
        let bOther = Double(b.categories.total) - bc.reduce(0, +), cOther = Double(c.categories.total) - cc.reduce(0, +)
        if bOther > 0 || cOther > 0 {
            labels.append("(other)")
            bc.append(bOther)
            cc.append(cOther)
        }
        let bt = bc.reduce(0, +), ct = cc.reduce(0, +)
        guard bt > 0, ct > 0 else { return ColumnDrift(column: b.name, method: nil, note: "no categories to compare") }
        let p = bc.map { $0 / bt }, q = cc.map { $0 / ct }
        d.psi = psi(p, q)
        d.psiRange = psiBounds(p, q, baselineError: Double(b.categories.maxError) / bt, currentError: Double(c.categories.maxError) / ct)
        let chi = chiSquare([bc, cc])
        d.chiSquare = chi.statistic
        d.degreesOfFreedom = chi.degreesOfFreedom
        d.pValue = chi.pValue
        d.exact = b.categories.isExact && c.categories.isExact
        d.bins = labels.indices.map { DriftBin(label: labels[$0], baseline: p[$0], current: q[$0]) }
        return d
    }

    /// Population stability index Σ (q - p) ln(q / p), shares below `epsilon` raised to it.
    public static func psi(_ p: [Double], _ q: [Double]) -> Double {
        zip(p, q).reduce(0) { acc, pq in
            let a = Swift.max(pq.0, epsilon), b = Swift.max(pq.1, epsilon)
            return acc + (b - a) * log(b / a)
        }
    }

    /// The range of PSI over all shares within ±baselineError of p and ±currentError of q. Each
    /// term (q - p) ln(q / p) is convex, zero where p = q, decreasing in the share nearer the other
    /// and increasing in the farther one, so its extremes over a box are at corners.
    public static func psiBounds(_ p: [Double], _ q: [Double], baselineError: Double, currentError: Double) -> ClosedRange<Double> {
        var lo = 0.0, hi = 0.0
        for (a, b) in zip(p, q) {
            let pl = Swift.max(Swift.max(a - baselineError, 0), epsilon), ph = Swift.max(Swift.min(a + baselineError, 1), epsilon)
            let ql = Swift.max(Swift.max(b - currentError, 0), epsilon), qh = Swift.max(Swift.min(b + currentError, 1), epsilon)
            func f(_ x: Double, _ y: Double) -> Double { (y - x) * log(y / x) }
            hi += Swift.max(f(pl, ql), f(pl, qh), f(ph, ql), f(ph, qh))
            if ph < ql { lo += f(ph, ql) } else if qh < pl { lo += f(pl, qh) }
        }
        return lo...hi
    }

    /// sup |F_a - F_b| over the values of both sketches (where the step functions change).
    public static func ks(_ a: KLLSketch.SortedView, _ b: KLLSketch.SortedView) -> Double {
        guard a.n > 0, b.n > 0 else { return 0 }
        var i = 0, j = 0, best = 0.0
        let na = Double(a.n), nb = Double(b.n)
        while i < a.values.count || j < b.values.count {
            let v: Double
            if j >= b.values.count || (i < a.values.count && a.values[i] <= b.values[j]) { v = a.values[i] } else { v = b.values[j] }
            while i < a.values.count && a.values[i] <= v { i += 1 }
            while j < b.values.count && b.values[j] <= v { j += 1 }
            let fa = i == 0 ? 0 : Double(a.cumulative[i - 1]) / na
            let fb = j == 0 ? 0 : Double(b.cumulative[j - 1]) / nb
            best = Swift.max(best, abs(fa - fb))
        }
        return best
    }

    /// Q_KS(sqrt(n·m/(n+m))·D): the asymptotic Kolmogorov survival function.
    public static func ksPValue(_ d: Double, _ n: Int64, _ m: Int64) -> Double {
        let en = (Double(n) * Double(m) / Double(n + m)).squareRoot()
        let lambda = en * d
        if lambda < 0.2 { return 1 }
        var sum = 0.0
        for k in 1...100 {
            let term = exp(-2 * Double(k * k) * lambda * lambda)
            sum += (k % 2 == 1 ? 2 : -2) * term
            if term < 1e-16 { break }
        }
        return Swift.min(1, Swift.max(0, sum))
    }

    /// Pearson's chi-square test of homogeneity on a contingency table (rows: samples, columns:
    /// categories); columns empty in every row are left out.
    public static func chiSquare(_ table: [[Double]]) -> (statistic: Double, degreesOfFreedom: Int, pValue: Double) {
        guard let width = table.first?.count else { return (0, 0, 1) }
        let cols = (0..<width).filter { j in table.contains { $0[j] > 0 } }
        let rowTotals = table.map { r in cols.reduce(0) { $0 + r[$1] } }
        let total = rowTotals.reduce(0, +)
        guard total > 0 else { return (0, 0, 1) }
        var stat = 0.0
        for j in cols {
            let colTotal = table.reduce(0) { $0 + $1[j] }
            for (i, r) in table.enumerated() {
                let e = rowTotals[i] * colTotal / total
                if e > 0 { stat += (r[j] - e) * (r[j] - e) / e }
            }
        }
        let dof = (cols.count - 1) * (table.filter { r in cols.contains { r[$0] > 0 } }.count - 1)
        return (stat, dof, dof > 0 ? gammaQ(Double(dof) / 2, stat / 2) : 1)
    }

    /// The regularized upper incomplete gamma function Q(a, x): series below a + 1, continued
    /// fraction (modified Lentz) above.
    static func gammaQ(_ a: Double, _ x: Double) -> Double {
        if x <= 0 { return 1 }
        let lnPrefix = a * log(x) - x - lgamma(a)
        if x < a + 1 {
            var sum = 1 / a, term = 1 / a, n = a
            for _ in 0..<10_000 {
                n += 1
                term *= x / n
                sum += term
                if abs(term) < abs(sum) * 1e-16 { break }
            }
            return Swift.max(0, 1 - sum * exp(lnPrefix))
        }
        let tiny = 1e-300
        var b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d
        for i in 1...10_000 {
            let an = -Double(i) * (Double(i) - a)
            b += 2
            d = an * d + b
            if abs(d) < tiny { d = tiny }
            c = b + an / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-16 { break }
        }
        return Swift.min(1, exp(lnPrefix) * h)
    }

    /// Compares a column's drift with the thresholds.
    public static func verdict(_ d: ColumnDrift, _ t: DriftThresholds) -> DriftVerdict {
        guard let method = d.method else { return .skipped(d.note ?? "not compared") }
        var reasons: [String] = []
        if let psi = d.psi, psi > t.maxPSI { reasons.append("PSI \(formatNumber(psi)) > \(formatNumber(t.maxPSI))") }
        if method == .numeric, let ks = d.ks, ks > t.maxKS { reasons.append("KS \(formatNumber(ks)) > \(formatNumber(t.maxKS))") }
        if method == .categorical, let min = t.minPValue, let p = d.pValue, p < min {
            reasons.append("chi-square p-value \(formatNumber(p)) < \(formatNumber(min))")
        }
        return reasons.isEmpty ? .pass : .drift(reasons)
    }
}
