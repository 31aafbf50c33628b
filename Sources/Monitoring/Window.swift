import Foundation
import Profiling

/// What a live value is, as the readers hand it over.
enum ValueKind: UInt8 {
    /// An unquoted CSV field: the null tokens are null.
    case text
    /// A quoted CSV field: `""` is the empty string, anything else reads as text.
    case quoted
    /// A JSON string (unescaped).
    case string
    /// A JSON number.
    case number
    /// JSON true or false.
    case boolean
    /// JSON null.
    case null
    /// A JSON object or array, as written.
    case nested
}

/// How a feature is compared with the training data.
enum FeatureKind: Equatable {
    /// PSI on the training data's decile bins and Kolmogorov-Smirnov, from quantile sketches.
    case numeric
    /// PSI (and chi-square) on the categories.
    case categorical
    /// Read and counted, not compared (a datetime or an all-null column); the reason.
    case uncompared(String)
}

/// One feature's values in a window: a quantile sketch or category counts, and what was missing or
/// unreadable. Bounded: the sketch has a fixed size and the category table a fixed number of entries.
struct FeatureAccumulator {
    static let maxCategories = 512

    let kind: FeatureKind
    /// Records in which the column appeared (null or not).
    var keySeen: Int64 = 0
    var present: Int64 = 0
    /// Null, or absent from the record.
    var missing: Int64 = 0
    /// Values a numeric feature could not read as numbers (and infinities).
    var invalid: Int64 = 0
    var sketch: KLLSketch
    var categories: ByteTable
    var counts: [Int64] = []
    /// Values beyond the category table.
    var other: Int64 = 0

    init(kind: FeatureKind, seed: UInt64) {
        self.kind = kind
        sketch = KLLSketch(seed: seed)
        categories = ByteTable(limit: kind == .categorical ? FeatureAccumulator.maxCategories : 0)
    }

    /// Adds a value; returns false when a numeric feature cannot read it (counted as invalid).
    @inline(__always)
    mutating func add(_ kind: ValueKind, _ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        keySeen += 1
        switch kind {
        case .null:
            missing += 1
            return true
        case .text where LiveText.isNull(p, n):
            missing += 1
            return true
        default: break
        }
        switch self.kind {
        case .numeric:
            guard kind != .boolean && kind != .nested, let d = LiveText.number(p, n), d.isFinite else {
                invalid += 1
                return false
            }
            present += 1
            sketch.add(d)
        case .categorical:
            present += 1
            if let i = categories.index(p, n) {
                if i == counts.count { counts.append(0) }
                counts[i] += 1
            } else {
                other += 1
            }
        case .uncompared:
            present += 1
        }
        return true
    }

    /// The category counts, most frequent first (ties by label).
    var items: [(label: String, count: Int64)] {
        counts.indices.map { (categories.label($0), counts[$0]) }.sorted { $0.count != $1.count ? $0.count > $1.count : $0.label < $1.label }
    }

    func count(of label: String) -> Int64 {
        var t = categories
        return t.index(Array(label.utf8), insert: false).map { counts[$0] } ?? 0
    }
}

/// Confusion counts per class, for classification metrics. Classes past the table's limit count
/// together as one class, `(other)`.
struct ClassCounts {
    static let maxClasses = 256

    var classes = ByteTable(limit: ClassCounts.maxClasses)
    /// Per class: correct predictions, predictions of it, labels of it.
    var truePositives: [Int64] = []
    var predicted: [Int64] = []
    var actual: [Int64] = []
    var otherPredicted: Int64 = 0
    var otherActual: Int64 = 0
    var otherCorrect: Int64 = 0
    var pairs: Int64 = 0
    var correct: Int64 = 0

    private mutating func slot(_ key: [UInt8]) -> Int? {
        guard let i = classes.index(key) else { return nil }
        if i == truePositives.count { truePositives.append(0); predicted.append(0); actual.append(0) }
        return i
    }

    mutating func add(prediction: [UInt8], label: [UInt8]) {
        pairs += 1
        let hit = prediction == label
        if hit { correct += 1 }
        if let p = slot(prediction) { predicted[p] += 1; if hit { truePositives[p] += 1 } } else { otherPredicted += 1; if hit { otherCorrect += 1 } }
        if let l = slot(label) { actual[l] += 1 } else { otherActual += 1 }
    }

    var overflowed: Bool { otherPredicted > 0 || otherActual > 0 }
}

/// Sums for regression metrics.
struct RegressionSums: Equatable {
    var n: Int64 = 0
    var squared = 0.0
    var absolute = 0.0

    mutating func add(prediction: Double, label: Double) {
        let e = prediction - label
        n += 1
        squared += e * e
        absolute += abs(e)
    }
}

/// Everything one window of live records adds up to. Nothing in it grows with the number of records.
/// A value type, changed in place by the reader (so the hot loop pays no exclusivity checks).
struct Window {
    let plan: Plan
    var records: Int64 = 0
    /// Records that could not be read at all (and were skipped).
    var malformed: Int64 = 0
    var features: [FeatureAccumulator]
    /// The predictions, compared with the training data's target column.
    var predictions: FeatureAccumulator
    var classes = ClassCounts()
    var regression = RegressionSums()
    /// Pairs whose prediction or label a regression cannot read as a number.
    var unreadablePairs: Int64 = 0
    var labelsSeen: Int64 = 0
    var latency: KLLSketch
    var latencySeen: Int64 = 0
    var latencyInvalid: Int64 = 0
    var errors: Int64 = 0
    var errorsSeen: Int64 = 0
    var firstTime = Double.infinity
    var lastTime = -Double.infinity
    /// Wall-clock time of the first and the last record read (for throughput without a time column).
    var firstArrival: Double?
    var lastArrival: Double?
    let started = Date()

    // The record being read.
    private var stamp: [Int64]
    private var predictionKey: [UInt8] = []
    private var labelKey: [UInt8] = []
    private var predictionNumber: Double?
    private var labelNumber: Double?
    private var hasPrediction = false
    private var hasLabel = false

    init(plan: Plan) {
        self.plan = plan
        features = plan.features.enumerated().map { i, f in FeatureAccumulator(kind: f.kind, seed: 0x6D6F_6E69 &+ UInt64(i)) }
        predictions = FeatureAccumulator(kind: plan.target?.kind ?? .uncompared("no target"), seed: 0x7072_6564)
        latency = KLLSketch(seed: 0x6C61_7465)
        stamp = [Int64](repeating: -1, count: plan.slotCount)
    }

    @inline(__always)
    mutating func beginRecord() {
        hasPrediction = false
        hasLabel = false
    }

    /// A value of the current record. Returns false when a feature could not read it (the caller
    /// says so once, where it knows the file and line).
    @inline(__always)
    mutating func value(_ slot: Int, _ kind: ValueKind, _ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        stamp[slot] = records
        if slot < features.count { return features[slot].add(kind, p, n) }
        switch slot - features.count {
        case Plan.prediction:
            _ = predictions.add(kind, p, n)
            Window.take(plan.task, kind, p, n, key: &predictionKey, number: &predictionNumber, present: &hasPrediction)
        case Plan.label:
            Window.take(plan.task, kind, p, n, key: &labelKey, number: &labelNumber, present: &hasLabel)
        case Plan.latency:
            if Window.isNull(kind, p, n) { return true }
            latencySeen += 1
            guard kind != .boolean && kind != .nested, let d = LiveText.number(p, n), d.isFinite, d >= 0 else {
                latencyInvalid += 1
                return false
            }
            latency.add(d)
        case Plan.error:
            if Window.isNull(kind, p, n) { return true }
            errorsSeen += 1
            if kind == .boolean ? p[0] == UInt8(ascii: "t") : LiveText.isTrue(p, n) { errors += 1 }
        case Plan.time:
            if let t = LiveText.time(p, n), t.isFinite {
                if t < firstTime { firstTime = t }
                if t > lastTime { lastTime = t }
            }
        default: break
        }
        return true
    }

    @inline(__always)
    private static func isNull(_ kind: ValueKind, _ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        kind == .null || (kind == .text && LiveText.isNull(p, n))
    }

    @inline(__always)
    private static func take(_ task: MonitorSettings.Task, _ kind: ValueKind, _ p: UnsafePointer<UInt8>, _ n: Int,
                             key: inout [UInt8], number: inout Double?, present: inout Bool) {
        if isNull(kind, p, n) { return }
        present = true
        if task == .regression {
            number = kind == .boolean || kind == .nested ? nil : LiveText.number(p, n).flatMap { $0.isFinite ? $0 : nil }
        } else {
            LiveText.classKey(p, n, into: &key)
        }
    }

    /// Ends the current record: absent features count as missing, a prediction with a label as a pair.
    @inline(__always)
    mutating func endRecord() {
        for i in features.indices where stamp[i] != records { features[i].missing += 1 }
        if hasLabel {
            labelsSeen += 1
            if hasPrediction {
                if plan.task == .regression {
                    if let p = predictionNumber, let l = labelNumber { regression.add(prediction: p, label: l) } else { unreadablePairs += 1 }
                } else {
                    classes.add(prediction: predictionKey, label: labelKey)
                }
            }
        }
        records += 1
    }

    /// Marks the arrival of records, for the throughput of a followed log without a time column.
    mutating func arrived(at t: Double) {
        if firstArrival == nil { firstArrival = t }
        lastArrival = t
    }
}
