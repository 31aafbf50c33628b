import CKernels
import Foundation

/// The type a column's values agree on (docs/validation.md, "Values").
public enum ColumnType: String, Sendable, CaseIterable {
    /// No value was present (every row null).
    case null
    case int, float, bool, datetime, string
}

/// How many non-null values of each kind a column held.
public struct KindCounts: Equatable, Sendable {
    public internal(set) var int: Int64 = 0
    public internal(set) var float: Int64 = 0
    public internal(set) var bool: Int64 = 0
    public internal(set) var datetime: Int64 = 0
    public internal(set) var string: Int64 = 0

    public var total: Int64 { int + float + bool + datetime + string }

    mutating func merge(_ o: KindCounts) {
        int += o.int; float += o.float; bool += o.bool; datetime += o.datetime; string += o.string
    }
}

/// One column's profile, also the accumulator that builds it: values go in through `add...`, and
/// two profiles of the same column merge into the profile of both.
public struct ColumnProfile: Equatable, Sendable {
    public let name: String
    /// Values seen, nulls included.
    public internal(set) var count: Int64 = 0
    public internal(set) var nulls: Int64 = 0
    public internal(set) var kinds = KindCounts()
    /// Infinite floats: counted as floats, left out of the moments and the quantile sketch.
    public internal(set) var nonFinite: Int64 = 0
    public internal(set) var distinctSketch = HyperLogLog()
    /// Numbers, bools (0/1) and datetimes (seconds since the epoch) while the type is not string.
    public internal(set) var moments = Moments()
    /// The exact range of the integer values, which doubles cannot hold beyond 2^53.
    public internal(set) var intMin: Int64 = .max
    public internal(set) var intMax: Int64 = .min
    public internal(set) var quantiles: KLLSketch
    public internal(set) var categories = FrequentItems()
    /// While a block is profiled and the category table still lists every value exactly, listed
    /// values go only to the table: their HyperLogLog registers and quantile-sketch items are
    /// added from it at once (`fold()`, with each value's count as its weight), which is exact and
    /// saves that work for columns of few distinct values. False in every finished profile.
    var deferred = false

    public init(name: String, seed: UInt64) {
        self.name = name
        quantiles = KLLSketch(seed: seed ^ valueHash(Array(name.utf8)))
    }

    /// A column of a block being profiled.
    static func accumulator(name: String, seed: UInt64) -> ColumnProfile {
        var c = ColumnProfile(name: name, seed: seed)
        c.deferred = true
        return c
    }

    /// Adds the listed values to the sketches and stops deferring.
    mutating func fold() {
        guard deferred else { return }
        deferred = false
        var weighted: [(Double, Int64)] = []
        var hll = distinctSketch
        categories.forEachEntry { key, n, p, length in
            hll.add(hash: key)
            if let x = numericValue(p.assumingMemoryBound(to: UInt8.self), length) { weighted.append((x, n)) }
        }
        distinctSketch = hll
        quantiles.add(weighted: weighted)
    }

    /// Lists a value (with its valueHash), and counts it as distinct now unless that is deferred.
    @inline(__always)
    mutating func listed(_ h: UInt64, _ p: UnsafeRawPointer, _ n: Int) {
        if deferred && (n > FrequentItems.maxLabelBytes || categories.isFull) { fold() }
        if !deferred { distinctSketch.add(hash: h) }
        categories.add(hash: h, p, n)
    }

    // MARK: Adding values

    @inline(__always)
    mutating func addNull() { count += 1; nulls += 1 }

    @inline(__always)
    mutating func addNulls(_ k: Int64) { count += k; nulls += k }

    /// A value from a text format: null token, number, bool, datetime or string.
    @inline(__always)
    mutating func addText(_ p: UnsafePointer<UInt8>, _ n: Int) {
        count += 1
        var x = 0.0, i: Int64 = 0
        let kind = Int(mlops_classify(p, n, &x, &i))
        if kind == MLOPS_VALUE_NULL { nulls += 1; return }
        listed(valueHash(p, n), p, n)
        switch kind {
        case MLOPS_VALUE_INT: addIntValue(i)
        case MLOPS_VALUE_FLOAT, MLOPS_VALUE_NONFINITE: addFloatValue(x)
        case MLOPS_VALUE_BOOL: kinds.bool += 1; addNumeric(x)
        case MLOPS_VALUE_DATETIME: kinds.datetime += 1; addNumeric(x)
        default: kinds.string += 1
        }
    }

    /// Column c of the records `batches` scanned: the same profile as `addText` on each value. The
    /// column kernel adds the moments, and once the category table only counts (values nearly all
    /// distinct) HyperLogLog too, in its one pass over the values.
    mutating func add(column c: Int, of records: Int, from batches: ValueBatches) {
        if !deferred && categories.saturated {
            let b = distinctSketch.registers.withUnsafeMutableBufferPointer { batches.column(c, of: records, moments: &moments, registers: $0.baseAddress) }
            addCounts(b.stats, count: records)
            categories.addSaturated(Int64(records) - b.stats.nulls)
            quantiles.add(UnsafeBufferPointer(start: b.nums, count: Int(b.stats.numerics)))
        } else {
            add(batches.column(c, of: records, moments: &moments, registers: nil))
        }
    }

    private mutating func addCounts(_ s: mlops_column_stats, count n: Int) {
        count += Int64(n)
        nulls += s.nulls
        kinds.int += s.ints
        kinds.float += s.floats
        kinds.bool += s.bools
        kinds.datetime += s.datetimes
        kinds.string += s.strings
        nonFinite += s.nonfinite
        if s.ints > 0 {
            intMin = Swift.min(intMin, s.int_min)
            intMax = Swift.max(intMax, s.int_max)
        }
    }

    /// The values of one column in a run of CSV records, read by CKernels' mlops_csv_column_fused
    /// (which has added them to the moments): the same profile as `addText` on each, with the work
    /// for values that are no longer listed (the common case for columns of many distinct values)
    /// done in bulk.
    mutating func add(_ b: ValueBatch) {
        let s = b.stats
        addCounts(s, count: b.count)
        // Listing: values already in the category table are counted in bulk, and once the table is
        // saturated (the values nearly all distinct) only counted; the others one by one. Listing a
        // value may fold the table, after which numbers go to the quantile sketch too, from that
        // value's on.
        var sketchFrom = deferred ? -1 : 0
        var i = 0
        while i < b.count {
            if !deferred && categories.saturated {
                categories.addSaturated(b.present(from: i))
                distinctSketch.add(hashes: b.hashes + i, kinds: b.kinds + i, count: b.count - i)
                break
            }
            if !(deferred && categories.isFull) {
                i = deferred ? categories.countListed(b, from: i, registers: nil)
                    : distinctSketch.registers.withUnsafeMutableBufferPointer { categories.countListed(b, from: i, registers: $0.baseAddress) }
                if i == b.count { break }
            }
            if Int(b.kinds[i]) != MLOPS_VALUE_NULL {
                listed(b.hashes[i], b.base + Int(b.starts[i]), Int(b.lengths[i]))
                if sketchFrom < 0 && !deferred { sketchFrom = b.numbers(before: i) }
            }
            i += 1
        }
        let numbers = UnsafeBufferPointer(start: b.nums, count: Int(s.numerics))
        if sketchFrom >= 0 { quantiles.add(UnsafeBufferPointer(rebasing: numbers[sketchFrom...])) }
    }

    /// A JSON string: a datetime or a string, never a number or a null.
    @inline(__always)
    mutating func addString(_ p: UnsafePointer<UInt8>, _ n: Int) {
        count += 1
        listed(valueHash(p, n), p, n)
        if let t = parseDatetime(p, n) {
            kinds.datetime += 1
            addNumeric(t)
        } else {
            kinds.string += 1
        }
    }

    /// An integer from a binary format; hashed and listed by its decimal text, as a CSV would be.
    @inline(__always)
    mutating func addInt(_ v: Int64) {
        count += 1
        withDecimal(v) { p, n in listed(valueHash(p, n), p, n) }
        addIntValue(v)
    }

    /// A float from a binary format: hashed by its bits (no categories); NaN is null.
    @inline(__always)
    mutating func addDouble(_ d: Double) {
        if deferred { fold() }
        count += 1
        if d.isNaN { nulls += 1; return }
        var bits = (d == 0 ? 0.0 : d).bitPattern.littleEndian
        distinctSketch.add(hash: withUnsafeBytes(of: &bits) { valueHash($0.baseAddress!, 8) })
        addFloatValue(d)
    }

    /// A bool from a binary format or JSON: hashed and listed as `true`/`false`.
    @inline(__always)
    mutating func addBool(_ b: Bool) {
        count += 1
        let word: StaticString = b ? "true" : "false"
        listed(valueHash(word.utf8Start, word.utf8CodeUnitCount), word.utf8Start, word.utf8CodeUnitCount)
        kinds.bool += 1
        addNumeric(b ? 1 : 0)
    }

    @inline(__always)
    mutating func addIntValue(_ v: Int64) {
        kinds.int += 1
        if v < intMin { intMin = v }
        if v > intMax { intMax = v }
        addNumeric(Double(v))
    }

    @inline(__always)
    mutating func addFloatValue(_ d: Double) {
        kinds.float += 1
        if d.isFinite { addNumeric(d) } else { nonFinite += 1 }
    }

    @inline(__always)
    mutating func addNumeric(_ x: Double) {
        moments.add(x)
        if !deferred { quantiles.add(x) }
    }

    // MARK: Merging

    /// The profile of this column's values followed by `o`'s.
    public mutating func merge(_ o: ColumnProfile) {
        fold()
        var o = o
        o.fold()
        count += o.count
        nulls += o.nulls
        kinds.merge(o.kinds)
        nonFinite += o.nonFinite
        distinctSketch.merge(o.distinctSketch)
        moments.merge(o.moments)
        intMin = Swift.min(intMin, o.intMin)
        intMax = Swift.max(intMax, o.intMax)
        quantiles.merge(o.quantiles)
        categories.merge(o.categories)
        finish()
    }

    /// Brings the profile to its stored form: the category table cut to its capacity, and the
    /// numeric summaries dropped once the column is a string column (they would describe only
    /// some of its values, and a merge could never make it numeric again).
    mutating func finish() {
        fold()
        categories.finish()
        moments.fold()
        if type == .string || type == .null, moments.n > 0 || quantiles.n > 0 || intMin <= intMax {
            moments = Moments()
            intMin = .max
            intMax = .min
        }
        // An empty sketch is stored as nothing; it decodes with a zero generator, so keep that here.
        if type == .string || type == .null || quantiles.n == 0 {
            quantiles = KLLSketch(k: quantiles.k, n: 0, levels: [[]], variance: 0, rng: 0)
        }
    }

    // MARK: Derived

    public var type: ColumnType {
        let present = count - nulls
        if present == 0 { return .null }
        if kinds.string > 0 { return .string }
        if kinds.int == present { return .int }
        if kinds.int + kinds.float == present { return .float }
        if kinds.bool == present { return .bool }
        if kinds.datetime == present { return .datetime }
        return .string
    }

    public var isNumeric: Bool { [.int, .float, .datetime, .bool].contains(type) }

    /// The number of distinct values: exact while every value is in the category list, else the
    /// HyperLogLog estimate (relative standard error `HyperLogLog.relativeError`).
    public var distinct: (value: Double, exact: Bool) {
        if categories.isExact && categories.total == count - nulls { return (Double(categories.used), true) }
        return (distinctSketch.estimate.rounded(), false)
    }

    public var mean: Double? { moments.n > 0 && isNumeric ? moments.mean : nil }
    public var std: Double? { isNumeric ? moments.std : nil }
    public var min: Double? { moments.n > 0 && isNumeric ? moments.min : nil }
    public var max: Double? { moments.n > 0 && isNumeric ? moments.max : nil }

    /// The estimated q-quantile of the numeric values (rank error `quantiles.rankError`).
    public func quantile(_ q: Double) -> Double? { isNumeric ? quantiles.sortedView.quantile(q) : nil }

    /// The histogram stored with the profile: bins between the deciles of the values, counts from
    /// the quantile sketch. Drift keeps these edges and counts the other profile's values in them.
    public var histogram: Histogram? {
        guard isNumeric, quantiles.n > 0 else { return nil }
        let view = quantiles.sortedView
        return Histogram(edges: Histogram.edges(view), view: view)
    }
}

/// Bins (-inf, e1), [e1, e2), ..., [ek, +inf) on increasing edges, with the weight of each.
public struct Histogram: Equatable, Sendable {
    public static let bins = 10
    public let edges: [Double]
    public let counts: [Int64]

    public init(edges: [Double], counts: [Int64]) {
        self.edges = edges
        self.counts = counts
    }

    /// Counts of a sketch's values in the bins of `edges`.
    public init(edges: [Double], view: KLLSketch.SortedView) {
        self.edges = edges
        var counts: [Int64] = []
        var below: Int64 = 0
        for e in edges {
            let r = view.rank(e, inclusive: false)
            counts.append(r - below)
            below = r
        }
        counts.append(view.n - below)
        self.counts = counts
    }

    /// The deciles 0.1 ... 0.9 of the sketch, without repeats; values at or below the smallest
    /// value would leave the first bin empty, so those are dropped too.
    static func edges(_ view: KLLSketch.SortedView) -> [Double] {
        guard let lowest = view.values.first else { return [] }
        var out: [Double] = []
        for i in 1..<bins {
            guard let q = view.quantile(Double(i) / Double(bins)), q > lowest else { continue }
            if out.last != q { out.append(q) }
        }
        return out
    }
}

/// The number a listed value stands for in the quantile sketch (as `addText` reads it), or nil.
func numericValue(_ p: UnsafePointer<UInt8>, _ n: Int) -> Double? {
    switch parseNumber(p, n) {
    case .int(let v): return Double(v)
    case .float(let d): return d.isFinite ? d + 0 : nil
    case .none:
        if let b = parseBool(p, n) { return b ? 1 : 0 }
        return parseDatetime(p, n)
    }
}

/// Calls `body` with the decimal digits of `v` (no allocation).
@inline(__always)
func withDecimal<R>(_ v: Int64, _ body: (UnsafePointer<UInt8>, Int) -> R) -> R {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { buf in
        var u = v.magnitude
        var i = 20
        repeat {
            i -= 1
            buf[i] = UInt8(truncatingIfNeeded: u % 10) &+ 0x30
            u /= 10
        } while u != 0
        if v < 0 { i -= 1; buf[i] = UInt8(ascii: "-") }
        return body(UnsafePointer(buf.baseAddress! + i), 20 - i)
    }
}
