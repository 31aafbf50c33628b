import Foundation
import Lineage
import MLOpsBasics

/// Values as the report shows them.
enum ReportFormat {
    /// Shortest form; `NaN`, `∞` and `-∞` for what is not a finite number.
    static func number(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d < 0 ? "-∞" : "∞" }
        return Values.formatNumber(d)
    }

    /// `-` for a missing value; text as is; numbers in their shortest form; lists and objects as JSON.
    static func value(_ v: JSON?) -> String {
        switch v {
        case .none: return "-"
        case .string(let s)?: return s
        case .double(let d)?: return number(d)
        case let other?: return other.canonical
        }
    }

    /// A value for a table cell: numbers to 6 significant digits (float noise hidden); the full value
    /// when that differs, for a hover title.
    static func cell(_ v: JSON?) -> (shown: String, full: String?) {
        let full = value(v)
        guard case .double(let d)? = v, d.isFinite, d != d.rounded() || abs(d) >= 1e15 else { return (full, nil) }
        var shown = String(format: "%.6g", d)
        if shown.contains("e") == false, shown.contains(".") {
            while shown.hasSuffix("0") { shown.removeLast() }
            if shown.hasSuffix(".") { shown.removeLast() }
        }
        return shown == full ? (full, nil) : (shown, full)
    }

    /// `1 run`, `2 runs`.
    static func count(_ n: Int, _ one: String, _ many: String? = nil) -> String {
        "\(n) " + (n == 1 ? one : many ?? one + "s")
    }

    /// A finite number, or nil (text, booleans, NaN and infinities are not drawn).
    static func finite(_ v: JSON?) -> Double? {
        guard let v, v.bool == nil, let d = v.double, d.isFinite else { return nil }
        return d
    }

    /// `+0.02`, for two finite numbers.
    static func change(_ old: JSON?, _ new: JSON?) -> String? {
        guard let a = finite(old), let b = finite(new) else { return nil }
        return Values.formatDelta(b - a)
    }

    /// `2025-06-01T12:00:03.123Z` -> `2025-06-01 12:00 UTC`.
    static func time(_ iso: String) -> String {
        guard iso.count >= 16 else { return iso }
        return iso.prefix(16).replacingOccurrences(of: "T", with: " ") + " UTC"
    }

    /// Seconds since 1970 as `2025-06-01 12:00 UTC`.
    static func time(_ seconds: Int64) -> String {
        time(iso(Date(timeIntervalSince1970: TimeInterval(seconds))))
    }

    static func iso(_ d: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: d)
    }

    /// Leaves of named values: `{"train": {"lr": 0.1}}` -> `train.lr = 0.1`, sorted.
    static func leaves(_ o: [String: JSON], separator: String = ".") -> [NamedValue] {
        o.keys.sorted().flatMap { k in
            Values.flatten(o[k]!).map { NamedValue($0.key.isEmpty ? k : k + separator + $0.key, $0.value) }
        }
    }
}
