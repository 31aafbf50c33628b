import Lineage
import MLOpsBasics
import Profiling

/// The rules of a `checks:` block judged on a profile. Everything here reads only the profile; the
/// two rules a profile cannot always answer exactly (`unique`, `allowed`) say so, and the caller reads
/// the data for them (see `ExactAnswer`).
enum DataRules {
    /// What the profile says about `unique` or `allowed`: decided, or the data must be read.
    enum Answer: Equatable {
        case decided(ok: Bool, observed: String)
        case needsData(String)
    }

    static func rows(_ b: DataChecks, _ p: Profile, subject: String) -> [Finding] {
        var out: [Finding] = []
        if let min = b.minRows {
            out.append(.judged(p.rows >= min, b.severity, subject: subject, check: "rows min", observed: "\(p.rows) rows", expected: ">= \(min)"))
        }
        if let max = b.maxRows {
            out.append(.judged(p.rows <= max, b.severity, subject: subject, check: "rows max", observed: "\(p.rows) rows", expected: "<= \(max)"))
        }
        return out
    }

    /// Findings of the rule on one column, except `unique` and `allowed` (see `unique`, `allowed`).
    static func column(_ r: ColumnRule, _ p: Profile, subject: String, severity block: Severity) -> [Finding] {
        let sev = r.severity ?? block
        guard let c = p.column(r.name) else {
            let names = p.columns.prefix(8).map(\.name).joined(separator: ", ") + (p.columns.count > 8 ? ", ..." : "")
            return [.judged(false, sev, subject: subject, column: r.name, check: "present", observed: "no such column",
                            expected: "a column \"\(r.name)\"", note: "the columns are \(names)")]
        }
        var out: [Finding] = []
        func add(_ ok: Bool, _ check: String, _ observed: String, _ expected: String, _ note: String? = nil) {
            out.append(.judged(ok, sev, subject: subject, column: r.name, check: check, observed: observed, expected: expected, note: note))
        }
        let nonNull = c.count - c.nulls
        if let t = r.type {
            let seen = c.type.rawValue
            add(typeMatches(t, c.type), "type", seen + (c.nulls > 0 ? " with nulls" : ""), t)
        }
        if r.notNull {
            // A column a JSON Lines row lacks is null in that row: `count` covers the rows it appears in.
            let nulls = c.nulls + (p.rows - c.count)
            add(nulls == 0, "not_null", "\(nulls) null\(nulls == 1 ? "" : "s")", "none")
        }
        if let f = r.maxNullFraction {
            let nulls = c.nulls + (p.rows - c.count)
            let frac = p.rows > 0 ? Double(nulls) / Double(p.rows) : 0
            add(frac <= f, "max_null_fraction", "\(format(frac)) (\(nulls) of \(p.rows))", "<= \(format(f))")
        }
        for (check, limit) in [("min", r.min), ("max", r.max)] {
            guard let limit else { continue }
            guard nonNull > 0 else { add(true, check, "no values", "\(check == "min" ? ">=" : "<=") \(format(limit))"); continue }
            guard c.isNumeric, c.kinds.string == 0 else {
                add(false, check, "\(c.type.rawValue) values", "numbers \(check == "min" ? ">=" : "<=") \(format(limit))", "min and max compare numbers")
                continue
            }
            if c.nonFinite > 0 {
                add(false, check, "\(c.nonFinite) infinite value\(c.nonFinite == 1 ? "" : "s")", "\(check == "min" ? ">=" : "<=") \(format(limit))")
                continue
            }
            // Ints keep their exact range (doubles cannot hold every int beyond 2^53).
            let seen = c.type == .int ? Double(check == "min" ? c.intMin : c.intMax) : (check == "min" ? c.min : c.max) ?? 0
            add(check == "min" ? seen >= limit : seen <= limit, check, "\(check) \(format(seen))", "\(check == "min" ? ">=" : "<=") \(format(limit))")
        }
        return out
    }

    static func typeMatches(_ wanted: String, _ seen: ColumnType) -> Bool {
        if seen == .null { return true }  // no values: nothing contradicts it
        switch wanted {
        case "int": return seen == .int
        case "float", "number": return seen == .int || seen == .float
        case "bool": return seen == .bool
        case "datetime": return seen == .datetime
        case "string": return seen == .string
        default: return false
        }
    }

    /// `unique`: every non-null value occurs once.
    static func unique(_ c: ColumnProfile) -> Answer {
        let nonNull = c.count - c.nulls
        if nonNull <= 1 { return .decided(ok: true, observed: "\(nonNull) value\(nonNull == 1 ? "" : "s")") }
        let cat = c.categories
        let complete = cat.isExact && cat.total == nonNull
        // Listed counts never exceed the truth, so a listed count of 2 is a duplicate, exact table or not.
        // (Values longer than the label limit are counted by their first bytes: no proof there.)
        let dups = cat.items.filter { $0.count > 1 && $0.label.utf8.count < FrequentItems.maxLabelBytes }
        if let dup = dups.first {
            return .decided(ok: false, observed: "\(quote(dup.label)) \(complete ? "" : "at least ")\(dup.count) times"
                            + (dups.count > 1 ? " (and \(dups.count - 1) more repeated value\(dups.count == 2 ? "" : "s"))" : ""))
        }
        if complete { return .decided(ok: true, observed: "\(nonNull) distinct values") }
        return .needsData("more than \(FrequentItems.capacity) distinct values: the profile only estimates their number (~\(Int(c.distinct.value)))")
    }

    /// `allowed`: every non-null value is one of `allowed` (compared as text, as written in the data).
    static func allowed(_ c: ColumnProfile, _ allowed: [String]) -> Answer {
        let nonNull = c.count - c.nulls
        if nonNull == 0 { return .decided(ok: true, observed: "no values") }
        let cat = c.categories
        let set = Set(allowed)
        let long = allowed.contains { $0.utf8.count > FrequentItems.maxLabelBytes }
        let covered = cat.total == nonNull && !cat.items.contains { $0.label.utf8.count >= FrequentItems.maxLabelBytes }
        if covered && !long {
            let bad = cat.items.filter { !set.contains($0.label) }
            if !bad.isEmpty {
                let shown = bad.prefix(3).map { "\(quote($0.label)) (\(cat.isExact ? "" : ">= ")\($0.count)x)" }.joined(separator: ", ")
                return .decided(ok: false, observed: shown + (bad.count > 3 ? " and \(bad.count - 3) more" : ""))
            }
            if cat.isExact { return .decided(ok: true, observed: "\(cat.items.count) distinct value\(cat.items.count == 1 ? "" : "s"), all allowed") }
            // An inexact table has seen more than `capacity` distinct values: more than can be allowed.
            if set.count <= FrequentItems.capacity {
                return .decided(ok: false, observed: "more than \(FrequentItems.capacity) distinct values (~\(Int(c.distinct.value)))")
            }
        }
        return .needsData(covered ? "the profile cannot tell which of many values occur" : "the profile does not list this column's values")
    }

    static func quote(_ s: String) -> String { "\"" + displayPath(s) + "\"" }

    static func format(_ d: Double) -> String {
        if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
        let s = String(format: "%.6g", d)
        return s
    }
}
