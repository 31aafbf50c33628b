import CKernels
import Foundation
@testable import Profiling
import Testing

@Suite struct SketchTests {
    @Test func valueHashIsTheFormatsHash() {
        // Profiles store HyperLogLog registers and category keys made with this hash: a change would
        // silently break merging with profiles already stored, so its outputs are pinned.
        let pinned: [(String, String)] = [("", "9ca066f1a4ab2eea"), ("a", "0f75defca7c4a466"), ("books", "1a59aa1f2f6f336b"), ("1600000003", "71f0e682100a1588"),
                                          ("a longer value, over 16 bytes", "c7149d8d5d06b7ae")]
            + [("ab", "003a881e80503aa6"), ("abc", "bb66799ad2b0c319"), ("abcdefg", "05884b7d6a0fb16a"), ("abcdefgh", "a1fcadd4e7e6664b"), ("0.374540", "bd75c6a8ed2150c0")]
        for (text, hash) in pinned { #expect(hex16(valueHash(Array(text.utf8))) == hash, "\(text)") }
    }

    @Test func hyperLogLogStaysWithinFourStandardErrors() {
        for n in [0, 1, 10, 100, 1_000, 5_000, 20_000, 100_000, 1_000_000] {
            var h = HyperLogLog()
            for i in 0..<n { withDecimal(Int64(i)) { h.add(hash: valueHash($0, $1)) } }
            let e = h.estimate
            if n == 0 { #expect(e == 0); continue }
            let rel = abs(e - Double(n)) / Double(n)
            #expect(rel < 4 * HyperLogLog.relativeError, "n=\(n) estimate=\(e)")
        }
    }

    @Test func hyperLogLogMergeIsTheUnion() {
        var a = HyperLogLog(), b = HyperLogLog(), both = HyperLogLog()
        for i in 0..<30_000 {
            let h = withDecimal(Int64(i)) { valueHash($0, $1) }
            if i < 20_000 { a.add(hash: h) }
            if i >= 10_000 { b.add(hash: h) }
            both.add(hash: h)
        }
        var m = a
        m.merge(b)
        #expect(m == both)
    }

    @Test func momentsMatchADirectComputationAndMerge() {
        var r = Rng(1)
        let xs = (0..<10_001).map { _ in 1e6 + r.normal() * 3 }
        var m = Moments()
        xs.forEach { m.add($0) }
        let mean = xs.reduce(0, +) / Double(xs.count)
        let variance = xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(xs.count - 1)
        #expect(abs(m.mean - mean) < 1e-14 * mean, "within a few ulps")
        #expect(abs(m.std! - variance.squareRoot()) < 1e-9)
        var a = Moments(), b = Moments()
        xs[..<3000].forEach { a.add($0) }
        xs[3000...].forEach { b.add($0) }
        a.merge(b)
        #expect(a.n == m.n && abs(a.mean - m.mean) < 1e-9 && abs(a.std! - m.std!) < 1e-9)
        #expect(a.min == xs.min() && a.max == xs.max())
    }

    /// The true rank error of every query against the sketch's stated bound.
    static func rankErrors(_ s: KLLSketch, sorted xs: [Double], queries: [Double]) -> [Double] {
        let view = s.sortedView
        return queries.map { q in
            var lo = 0, hi = xs.count
            while lo < hi { let mid = (lo + hi) / 2; if xs[mid] <= q { lo = mid + 1 } else { hi = mid } }
            return abs(Double(view.rank(q)) - Double(lo)) / Double(xs.count)
        }
    }

    @Test func kllIsExactWhileSmallAndWithinItsBoundWhenLarge() {
        var small = KLLSketch(seed: 1)
        for i in 0..<150 { small.add(Double(i)) }
        #expect(small.rankError == 0)
        #expect(small.sortedView.quantile(0.5) == 74)

        for (name, gen) in [("normal", { (r: inout Rng) in r.normal() }), ("lognormal", { (r: inout Rng) in exp(r.normal()) }),
                            ("few values", { (r: inout Rng) in Double(r.int(0..<7)) })] as [(String, (inout Rng) -> Double)] {
            var r = Rng(7)
            var s = KLLSketch(seed: 42)
            var xs: [Double] = []
            for _ in 0..<300_000 { let x = gen(&r); xs.append(x); s.add(x) }
            xs.sort()
            let eps = s.rankError
            #expect(eps > 0 && eps < 0.03, "\(name): stated error \(eps)")
            let queries = stride(from: 0, to: xs.count, by: 997).map { xs[$0] }
            let errors = SketchTests.rankErrors(s, sorted: xs, queries: queries)
            // The bound holds for each query with probability 99%; allow 2% of queries over it.
            let over = errors.filter { $0 > eps }.count
            #expect(over <= queries.count / 50, "\(name): \(over) of \(queries.count) queries beyond \(eps), worst \(errors.max()!)")
            #expect(errors.max()! < 2 * eps, "\(name)")
            #expect(s.n == 300_000)
            #expect(s.levels.reduce(0) { $0 + $1.count } < 1000, "the sketch stays small")
        }
    }

    @Test func kllIsDeterministicAndMergesWithinTheBound() {
        var r = Rng(3)
        let xs = (0..<200_000).map { _ in r.normal() }
        var a = KLLSketch(seed: 5), b = KLLSketch(seed: 5)
        xs.forEach { a.add($0); b.add($0) }
        #expect(a == b)

        var parts = (0..<4).map { KLLSketch(seed: UInt64($0)) }
        for (i, x) in xs.enumerated() { parts[i * 4 / xs.count].add(x) }
        var m1 = parts[0]; m1.merge(parts[1]); var m2 = parts[2]; m2.merge(parts[3]); m1.merge(m2)
        var n1 = parts[0]; n1.merge(parts[1]); n1.merge(parts[2]); n1.merge(parts[3])
        let sorted = xs.sorted()
        let queries = stride(from: 0, to: sorted.count, by: 1999).map { sorted[$0] }
        for m in [m1, n1] {
            #expect(m.n == Int64(xs.count))
            let errors = SketchTests.rankErrors(m, sorted: sorted, queries: queries)
            #expect(errors.max()! < 2 * m.rankError && m.rankError < 0.03, "merged: worst \(errors.max()!), bound \(m.rankError)")
        }
    }

    @Test func frequentItemsAreExactUntilFullThenBounded() {
        var f = FrequentItems()
        let words = (0..<100).map { "w\($0)" }
        for (i, w) in words.enumerated() {
            for _ in 0...i { w.utf8CString.withUnsafeBufferPointer { b in f.add(hash: valueHash(Array(w.utf8)), b.baseAddress!, w.utf8.count) } }
        }
        #expect(f.isExact)
        #expect(f.items.first! == ("w99", 100) || f.items.first!.label == "w99")
        #expect(f.items.count == 100 && f.count(of: "w10") == 11)

        // Heavy hitters among 50,000 distinct rare values: found, counts within maxError.
        var g = FrequentItems()
        var r = Rng(9)
        var truth: [String: Int64] = [:]
        for _ in 0..<200_000 {
            let v = r.uniform() < 0.5 ? "hot\(r.int(0..<5))" : "rare\(r.int(0..<50_000))"
            truth[v, default: 0] += 1
            Array(v.utf8).withUnsafeBytes { g.add(hash: valueHash(Array(v.utf8)), $0.baseAddress!, $0.count) }
        }
        g.finish()
        #expect(!g.isExact && g.items.count <= FrequentItems.capacity)
        #expect(g.maxError <= 200_000 / Int64(FrequentItems.capacity + 1))
        for (label, count) in g.items {
            let t = truth[label]!
            #expect(count <= t && t <= count + g.maxError, "\(label): \(count) vs \(t)")
        }
        for i in 0..<5 { #expect(g.count(of: "hot\(i)") > 15_000) }
        for (label, t) in truth where g.count(of: label) == 0 { #expect(t <= g.maxError) }

        var h = g
        h.merge(g)
        #expect(h.total == 400_000 && h.maxError >= 2 * g.maxError)
        for i in 0..<5 {
            let t = 2 * truth["hot\(i)"]!
            #expect(h.count(of: "hot\(i)") <= t && t <= h.count(of: "hot\(i)") + h.maxError)
        }
    }

    @Test func nearlyDistinctValuesStopBeingListedButKeepTheirBounds() {
        var f = FrequentItems()
        func add(_ v: String) { Array(v.utf8).withUnsafeBytes { f.add(hash: valueHash(Array(v.utf8)), $0.baseAddress!, $0.count) } }
        for i in 0..<50_000 { add("u\(i)") }
        #expect(f.saturated, "after a few cuts with nothing standing out")
        for _ in 0..<30_000 { add("late") }
        f.finish()
        #expect(!f.saturated && f.total == 80_000)
        let late = f.count(of: "late")
        #expect(late <= 30_000 && 30_000 <= late + f.maxError, "\(late) + \(f.maxError)")
        #expect(f.items.isEmpty, "a list in which nothing stands out is emptied")
        #expect(f.maxError >= 30_000)
        // A table with a value that stands out keeps counting it.
        var g = FrequentItems()
        for i in 0..<50_000 {
            let v = i % 3 == 0 ? "hot" : "u\(i)"
            Array(v.utf8).withUnsafeBytes { g.add(hash: valueHash(Array(v.utf8)), $0.baseAddress!, $0.count) }
        }
        #expect(!g.saturated)
        g.finish()
        #expect(abs(g.count(of: "hot") - 16_667) <= g.maxError && g.maxError < 1000)
    }

    @Test func longLabelsAreCutAtACharacterBoundary() {
        var f = FrequentItems()
        let long = String(repeating: "é", count: 300) // 600 bytes
        Array(long.utf8).withUnsafeBytes { f.add(hash: valueHash(Array(long.utf8)), $0.baseAddress!, $0.count) }
        let label = f.items[0].label
        #expect(label.utf8.count == 256 && label == String(repeating: "é", count: 128))
        #expect(f.count(of: long) == 1)
    }
}

@Suite struct SortTests {
    @Test func sortDoublesSortsRandomSortedAndRepeatedInput() {
        var r = Rng(12)
        let inputs: [[Double]] = [
            [], [1], [2, 1], (0..<1000).map { _ in r.normal() }, (0..<300).map(Double.init), (0..<300).map { Double(300 - $0) },
            (0..<500).map { _ in Double(r.int(0..<2)) }, Array(repeating: 3, count: 200), (0..<777).map { _ in Double(r.int(0..<19)) },
            (0..<400).map { $0 % 2 == 0 ? 1e300 : -1e-300 },
        ]
        for input in inputs {
            var a = input
            a.withUnsafeMutableBufferPointer { if let b = $0.baseAddress { mlops_sort_doubles(-1, b, $0.count) } }
            #expect(a == input.sorted(), "\(input.count) values")
        }
    }
}
