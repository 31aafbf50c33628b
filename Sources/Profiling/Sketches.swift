import CKernels
import Foundation

// The mergeable summaries a column profile is made of. Each is deterministic: the same values in the
// same order give the same state, and the randomness KLL needs comes from a seeded generator stored
// with it, so a profile is a function of the bytes profiled.

// MARK: Hash

/// The 64-bit value hash of profile format 1 (docs/validation.md; in C, CKernels' profiling.c):
/// HyperLogLog and the category table depend on it, so it is part of the format and must never
/// change within a version.
@inline(__always)
func valueHash(_ p: UnsafeRawPointer, _ n: Int) -> UInt64 { mlops_value_hash(p.assumingMemoryBound(to: UInt8.self), n) }

func valueHash(_ bytes: [UInt8]) -> UInt64 { bytes.withUnsafeBytes { valueHash($0.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, $0.count) } }

/// SplitMix64: the generator behind KLL's coin flips and the seeds of blocks.
@inline(__always)
func splitmix(_ state: inout UInt64) -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

// MARK: HyperLogLog

/// Distinct-count sketch: 2^12 registers, relative standard error 1.04/sqrt(4096) = 1.6%, estimated
/// with Ertl's improved raw estimator (no bias tables, unbiased from 0 to 2^52 distinct values).
public struct HyperLogLog: Equatable, Sendable {
    public static let precision = 12
    public static let registerCount = 1 << precision
    /// One standard error of the estimate, relative.
    public static let relativeError = 1.04 / Double(registerCount).squareRoot()
    static let maxRank = UInt8(64 - precision + 1)

    public internal(set) var registers: [UInt8]

    public init() { registers = [UInt8](repeating: 0, count: HyperLogLog.registerCount) }

    init(registers: [UInt8]) { self.registers = registers }

    @inline(__always)
    public mutating func add(hash h: UInt64) {
        let index = Int(h >> UInt64(64 - HyperLogLog.precision))
        let w = h << UInt64(HyperLogLog.precision)
        let rank = w == 0 ? HyperLogLog.maxRank : UInt8(w.leadingZeroBitCount + 1)
        registers.withUnsafeMutableBufferPointer { r in
            if r[index] < rank { r[index] = rank }
        }
    }

    /// Adds the hashes of the values that are not null (kinds from CKernels' mlops_csv_column).
    mutating func add(hashes: UnsafePointer<UInt64>, kinds: UnsafePointer<UInt8>, count: Int) {
        registers.withUnsafeMutableBufferPointer { mlops_hll_add($0.baseAddress!, Int32(HyperLogLog.precision), hashes, kinds, count) }
    }

    public mutating func merge(_ other: HyperLogLog) {
        registers.withUnsafeMutableBufferPointer { r in
            other.registers.withUnsafeBufferPointer { o in
                for i in 0..<r.count where o[i] > r[i] { r[i] = o[i] }
            }
        }
    }

    public var isEmpty: Bool { !registers.contains { $0 != 0 } }

    /// Ertl, "New cardinality estimation algorithms for HyperLogLog sketches" (2017), algorithm 6.
    public var estimate: Double {
        let m = Double(HyperLogLog.registerCount)
        let q = 64 - HyperLogLog.precision
        var c = [Int](repeating: 0, count: q + 2)
        for r in registers { c[Int(r)] += 1 }
        var z = m * HyperLogLog.tau(1 - Double(c[q + 1]) / m)
        for k in stride(from: q, through: 1, by: -1) { z = 0.5 * (z + Double(c[k])) }
        z += m * HyperLogLog.sigma(Double(c[0]) / m)
        return m * m / (2 * log(2.0)) / z
    }

    static func sigma(_ x0: Double) -> Double {
        if x0 == 1 { return .infinity }
        var x = x0, y = 1.0, z = x0
        while true {
            x *= x
            let z2 = z + x * y
            y += y
            if z2 == z { return z }
            z = z2
        }
    }

    static func tau(_ x0: Double) -> Double {
        if x0 == 0 || x0 == 1 { return 0 }
        var x = x0, y = 1.0, z = 1 - x0
        while true {
            x = x.squareRoot()
            let z2 = z
            y *= 0.5
            z -= (1 - x) * (1 - x) * y
            if z2 == z { return z / 3 }
        }
    }
}

// MARK: Moments

/// Count, mean, sum of squared deviations, min and max. Values are summed in batches of 64 as
/// deviations from the batch's first value (no division per value), and each batch is folded in
/// with Chan's formula, which also merges two summaries.
public struct Moments: Sendable {
    var foldedN: Int64 = 0
    var foldedMean = 0.0
    var foldedM2 = 0.0
    var batchN = 0
    var shift = 0.0
    var s1 = 0.0
    var s2 = 0.0
    public internal(set) var min: Double = .infinity
    public internal(set) var max: Double = -.infinity

    public init() {}

    init(n: Int64, mean: Double, m2: Double, min: Double, max: Double) {
        foldedN = n; foldedMean = mean; foldedM2 = m2; self.min = min; self.max = max
    }

    public var n: Int64 { foldedN + Int64(batchN) }
    public var mean: Double { combined.mean }
    public var m2: Double { combined.m2 }

    var combined: (n: Int64, mean: Double, m2: Double) {
        guard batchN > 0 else { return (foldedN, foldedMean, foldedM2) }
        let nb = Double(batchN)
        return Moments.chan((foldedN, foldedMean, foldedM2), (Int64(batchN), shift + s1 / nb, Swift.max(s2 - s1 * s1 / nb, 0)))
    }

    static func chan(_ a: (n: Int64, mean: Double, m2: Double), _ b: (n: Int64, mean: Double, m2: Double)) -> (n: Int64, mean: Double, m2: Double) {
        if b.n == 0 { return a }
        if a.n == 0 { return b }
        let total = a.n + b.n
        let d = b.mean - a.mean
        let na = Double(a.n), nb = Double(b.n), nt = Double(total)
        return (total, a.mean + d * nb / nt, a.m2 + b.m2 + d * d * na * nb / nt)
    }

    @inline(__always)
    public mutating func add(_ x: Double) {
        if batchN == 0 { shift = x }
        let d = x - shift
        s1 += d
        s2 += d * d
        batchN += 1
        if x < min { min = x }
        if x > max { max = x }
        if batchN == 64 { fold() }
    }

    /// Adds the values in order, as one add each.
    mutating func add(_ xs: UnsafeBufferPointer<Double>) {
        for x in xs { add(x) }
    }

    /// The same state as CKernels' mlops_moments, which adds values in C with the same operations.
    var c: mlops_moments {
        get {
            mlops_moments(folded_n: foldedN, folded_mean: foldedMean, folded_m2: foldedM2, batch_n: Int64(batchN),
                          shift: shift, s1: s1, s2: s2, min: min, max: max)
        }
        set {
            foldedN = newValue.folded_n; foldedMean = newValue.folded_mean; foldedM2 = newValue.folded_m2
            batchN = Int(newValue.batch_n); shift = newValue.shift; s1 = newValue.s1; s2 = newValue.s2
            min = newValue.min; max = newValue.max
        }
    }

    mutating func fold() {
        (foldedN, foldedMean, foldedM2) = combined
        batchN = 0
        s1 = 0
        s2 = 0
    }

    public mutating func merge(_ o: Moments) {
        fold()
        (foldedN, foldedMean, foldedM2) = Moments.chan((foldedN, foldedMean, foldedM2), o.combined)
        min = Swift.min(min, o.min)
        max = Swift.max(max, o.max)
    }

    /// Sample standard deviation (n - 1 in the denominator, as pandas' describe()).
    public var std: Double? {
        let c = combined
        return c.n > 1 ? (Swift.max(c.m2, 0) / Double(c.n - 1)).squareRoot() : nil
    }
}

extension Moments: Equatable {
    public static func == (a: Moments, b: Moments) -> Bool {
        let x = a.combined, y = b.combined
        return x.n == y.n && x.mean == y.mean && x.m2 == y.m2 && a.min == b.min && a.max == b.max
    }
}

// MARK: KLL

/// KLL quantile sketch (Karnin, Lang, Liberty 2016) with lazy compaction, level capacities
/// k·(2/3)^depth (at least 8), and a seeded coin for each compaction.
///
/// Its rank error is tracked rather than assumed: a compaction at level h moves any rank by 0 or
/// ±2^h with equal odds, so the error of a rank query is a martingale with variance at most
/// `variance` = Σ 4^h over the compactions done, and Azuma's inequality bounds it (see `rankError`).
public struct KLLSketch: Equatable, Sendable {
    public static let defaultK = 200
    static let minWidth = 8
    /// The confidence of `rankError` is 1 - delta for each query.
    public static let delta = 0.01

    public let k: Int
    public internal(set) var n: Int64 = 0
    /// Level 0: new values, unsorted, weight 1.
    var level0: [Double] = []
    /// Levels 1, 2, ...: upper[h - 1] holds level h, sorted, items of weight 2^h.
    var upper: [[Double]] = []
    public internal(set) var variance: Double = 0
    /// The generator's state; stored so that merges of decoded sketches are deterministic too.
    public internal(set) var rng: UInt64
    var retained = 0
    /// Capacities of the levels at the current height, and their sum.
    var capacities: [Int]
    var capacityTotal: Int

    /// Level h holds items of weight 2^h; level 0 is unsorted, the others are sorted.
    public var levels: [[Double]] { [level0] + upper }

    public init(k: Int = KLLSketch.defaultK, seed: UInt64) {
        self.k = k
        rng = seed
        capacities = KLLSketch.capacities(k: k, height: 1)
        capacityTotal = capacities.reduce(0, +)
    }

    init(k: Int, n: Int64, levels: [[Double]], variance: Double, rng: UInt64) {
        self.k = k; self.n = n; self.variance = variance; self.rng = rng
        level0 = levels.first ?? []
        upper = Array(levels.dropFirst())
        retained = levels.reduce(0) { $0 + $1.count }
        capacities = KLLSketch.capacities(k: k, height: max(1, levels.count))
        capacityTotal = capacities.reduce(0, +)
    }

    public static func == (a: KLLSketch, b: KLLSketch) -> Bool {
        a.k == b.k && a.n == b.n && a.variance == b.variance && a.rng == b.rng && a.upper == b.upper
            && a.level0.sorted() == b.level0.sorted()
    }

    /// Capacity of level h of `height` levels: k·(2/3)^depth, at least 8; level 0 holds at least k
    /// items, so that new values are sorted and compacted k/2 at a time (this only lowers the error).
    static func capacities(k: Int, height: Int) -> [Int] {
        (0..<height).map { h in
            var c = k
            for _ in 0..<(height - 1 - h) where c > minWidth { c = c * 2 / 3 }
            return h == 0 ? Swift.max(k, c) : Swift.max(minWidth, c)
        }
    }

    static func totalCapacity(k: Int, levels: Int) -> Int { capacities(k: k, height: levels).reduce(0, +) }

    @inline(__always)
    public mutating func add(_ x: Double) {
        level0.append(x)
        n += 1
        retained += 1
        if retained >= capacityTotal { compress() }
    }

    /// Adds the values in order: the same sketch as one add each, with the appends done in bulk
    /// between the compactions.
    mutating func add(_ xs: UnsafeBufferPointer<Double>) {
        var i = 0
        while i < xs.count {
            let take = Swift.min(Swift.max(1, capacityTotal - retained), xs.count - i)
            level0.append(contentsOf: UnsafeBufferPointer(rebasing: xs[i..<i + take]))
            n += Int64(take)
            retained += take
            i += take
            if retained >= capacityTotal { compress() }
        }
    }

    func count(_ h: Int) -> Int { h == 0 ? level0.count : upper[h - 1].count }

    mutating func compress() {
        while retained >= capacityTotal {
            let height = upper.count + 1
            var h = 0
            while h < height && count(h) < capacities[h] { h += 1 }
            if h >= height { return }
            if h == height - 1 {
                upper.append([])
                capacities = KLLSketch.capacities(k: k, height: height + 1)
                capacityTotal = capacities.reduce(0, +)
            }
            compact(h)
        }
    }

    /// Halves level h into level h + 1: sorts it, keeps the first item when the count is odd, and
    /// promotes every other item starting at a random one of the first two (merged in place).
    mutating func compact(_ h: Int) {
        let coin = Int(splitmix(&rng) >> 63)
        let count: Int, promote: Int
        if h == 0 {
            level0.withUnsafeMutableBufferPointer { mlops_sort_doubles(-1, $0.baseAddress!, $0.count) }
            count = level0.count
            promote = (count - (count & 1)) / 2
            level0.withUnsafeBufferPointer { src in KLLSketch.mergeHalf(src, coin: coin, promote: promote, into: &upper[0]) }
            level0.removeSubrange((count & 1)...)
        } else {
            count = upper[h - 1].count
            promote = (count - (count & 1)) / 2
            var src: [Double] = []
            swap(&src, &upper[h - 1])
            src.withUnsafeBufferPointer { KLLSketch.mergeHalf($0, coin: coin, promote: promote, into: &upper[h]) }
            src.removeSubrange((count & 1)...)
            swap(&src, &upper[h - 1])
        }
        retained -= count - (count & 1) - promote
        variance += pow(4.0, Double(h))
    }

    /// Merges src[start + coin + 2j] (j < promote; start = 1 for an odd count) into the sorted
    /// `dst`: a stable merge (CKernels' mlops_kll_merge_half).
    @inline(__always)
    static func mergeHalf(_ src: UnsafeBufferPointer<Double>, coin: Int, promote: Int, into dst: inout [Double]) {
        guard promote > 0 else { return }
        let old = dst.count
        dst.append(contentsOf: repeatElement(0, count: promote))
        dst.withUnsafeMutableBufferPointer { d in
            mlops_kll_merge_half(-1, d.baseAddress!, old, src.baseAddress!, src.count, Int32(coin), promote)
        }
    }

    static func mergeSorted(_ a: [Double], _ b: [Double]) -> [Double] {
        if a.isEmpty { return b }
        if b.isEmpty { return a }
        var out = [Double]()
        out.reserveCapacity(a.count + b.count)
        var i = 0, j = 0
        while i < a.count && j < b.count {
            if b[j] < a[i] { out.append(b[j]); j += 1 } else { out.append(a[i]); i += 1 }
        }
        out.append(contentsOf: a[i...])
        out.append(contentsOf: b[j...])
        return out
    }

    /// Adds values with integer weights, exactly: a value of weight c goes to level h for each bit
    /// h set in c (an item there weighs 2^h).
    mutating func add(weighted: [(Double, Int64)]) {
        guard !weighted.isEmpty else { return }
        let sorted = weighted.sorted { $0.0 < $1.0 }
        var h = 0
        while true {
            let bit = Int64(1) << Int64(h)
            let items = sorted.compactMap { $0.1 & bit != 0 ? $0.0 : nil }
            if !items.isEmpty {
                if h == 0 {
                    level0 += items
                } else {
                    while upper.count < h { upper.append([]) }
                    upper[h - 1] = KLLSketch.mergeSorted(upper[h - 1], items)
                }
                retained += items.count
            }
            if !sorted.contains(where: { $0.1 >> Int64(h + 1) != 0 }) { break }
            h += 1
        }
        n += sorted.reduce(0) { $0 + $1.1 }
        capacities = KLLSketch.capacities(k: k, height: upper.count + 1)
        capacityTotal = capacities.reduce(0, +)
        compress()
    }

    /// Merging with an empty sketch changes nothing (not even the generator).
    public mutating func merge(_ o: KLLSketch) {
        precondition(o.k == k, "KLL sketches of different k")
        if o.n == 0 { return }
        if n == 0 { self = o; return }
        level0 += o.level0
        while upper.count < o.upper.count { upper.append([]) }
        for h in 0..<o.upper.count { upper[h] = KLLSketch.mergeSorted(upper[h], o.upper[h]) }
        n += o.n
        variance += o.variance
        var s = rng ^ (o.rng << 17 | o.rng >> 47)
        rng = splitmix(&s)
        retained += o.retained
        capacities = KLLSketch.capacities(k: k, height: upper.count + 1)
        capacityTotal = capacities.reduce(0, +)
        compress()
    }

    /// Normalized rank error that a single rank or quantile query exceeds with probability at most
    /// `delta`: sqrt(2 ln(2/delta) · variance) / n (0 while no compaction happened: the sketch is exact).
    public var rankError: Double {
        n == 0 ? 0 : (2 * log(2 / KLLSketch.delta) * variance).squareRoot() / Double(n)
    }

    /// The retained items sorted, with their cumulative weights: the sketch's CDF as a step function.
    public var sortedView: SortedView { SortedView(self) }

    public struct SortedView: Sendable {
        public let values: [Double]
        /// cumulative[i] = total weight of values[0...i].
        public let cumulative: [Int64]
        public let n: Int64

        init(_ s: KLLSketch) {
            var pairs: [(Double, Int64)] = []
            pairs.reserveCapacity(s.retained)
            for (h, level) in s.levels.enumerated() {
                let w = Int64(1) << Int64(h)
                for v in level { pairs.append((v, w)) }
            }
            pairs.sort { $0.0 < $1.0 }
            var vals: [Double] = [], cum: [Int64] = []
            vals.reserveCapacity(pairs.count); cum.reserveCapacity(pairs.count)
            var acc: Int64 = 0
            for (v, w) in pairs {
                acc += w
                if let last = vals.last, last == v { cum[cum.count - 1] = acc } else { vals.append(v); cum.append(acc) }
            }
            values = vals; cumulative = cum; n = s.n
        }

        /// Estimated number of items <= x (or < x when not inclusive).
        public func rank(_ x: Double, inclusive: Bool = true) -> Int64 {
            var lo = 0, hi = values.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if inclusive ? values[mid] <= x : values[mid] < x { lo = mid + 1 } else { hi = mid }
            }
            return lo == 0 ? 0 : cumulative[lo - 1]
        }

        /// Estimated P(X <= x).
        public func cdf(_ x: Double) -> Double { n == 0 ? 0 : Double(rank(x)) / Double(n) }

        /// The smallest retained value whose estimated normalized rank (<=) is at least q.
        public func quantile(_ q: Double) -> Double? {
            guard !values.isEmpty else { return nil }
            let target = q * Double(n)
            var lo = 0, hi = values.count - 1
            while lo < hi {
                let mid = (lo + hi) / 2
                if Double(cumulative[mid]) >= target { hi = mid } else { lo = mid + 1 }
            }
            return values[lo]
        }
    }
}

// MARK: Frequent items

/// The most frequent values with counts: Misra-Gries with a table that is cut back to K entries by
/// subtracting the (K+1)-th largest count (Agarwal et al., "Mergeable summaries"). The table holds up
/// to 2K entries, growing to 4K for columns of many distinct values so that cuts stay rare. Stored
/// counts are lower bounds: the true count of a value is in [count, count + maxError], and a value
/// not listed occurs at most maxError times. maxError is 0 until the table first overflows, and then
/// the list is every distinct value with its exact count.
public struct FrequentItems: Sendable {
    public static let capacity = 128
    /// Labels are cut to this many bytes (at a UTF-8 boundary) and counted by the cut label.
    public static let maxLabelBytes = 256
    static let maxTable = 4 * capacity

    /// key, count (0: empty), start and length of the label in the arena; a C struct, for
    /// CKernels' mlops_table_count.
    typealias Slot = mlops_table_slot

    /// Open addressing, linear probing, at most half full.
    var slots = [Slot](repeating: Slot(), count: 4 * FrequentItems.capacity)
    var arena: [UInt8] = []
    public internal(set) var used = 0
    public internal(set) var maxError: Int64 = 0
    /// Every value counted, listed or not.
    public internal(set) var total: Int64 = 0
    /// Cuts since the last `finish()`.
    var cuts = 0
    /// Set when, after a few cuts, no listed value stands out from the error: the values are nearly
    /// all distinct and listing them is wasted work. Until `finish()`, values are then only
    /// counted, each raising maxError by one, which keeps every bound true.
    var saturated = false

    public init() {}

    /// Adds one occurrence of the value `p[0..<n]` whose valueHash is `hash`.
    @inline(__always)
    public mutating func add(hash: UInt64, _ p: UnsafeRawPointer, _ n: Int) {
        if saturated { total += 1; maxError += 1; return }
        if n > FrequentItems.maxLabelBytes {
            let cut = utf8Prefix(p, n, FrequentItems.maxLabelBytes)
            add(hash: valueHash(p, cut), count: 1, p, cut)
        } else {
            add(hash: hash, count: 1, p, n)
        }
    }

    /// Counts the values from `from` on that are listed already (nulls skipped), as `add` would, and
    /// adds their hashes to `registers` unless nil; returns the first value that needs `add`.
    mutating func countListed(_ b: ValueBatch, from: Int, registers: UnsafeMutablePointer<UInt8>?) -> Int {
        var counted: Int64 = 0
        let next = slots.withUnsafeMutableBufferPointer {
            mlops_table_count($0.baseAddress!, $0.count, registers, Int32(HyperLogLog.precision), b.hashes, b.kinds, b.lengths,
                              FrequentItems.maxLabelBytes, from, b.count, &counted)
        }
        total += counted
        return next
    }

    /// Counts `k` values while saturated (what `add` does to each of them then).
    mutating func addSaturated(_ k: Int64) {
        precondition(saturated)
        total += k
        maxError += k
    }

    @inline(__always)
    mutating func add(hash: UInt64, count c: Int64, _ p: UnsafeRawPointer, _ n: Int) {
        total += c
        let found: Bool = slots.withUnsafeMutableBufferPointer { sl in
            let mask = sl.count - 1
            var s = Int(truncatingIfNeeded: hash) & mask
            while sl[s].count != 0 {
                if sl[s].key == hash { sl[s].count += c; return true }
                s = (s + 1) & mask
            }
            return false
        }
        if found { return }
        if 2 * (used + 1) > slots.count {
            if slots.count < 2 * FrequentItems.maxTable { rebuild(slotCount: 2 * slots.count, cut: 0) } else { purge(to: FrequentItems.capacity) }
        }
        let start = Int32(arena.count)
        arena.append(contentsOf: UnsafeRawBufferPointer(start: p, count: n))
        slots.withUnsafeMutableBufferPointer { sl in
            let mask = sl.count - 1
            var s = Int(truncatingIfNeeded: hash) & mask
            while sl[s].count != 0 { s = (s + 1) & mask }
            sl[s] = Slot(key: hash, count: c, start: start, length: Int32(n))
        }
        used += 1
    }

    /// Cuts the table to at most `keep` entries: subtracts the (keep+1)-th largest count from every
    /// count and drops those that reach zero.
    mutating func purge(to keep: Int) {
        guard used > keep else { return }
        var live = slots.compactMap { $0.count > 0 ? $0.count : nil }
        let cut = FrequentItems.select(&live, keep)
        maxError += cut
        rebuild(slotCount: slots.count, cut: cut)
        cuts += 1
        if cuts >= 3 && !slots.contains(where: { $0.count > maxError }) { saturated = true }
    }

    /// The (k+1)-th largest value (quickselect; reorders `a`).
    static func select(_ a: inout [Int64], _ k: Int) -> Int64 {
        var lo = 0, hi = a.count - 1
        while lo < hi {
            let pivot = a[(lo + hi) / 2]
            var i = lo, j = hi
            while i <= j {
                while a[i] > pivot { i += 1 }
                while a[j] < pivot { j -= 1 }
                if i <= j { a.swapAt(i, j); i += 1; j -= 1 }
            }
            if k <= j { hi = j } else if k >= i { lo = i } else { return a[k] }
        }
        return a[k]
    }

    /// Rehashes the entries whose count exceeds `cut` (minus `cut`) into `slotCount` slots.
    mutating func rebuild(slotCount: Int, cut: Int64) {
        let old = slots, oldArena = arena
        slots = [Slot](repeating: Slot(), count: slotCount)
        arena = []
        used = 0
        slots.withUnsafeMutableBufferPointer { sl in
            let mask = sl.count - 1
            for e in old where e.count > cut {
                var s = Int(truncatingIfNeeded: e.key) & mask
                while sl[s].count != 0 { s = (s + 1) & mask }
                sl[s] = Slot(key: e.key, count: e.count - cut, start: Int32(arena.count), length: e.length)
                arena.append(contentsOf: oldArena[Int(e.start)..<Int(e.start) + Int(e.length)])
                used += 1
            }
        }
    }

    /// True when listing one more value would cut the table.
    var isFull: Bool { 2 * (used + 1) > slots.count && slots.count >= 2 * FrequentItems.maxTable }

    /// Every entry: its key, count and label bytes.
    func forEachEntry(_ body: (UInt64, Int64, UnsafeRawPointer, Int) -> Void) {
        arena.withUnsafeBytes { a in
            for e in slots where e.count > 0 {
                body(e.key, e.count, a.baseAddress.map { $0 + Int(e.start) } ?? UnsafeRawPointer(bitPattern: 1)!, Int(e.length))
            }
        }
    }

    /// Cuts the table back to the stored capacity; done at the end of every profile and merge.
    mutating func finish() {
        saturated = false
        cuts = 0
        purge(to: FrequentItems.capacity)
        cuts = 0
        // A list in which nothing stands out from the error says nothing: empty it (a cut at its
        // largest count, so every bound still holds).
        let top = slots.reduce(0) { Swift.max($0, $1.count) }
        if maxError > 0 && top > 0 && top <= maxError {
            maxError += top
            rebuild(slotCount: slots.count, cut: top)
        }
        if slots.count > 4 * FrequentItems.capacity && used <= FrequentItems.capacity { rebuild(slotCount: 4 * FrequentItems.capacity, cut: 0) }
    }

    public mutating func merge(_ o: FrequentItems) {
        let t = total
        o.arena.withUnsafeBytes { a in
            for e in o.slots where e.count > 0 {
                add(hash: e.key, count: e.count, a.baseAddress.map { $0 + Int(e.start) } ?? UnsafeRawPointer(bitPattern: 1)!, Int(e.length))
            }
        }
        total = t + o.total
        maxError += o.maxError
        finish()
    }

    /// The entries, most frequent first (ties by label bytes).
    public var items: [(label: String, count: Int64)] {
        var out: [([UInt8], Int64)] = []
        for e in slots where e.count > 0 { out.append((Array(arena[Int(e.start)..<Int(e.start) + Int(e.length)]), e.count)) }
        out.sort { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0.lexicographicallyPrecedes($1.0) }
        return out.map { (String(decoding: $0.0, as: UTF8.self), $0.1) }
    }

    /// True when every distinct value is listed with its exact count.
    public var isExact: Bool { maxError == 0 }

    /// The count of one label as stored (0 when not listed).
    public func count(of label: String) -> Int64 {
        var bytes = Array(label.utf8)
        if bytes.count > FrequentItems.maxLabelBytes {
            bytes = Array(bytes[..<bytes.withUnsafeBytes { utf8Prefix($0.baseAddress!, $0.count, FrequentItems.maxLabelBytes) }])
        }
        let h = valueHash(bytes)
        let mask = slots.count - 1
        var s = Int(truncatingIfNeeded: h) & mask
        while slots[s].count != 0 {
            if slots[s].key == h { return slots[s].count }
            s = (s + 1) & mask
        }
        return 0
    }
}

extension FrequentItems: Equatable {
    /// Equal content (what is listed and the counts), whatever the table's layout.
    public static func == (a: FrequentItems, b: FrequentItems) -> Bool {
        a.total == b.total && a.maxError == b.maxError && a.used == b.used
            && a.items.elementsEqual(b.items) { $0.label == $1.label && $0.count == $1.count }
    }
}

/// The longest prefix of the UTF-8 text `p[0..<n]` of at most `limit` bytes that ends on a character boundary.
func utf8Prefix(_ p: UnsafeRawPointer, _ n: Int, _ limit: Int) -> Int {
    guard n > limit else { return n }
    var cut = limit
    while cut > 0 && (p.load(fromByteOffset: cut, as: UInt8.self) & 0xC0) == 0x80 { cut -= 1 }
    return cut
}
