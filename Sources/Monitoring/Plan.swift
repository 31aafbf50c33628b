import Foundation
import Profiling

/// What a window is compared with, fixed before the first record: the features and the target
/// column of the training data's profile, with the baseline side of every drift statistic computed
/// once, and which live column goes to which slot.
final class Plan {
    /// Slots after the features, relative to `features.count`.
    static let prediction = 0, label = 1, latency = 2, error = 3, time = 4
    static let roleCount = 5

    struct Feature {
        let name: String
        let kind: FeatureKind
        let baseline: ColumnProfile
        /// Numeric: the training data's sorted sketch, decile edges and the share in each bin.
        let view: KLLSketch.SortedView?
        let edges: [Double]
        let shares: [Double]

        init(name: String, baseline: ColumnProfile) {
            self.name = name
            self.baseline = baseline
            switch baseline.type {
            case .int, .float: kind = .numeric
            case .string, .bool: kind = .categorical
            case .datetime: kind = .uncompared("datetimes are not compared")
            case .null: kind = .uncompared("the training data has no values")
            }
            if kind == .numeric, let h = baseline.histogram {
                let v = baseline.quantiles.sortedView
                view = v
                edges = h.edges
                shares = h.counts.map { Double($0) / Double(v.n) }
            } else {
                view = nil
                edges = []
                shares = []
            }
        }

        /// The training data's share of missing values.
        var missingShare: Double { baseline.count > 0 ? Double(baseline.nulls) / Double(baseline.count) : 0 }
    }

    let features: [Feature]
    /// The target column of the training data: what predictions are compared with.
    let target: Feature?
    let task: MonitorSettings.Task
    let settings: MonitorSettings
    private let slots: [String: Int]

    var slotCount: Int { features.count + Plan.roleCount }

    /// Columns of the training profile that are features: the configured list, else every column
    /// but the target, the ignored ones and the live role columns.
    init(profile: Profile, settings: MonitorSettings) throws {
        self.settings = settings
        let roles = Set(settings.columns.all)
        let names: [String]
        if let listed = settings.features {
            for n in listed where profile.column(n) == nil {
                throw MonitorError.config("feature '\(n)' listed in `monitor.features` is not a column of the training data",
                                          fix: "its columns are: \(profile.columns.map(\.name).prefix(20).joined(separator: ", "))")
            }
            names = listed
        } else {
            names = profile.columns.map(\.name).filter { $0 != settings.target && !settings.ignore.contains($0) && !roles.contains($0) }
        }
        features = names.map { Feature(name: $0, baseline: profile.column($0)!) }
        target = profile.column(settings.target).map { Feature(name: settings.target, baseline: $0) }
        if let t = settings.task {
            task = t
        } else if let t = target?.baseline {
            // Text, bools and integers of few values are classes; other numbers a regression target.
            let fewIntegers = t.type == .int && t.distinct.exact && t.distinct.value <= 100
            task = t.type == .float || (t.type == .int && !fewIntegers) ? .regression : .classification
        } else {
            task = .classification
        }
        var s: [String: Int] = [:]
        for (i, f) in features.enumerated() { s[f.name] = i }
        let c = settings.columns
        for (name, role) in [(c.prediction, Plan.prediction), (c.label, Plan.label), (c.latency, Plan.latency), (c.error, Plan.error), (c.time, Plan.time)]
        where s[name] == nil {
            s[name] = features.count + role
        }
        slots = s
    }

    /// The slot of a live column, nil for a column the monitor does not know.
    func slot(_ column: String) -> Int? { slots[column] }

    func slot(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? { slots[String(decoding: bytes, as: UTF8.self)] }

    func roleName(_ slot: Int) -> String {
        if slot < features.count { return features[slot].name }
        let c = settings.columns
        return [c.prediction, c.label, c.latency, c.error, c.time][slot - features.count]
    }
}
