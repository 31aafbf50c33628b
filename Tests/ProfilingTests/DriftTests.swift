import Foundation
import MLOpsBasics
@testable import Profiling
import Testing

/// The drift statistics against a direct computation on the raw data: scipy.stats.ks_2samp, PSI in
/// numpy on the same bins, scipy.stats.chi2_contingency on the same categories.
@Suite(.enabled(if: Python.shouldRun, "needs python3 with numpy and scipy (scripts/setup installs them)"))
struct DriftReferenceTests {
    static let reference = """
        import csv, json, sys
        import numpy as np
        from scipy import stats
        base, cur, spec = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
        def read(path):
            with open(path) as f:
                rows = list(csv.DictReader(f))
            return np.array([float(r['x']) for r in rows]), [r['c'] for r in rows]
        bx, bc = read(base)
        cx, cc = read(cur)
        eps = 1e-4
        def psi(p, q):
            p = np.maximum(p, eps); q = np.maximum(q, eps)
            return float(np.sum((q - p) * np.log(q / p)))
        edges = np.array(spec['edges'])
        def shares(x):
            return np.bincount(np.searchsorted(edges, x, side='right'), minlength=len(edges) + 1) / len(x)
        ks = stats.ks_2samp(bx, cx)
        en = np.sqrt(len(bx) * len(cx) / (len(bx) + len(cx)))
        labels = spec['labels']
        table = np.array([[sum(1 for v in side if v == l) for l in labels] for side in (bc, cc)], dtype=float)
        table = table[:, table.sum(axis=0) > 0]
        chi2, p, dof, _ = stats.chi2_contingency(table, correction=False)
        print(json.dumps({
            'ks': float(ks.statistic), 'ks_asymp_p': float(stats.kstwobign.sf(en * ks.statistic)),
            'psi': psi(shares(bx), shares(cx)),
            'chi2': float(chi2), 'chi2_p': float(p), 'dof': int(dof),
            'cat_psi': psi(table[0] / table[0].sum(), table[1] / table[1].sum()),
        }))
        """

    static let categories = (0..<20).map { "cat\($0)" }

    /// 100,000 rows of x (numeric) and c (one of 20 categories, or 21 with `newCategory`).
    static func table(seed: UInt64, x: (inout Rng) -> Double, weights: [Double], newCategory: Bool = false) -> String {
        var r = Rng(seed)
        var s = "x,c\n"
        let total = weights.reduce(0, +)
        for _ in 0..<100_000 {
            var u = r.uniform() * total, k = 0
            while k < weights.count - 1 && u >= weights[k] { u -= weights[k]; k += 1 }
            let c = newCategory && r.uniform() < 0.03 ? "new" : categories[k]
            s += "\(x(&r)),\(c)\n"
        }
        return s
    }

    static let zipf = (1...20).map { 1 / pow(Double($0), 1.2) }

    struct Case {
        let name: String
        let baseline: String
        let current: String
        let drifted: Bool
    }

    static let cases: [Case] = [
        Case(name: "same distribution", baseline: table(seed: 1, x: { $0.normal() }, weights: zipf),
             current: table(seed: 2, x: { $0.normal() }, weights: zipf), drifted: false),
        Case(name: "shifted normal", baseline: table(seed: 3, x: { $0.normal() }, weights: zipf),
             current: table(seed: 4, x: { $0.normal() + 0.5 }, weights: zipf), drifted: true),
        Case(name: "wider lognormal", baseline: table(seed: 5, x: { exp($0.normal()) }, weights: zipf),
             current: table(seed: 6, x: { exp(1.6 * $0.normal()) }, weights: zipf), drifted: true),
        Case(name: "categorical shift", baseline: table(seed: 7, x: { Double($0.int(0..<50)) }, weights: zipf),
             current: table(seed: 8, x: { Double($0.int(0..<50)) }, weights: zipf.reversed(), newCategory: true), drifted: true),
    ]

    @Test(arguments: 0..<4)
    func statisticsAgreeWithScipyWithinTheStatedError(_ index: Int) throws {
        let c = DriftReferenceTests.cases[index]
        let dir = TempDir()
        let bp = put(dir, "base.csv", c.baseline), cp = put(dir, "cur.csv", c.current)
        let base = try Profiler.profile(file: bp), cur = try Profiler.profile(file: cp)
        let drift = Drift.compare(baseline: base, current: cur)
        let x = drift.first { $0.column == "x" }!, cat = drift.first { $0.column == "c" }!
        #expect(x.method == .numeric && cat.method == .categorical)
        let edges = Histogram.edges(base.column("x")!.quantiles.sortedView)
        #expect(edges == base.column("x")!.histogram!.edges, "the stored histogram's edges are the ones drift uses")
        let labels = cat.bins.map(\.label).filter { $0 != "(other)" }
        let spec = JSON.object(["edges": .array(edges.map { .double($0) }), "labels": .array(labels.map { .string($0) })])
        let ref = try Python.run(DriftReferenceTests.reference, [bp, cp, spec.canonical])

        // KS from the two sketches: within the sum of their rank errors of the exact statistic.
        let ks = ref["ks"]!.double!
        // Few distinct values (the categorical case's x) are held exactly; many make the sketches compact.
        #expect(index == 3 ? x.ksError! == 0 : x.ksError! > 0 && x.ksError! < 0.05, "\(c.name): bound \(x.ksError!)")
        #expect(abs(x.ks! - ks) <= x.ksError! + 1e-12, "\(c.name): KS \(x.ks!) vs scipy \(ks), bound \(x.ksError!)")
        #expect(abs(Drift.ksPValue(ks, 100_000, 100_000) - ref["ks_asymp_p"]!.double!) < 1e-9)

        // PSI on the baseline's decile bins: numpy's value on the raw data lies in the stated range.
        let psi = ref["psi"]!.double!, range = x.psiRange!
        #expect(range.contains(psi), "\(c.name): numpy PSI \(psi) outside \(range)")
        #expect(range.contains(x.psi!))
        #expect(range.upperBound - range.lowerBound < 0.15 + 2 * x.psi!, "\(c.name): the range says something")

        // Categories: exact counts on both sides, so exact agreement.
        #expect(cat.exact)
        #expect(abs(cat.chiSquare! - ref["chi2"]!.double!) <= 1e-9 * max(1, ref["chi2"]!.double!), "\(c.name)")
        #expect(abs(cat.pValue! - ref["chi2_p"]!.double!) <= 1e-9 + 1e-6 * ref["chi2_p"]!.double!, "\(c.name): p \(cat.pValue!) vs \(ref["chi2_p"]!.double!)")
        #expect(cat.degreesOfFreedom == Int(ref["dof"]!.int!))
        #expect(abs(cat.psi! - ref["cat_psi"]!.double!) < 1e-12)

        let verdicts = [Drift.verdict(x, DriftThresholds()), Drift.verdict(cat, DriftThresholds(minPValue: 1e-3))]
        if c.drifted {
            #expect(verdicts.contains { if case .drift = $0 { return true } else { return false } }, "\(c.name): \(verdicts)")
        } else {
            #expect(verdicts == [.pass, .pass], "\(c.name): \(verdicts)")
        }
    }
}

@Suite struct DriftTests {
    @Test func verdictsNameWhatExceededItsLimit() throws {
        var d = ColumnDrift(column: "x", method: .numeric)
        d.psi = 0.31
        d.ks = 0.05
        #expect(Drift.verdict(d, DriftThresholds()) == .drift(["PSI 0.31 > 0.2"]))
        d.ks = 0.15
        #expect(Drift.verdict(d, DriftThresholds(maxPSI: 0.5)) == .drift(["KS 0.15 > 0.1"]))
        var c = ColumnDrift(column: "c", method: .categorical)
        c.psi = 0.01
        c.pValue = 1e-5
        #expect(Drift.verdict(c, DriftThresholds()) == .pass)
        #expect(Drift.verdict(c, DriftThresholds(minPValue: 0.01)) == .drift(["chi-square p-value 1e-05 < 0.01"]))
        #expect(Drift.verdict(ColumnDrift(column: "z", method: nil, note: "missing from the current data"), DriftThresholds()) == .skipped("missing from the current data"))
    }

    @Test func columnsThatCannotBeCompared() throws {
        let a = try profileOf("n,s,e,t\n1,a,,2024-01-01\n2,b,,2024-01-02\n")
        let b = try profileOf("n,s,x,t\ntrue,a,1,5\nfalse,c,2,6\n")
        let d = Drift.compare(baseline: a, current: b)
        #expect(d.map(\.column) == ["n", "s", "e", "t", "x"])
        #expect(d.map(\.note) == ["type changed from int to bool", nil, "missing from the current data", "type changed from datetime to int", "not in the baseline"])
        #expect(d[1].method == .categorical && d[1].bins.map(\.label) == ["a", "b", "c"])
    }

    @Test func psiAndChiSquareOnKnownValues() {
        // Hand-computed: bins (0.5, 0.5) vs (0.25, 0.75): 2 * 0.25 * ln(...)
        let psi = Drift.psi([0.5, 0.5], [0.25, 0.75])
        #expect(abs(psi - ((0.25 - 0.5) * log(0.25 / 0.5) + (0.75 - 0.5) * log(0.75 / 0.5))) < 1e-15)
        #expect(Drift.psi([0.5, 0.5, 0], [0.5, 0.5, 0]) == 0)
        #expect(abs(Drift.psi([1, 0], [0.5, 0.5]) - ((0.5 - 1) * log(0.5) + (0.5 - 1e-4) * log(0.5 / 1e-4))) < 1e-12, "empty bins count as 1e-4")
        // 2x2 table [[10, 20], [20, 10]]: chi2 = 6.6667, dof 1, p = 0.009823.
        let chi = Drift.chiSquare([[10, 20], [20, 10]])
        #expect(abs(chi.statistic - 20.0 / 3) < 1e-12 && chi.degreesOfFreedom == 1 && abs(chi.pValue - 0.009823274507519235) < 1e-12)
        #expect(abs(Drift.gammaQ(3, 2) - 0.6766764161830634) < 1e-14)
        #expect(abs(Drift.gammaQ(0.5, 10) - 7.744216431044074e-06) < 1e-17)
        let r = Drift.psiBounds([0.5, 0.5], [0.5, 0.5], baselineError: 0.01, currentError: 0.01)
        #expect(r.lowerBound == 0 && r.upperBound > 0)
    }
}
