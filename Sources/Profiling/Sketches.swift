import Foundation

// The mergeable summaries a column profile is made of. Each is deterministic: the same values in the
// same order give the same state, and the randomness KLL needs comes from a seeded generator stored
// with it, so a profile is a function of the bytes profiled.

// MARK: Hash

/// The 64-bit value hash of profile format 1 (docs/validation.md): HyperLogLog and the category table
/// depend on it, so it is part of the format and must never change within a version.
@inline(__always)
func valueHash(_ p: UnsafeRawPointer, _ n: Int) -> UInt64 {
    let k1: UInt64 = 0x87C3_7B91_1142_53D5, k2: UInt64 = 0x4CF5_AD43_2745_937F
    var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ (UInt64(truncatingIfNeeded: n) &* 0xC2B2_AE3D_27D4_EB4F)
    var i = 0
    while i + 8 <= n {
        let w = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: i, as: UInt64.self))
        h = ((h ^ (w &* k1)) << 29 | (h ^ (w &* k1)) >> 35) &* k2
        i += 8
    }
    if i < n {
        var t: UInt64 = 0
        var s: UInt64 = 0
        while i < n { t |= UInt64(p.load(fromByteOffset: i, as: UInt8.self)) << s; s += 8; i += 1 }
        h = ((h ^ (t &* k1)) << 29 | (h ^ (t &* k1)) >> 35) &* k2
    }
    h ^= h >> 33; h &*= 0xFF51_AFD7_ED55_8CCD
    h ^= h >> 33; h &*= 0xC4CE_B9FE_1A85_EC53
    h ^= h >> 33
    return h
}

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

/// Count, mean, sum of squared deviations (Welford), min and max; merged with Chan's formula.
public struct Moments: Equatable, Sendable {
    public internal(set) var n: Int64 = 0
    public internal(set) var mean: Double = 0
    public internal(set) var m2: Double = 0
    public internal(set) var min: Double = .infinity
    public internal(set) var max: Double = -.infinity

    public init() {}

    init(n: Int64, mean: Double, m2: Double, min: Double, max: Double) {
        self.n = n; self.mean = mean; self.m2 = m2; self.min = min; self.max = max
    }

    @inline(__always)
    public mutating func add(_ x: Double) {
        n += 1
        let d = x - mean
        mean += d / Double(n)
        m2 += d * (x - mean)
        if x < min { min = x }
        if x > max { max = x }
    }

    public mutating func merge(_ o: Moments) {
        guard o.n > 0 else { return }
        guard n > 0 else { self = o; return }
        let total = n + o.n
        let d = o.mean - mean
        let na = Double(n), nb = Double(o.n), nt = Double(total)
        mean += d * nb / nt
        m2 += o.m2 + d * d * na * nb / nt
        n = total
        min = Swift.min(min, o.min)
        max = Swift.max(max, o.max)
    }

    /// Sample standard deviation (n - 1 in the denominator, as pandas' describe()).
    public var std: Double? { n > 1 ? (Swift.max(m2, 0) / Double(n - 1)).squareRoot() : nil }
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
    /// Level h holds items of weight 2^h; level 0 is unsorted, the others are sorted.
    public internal(set) var levels: [[Double]]
    public internal(set) var variance: Double = 0
    /// The generator's state; stored so that merges of decoded sketches are deterministic too.
    public internal(set) var rng: UInt64
    var retained = 0
    var capacityTotal: Int

    public init(k: Int = KLLSketch.defaultK, seed: UInt64) {
        self.k = k
        levels = [[]]
        rng = seed
        capacityTotal = KLLSketch.capacity(k: k, depth: 0)
        levels[0].reserveCapacity(capacityTotal)
    }

    init(k: Int, n: Int64, levels: [[Double]], variance: Double, rng: UInt64) {
        self.k = k; self.n = n; self.levels = levels; self.variance = variance; self.rng = rng
        retained = levels.reduce(0) { $0 + $1.count }
        capacityTotal = KLLSketch.totalCapacity(k: k, levels: levels.count)
    }

    public static func == (a: KLLSketch, b: KLLSketch) -> Bool {
        a.k == b.k && a.n == b.n && a.variance == b.variance && a.rng == b.rng && a.levels.count == b.levels.count
            && zip(a.levels, b.levels).enumerated().allSatisfy { h, p in h == 0 ? p.0.sorted() == p.1.sorted() : p.0 == p.1 }
    }

    static func capacity(k: Int, depth: Int) -> Int {
        var c = k
        for _ in 0..<depth where c > minWidth { c = c * 2 / 3 }
        return Swift.max(minWidth, c)
    }

    static func totalCapacity(k: Int, levels: Int) -> Int {
        (0..<levels).reduce(0) { $0 + capacity(k: k, depth: levels - 1 - $1) }
    }

    @inline(__always)
    public mutating func add(_ x: Double) {
        levels[0].append(x)
        n += 1
        retained += 1
        if retained >= capacityTotal { compress() }
    }

    mutating func compress() {
        while retained >= capacityTotal {
            let height = levels.count
            var h = 0
            while h < height && levels[h].count < KLLSketch.capacity(k: k, depth: height - 1 - h) { h += 1 }
            if h >= height { return }
            if h == height - 1 {
                levels.append([])
                capacityTotal = KLLSketch.totalCapacity(k: k, levels: levels.count)
            }
            compact(h)
        }
    }

    /// Halves level h into level h + 1: sorts it, keeps the first item when the count is odd, and
    /// promotes every other item starting at a random one of the first two.
    mutating func compact(_ h: Int) {
        var buf = levels[h]
        levels[h] = []
        if h == 0 { buf.sort() }
        let start = buf.count & 1
        let coin = Int(splitmix(&rng) >> 63)
        var promoted: [Double] = []
        promoted.reserveCapacity(buf.count / 2)
        var i = start + coin
        while i < buf.count { promoted.append(buf[i]); i += 2 }
        levels[h + 1] = KLLSketch.mergeSorted(levels[h + 1], promoted)
        if start == 1 { levels[h].append(buf[0]) }
        if h == 0 { levels[0].reserveCapacity(KLLSketch.capacity(k: k, depth: levels.count - 1)) }
        retained -= buf.count - start - promoted.count
        variance += pow(4.0, Double(h))
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

    public mutating func merge(_ o: KLLSketch) {
        precondition(o.k == k, "KLL sketches of different k")
        while levels.count < o.levels.count { levels.append([]) }
        for h in 0..<o.levels.count {
            levels[h] = h == 0 ? levels[0] + o.levels[0] : KLLSketch.mergeSorted(levels[h], o.levels[h])
        }
        n += o.n
        variance += o.variance
        var s = rng ^ (o.rng << 17 | o.rng >> 47)
        rng = splitmix(&s)
        retained = levels.reduce(0) { $0 + $1.count }
        capacityTotal = KLLSketch.totalCapacity(k: k, levels: levels.count)
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

/// The most frequent values with counts: Misra-Gries with a table of up to 2K entries that is cut
/// back to K by subtracting the (K+1)-th largest count (Agarwal et al., "Mergeable summaries").
/// Stored counts are lower bounds: the true count of a value is in [count, count + maxError], and a
/// value not listed occurs at most maxError times. maxError is 0 until the table first overflows, and
/// then the list is every distinct value with its exact count.
public struct FrequentItems: Sendable {
    public static let capacity = 128
    /// Labels are cut to this many bytes (at a UTF-8 boundary) and counted by the cut label.
    public static let maxLabelBytes = 256
    static let slots = 512

    var keys: [UInt64]
    var counts: [Int64]
    var labelStart: [Int32]
    var labelLength: [Int32]
    var arena: [UInt8] = []
    public internal(set) var used = 0
    public internal(set) var maxError: Int64 = 0
    /// Every value counted, listed or not.
    public internal(set) var total: Int64 = 0

    public init() {
        keys = [UInt64](repeating: 0, count: FrequentItems.slots)
        counts = [Int64](repeating: 0, count: FrequentItems.slots)
        labelStart = [Int32](repeating: 0, count: FrequentItems.slots)
        labelLength = [Int32](repeating: 0, count: FrequentItems.slots)
    }

    /// Adds one occurrence of the value `p[0..<n]` whose valueHash is `hash`.
    @inline(__always)
    public mutating func add(hash: UInt64, _ p: UnsafeRawPointer, _ n: Int) {
        if n > FrequentItems.maxLabelBytes {
            let cut = utf8Prefix(p, n, FrequentItems.maxLabelBytes)
            add(hash: valueHash(p, cut), count: 1, p, cut)
        } else {
            add(hash: hash, count: 1, p, n)
        }
    }

    @inline(__always)
    mutating func add(hash: UInt64, count c: Int64, _ p: UnsafeRawPointer, _ n: Int) {
        total += c
        let mask = FrequentItems.slots - 1
        var s = Int(truncatingIfNeeded: hash) & mask
        let found: Bool = counts.withUnsafeMutableBufferPointer { cnt in
            keys.withUnsafeBufferPointer { ks in
                while cnt[s] != 0 {
                    if ks[s] == hash { cnt[s] += c; return true }
                    s = (s + 1) & mask
                }
                return false
            }
        }
        if found { return }
        if used == 2 * FrequentItems.capacity {
            purge(to: FrequentItems.capacity)
            s = Int(truncatingIfNeeded: hash) & mask
            while counts[s] != 0 { s = (s + 1) & mask }
        }
        keys[s] = hash
        counts[s] = c
        labelStart[s] = Int32(arena.count)
        labelLength[s] = Int32(n)
        arena.append(contentsOf: UnsafeRawBufferPointer(start: p, count: n))
        used += 1
    }

    /// Cuts the table to at most `keep` entries: subtracts the (keep+1)-th largest count from every
    /// count and drops those that reach zero.
    mutating func purge(to keep: Int) {
        guard used > keep else { return }
        var live = counts.filter { $0 > 0 }
        live.sort(by: >)
        let cut = live[keep]
        maxError += cut
        let old = (keys, counts, labelStart, labelLength, arena)
        for i in 0..<FrequentItems.slots { counts[i] = 0 }
        arena = []
        used = 0
        let mask = FrequentItems.slots - 1
        for i in 0..<FrequentItems.slots where old.1[i] > cut {
            var s = Int(truncatingIfNeeded: old.0[i]) & mask
            while counts[s] != 0 { s = (s + 1) & mask }
            keys[s] = old.0[i]
            counts[s] = old.1[i] - cut
            labelStart[s] = Int32(arena.count)
            labelLength[s] = old.3[i]
            let st = Int(old.2[i])
            arena.append(contentsOf: old.4[st..<st + Int(old.3[i])])
            used += 1
        }
    }

    /// Cuts the table back to the stored capacity; done at the end of every profile and merge.
    mutating func finish() { purge(to: FrequentItems.capacity) }

    public mutating func merge(_ o: FrequentItems) {
        let t = total
        for i in 0..<FrequentItems.slots where o.counts[i] > 0 {
            let st = Int(o.labelStart[i])
            o.arena.withUnsafeBytes { a in
                add(hash: o.keys[i], count: o.counts[i], a.baseAddress! + st, Int(o.labelLength[i]))
            }
        }
        total = t + o.total
        maxError += o.maxError
        finish()
    }

    /// The entries, most frequent first (ties by label bytes).
    public var items: [(label: String, count: Int64)] {
        var out: [([UInt8], Int64)] = []
        for i in 0..<FrequentItems.slots where counts[i] > 0 {
            let st = Int(labelStart[i])
            out.append((Array(arena[st..<st + Int(labelLength[i])]), counts[i]))
        }
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
        var s = Int(truncatingIfNeeded: h) & (FrequentItems.slots - 1)
        while counts[s] != 0 {
            if keys[s] == h { return counts[s] }
            s = (s + 1) & (FrequentItems.slots - 1)
        }
        return 0
    }
}

extension FrequentItems: Equatable {
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
