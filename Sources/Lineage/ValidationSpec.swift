import Foundation
import GitBridge
import MLOpsBasics
import Yams

// The `checks:` and `gates:` sections of mlops.yaml (format version 2; docs/validation.md), parsed
// here with the rest of the file's YAML and evaluated by the Validation target.

/// Whether a failed rule stops a commit (`error`) or is only reported (`warn`).
public enum Severity: String, Sendable, Equatable {
    case error, warn
}

/// An absolute number, or a share of the baseline value (`"2%"`).
public enum Threshold: Sendable, Equatable, CustomStringConvertible {
    case absolute(Double)
    case relative(Double)

    /// The allowed change from `baseline`.
    public func limit(from baseline: Double) -> Double {
        switch self {
        case .absolute(let v): return v
        case .relative(let r): return abs(baseline) * r
        }
    }

    public var description: String {
        switch self {
        case .absolute(let v): return Values.formatNumber(v)
        case .relative(let r): return Values.formatNumber(r * 100) + "%"
        }
    }

    /// `0.01`, `2%`, `"0.5 %"`; nil when it is neither, or negative.
    public static func parse(_ value: JSON) -> Threshold? {
        if value.bool == nil, let d = value.double, d.isFinite, d >= 0 { return .absolute(d) }
        guard var s = value.string?.trimmingCharacters(in: .whitespaces), s.hasSuffix("%") else { return nil }
        s.removeLast()
        guard let d = Double(s.trimmingCharacters(in: .whitespaces)), d.isFinite, d >= 0 else { return nil }
        return .relative(d / 100)
    }
}

/// The rules of one column.
public struct ColumnRule: Sendable, Equatable {
    public var name: String
    /// int, float, number, string, bool, datetime.
    public var type: String?
    public var notNull = false
    public var min: Double?
    public var max: Double?
    public var allowed: [String]?
    public var maxNullFraction: Double?
    public var unique = false
    public var severity: Severity?
    /// Line in mlops.yaml (or where the rule came from).
    public var line: Int

    public static let types = ["int", "float", "number", "string", "bool", "datetime"]

    public init(name: String, line: Int) { self.name = name; self.line = line }
}

/// `drift: {against: STAGE, max_psi: 0.2, max_ks: 0.1, min_p: 0.01, columns: [...], severity: error}`.
public struct DriftRule: Sendable, Equatable {
    /// A stage whose last recorded run read the data, or a revision.
    public var against: String
    public var maxPSI: Double = 0.2
    public var maxKS: Double = 0.1
    /// Minimum chi-square p-value for categorical columns (none by default: with many rows any
    /// difference is significant).
    public var minPValue: Double?
    /// Only these columns (all when nil).
    public var columns: [String]?
    public var severity: Severity?
    public var line: Int

    public init(against: String, line: Int) { self.against = against; self.line = line }
}

/// The checks of one tracked file, tracked directory, or glob of files inside tracked directories.
public struct DataChecks: Sendable, Equatable {
    /// Repository-relative path or glob, as written (normalized).
    public var target: String
    public var line: Int
    public var minRows: Int64?
    public var maxRows: Int64?
    public var columns: [ColumnRule] = []
    /// A Frictionless Table Schema file, read as column rules.
    public var schema: String?
    /// A command whose exit status decides; runs only when the user trusts it (docs/security.md).
    public var cmd: String?
    public var drift: DriftRule?
    /// The default for this block's rules.
    public var severity: Severity = .error

    public init(target: String, line: Int) { self.target = target; self.line = line }

    public var isGlob: Bool { target.contains { "*?[".contains($0) } }
}

/// A baseline for changes of a metric.
public enum Baseline: Sendable, Hashable, CustomStringConvertible {
    /// The previous recorded run of the stage writing the file, on the first-parent history.
    case previous
    /// A revision, or a name a `BaselineProvider` knows (`production`).
    case named(String)

    public var description: String {
        switch self {
        case .previous: return "previous"
        case .named(let n): return n
        }
    }
}

/// The gate of one metric: `{min, max, max_increase, max_decrease, baseline, severity}`.
public struct MetricGate: Sendable, Equatable {
    /// A key path in the metrics file (`accuracy`, `eval.auc`).
    public var metric: String
    public var min: Double?
    public var max: Double?
    public var maxIncrease: Threshold?
    public var maxDecrease: Threshold?
    public var baseline: Baseline = .previous
    public var severity: Severity = .error
    public var line: Int

    public init(metric: String, line: Int) { self.metric = metric; self.line = line }

    public var comparesWithBaseline: Bool { maxIncrease != nil || maxDecrease != nil }
}

public struct MetricsGates: Sendable, Equatable {
    public var file: String
    public var line: Int
    public var gates: [MetricGate]
}

/// The `checks:` and `gates:` of mlops.yaml.
public struct ValidationSpec: Sendable, Equatable {
    public var checks: [DataChecks] = []
    public var gates: [MetricsGates] = []

    public init(checks: [DataChecks] = [], gates: [MetricsGates] = []) { self.checks = checks; self.gates = gates }

    public var isEmpty: Bool { checks.isEmpty && gates.isEmpty }

    /// The spec in the working tree's mlops.yaml (empty when there is none).
    public static func load(root: String) throws -> ValidationSpec {
        let path = root + "/" + Pipeline.fileName
        guard FS.exists(path) else { return ValidationSpec() }
        return try parse(try FS.readText(path))
    }

    public static func parse(_ text: String, path: String = Pipeline.fileName) throws -> ValidationSpec {
        guard let root = try Values.composeYAML(text, path: path, fix: "fix the syntax of \(path) (see docs/validation.md)"),
              let top = root.mapping else { return ValidationSpec() }
        var spec = ValidationSpec()
        let p = SpecParser(path: path)
        for (k, v) in top {
            switch k.string {
            case "checks": spec.checks = try p.checks(v, line: p.line(k))
            case "gates": spec.gates = try p.gates(v, line: p.line(k))
            default: continue
            }
        }
        return spec
    }
}

extension Pipeline {
    /// The format version of mlops.yaml: 2 added `checks`, `gates` and `version` (docs/validation.md).
    public static let formatVersion = 2
    public static let topLevelKeys = "`stages`, `checks`, `gates`, `promotion` and `version`"

    /// Whether `key` is a top-level section other than `stages` (skipped by the pipeline parser, which
    /// checks `version` here: a file written for a newer format is refused, not misread).
    static func isValidationSection(_ key: Node, _ value: Node, path: String) throws -> Bool {
        switch key.string {
        case "checks", "gates": return true
        case "version":
            guard case .scalar(let s) = value, value.tagName == .int, let v = Int(s.string), v >= 1 else {
                throw MLOpsError.malformed(path, "line \(key.mark?.line ?? 0): `version` must be a whole number", fix: "write `version: \(formatVersion)`")
            }
            guard v <= formatVersion else {
                throw MLOpsError.malformed(path, "written for format version \(v); this git-mlops reads up to \(formatVersion)", fix: "upgrade git-mlops")
            }
            return true
        default: return false
        }
    }
}

/// The parser of the two sections: each error names the line and what to write instead.
struct SpecParser {
    let path: String

    func line(_ n: Node) -> Int { n.mark?.line ?? 0 }

    func bad(_ n: Node, _ what: String, _ fix: String) -> MLOpsError {
        .malformed(path, "line \(line(n)): \(what)", fix: fix)
    }

    func isNull(_ n: Node) -> Bool {
        if case .scalar = n, n.tagName == .null { return true }
        return false
    }

    func mapping(_ n: Node, _ what: String, _ fix: String) throws -> Node.Mapping {
        guard let m = n.mapping else { throw bad(n, "\(what) must be a mapping", fix) }
        return m
    }

    func number(_ n: Node, _ what: String) throws -> Double {
        let v = Values.json(n)
        guard v.bool == nil, let d = v.double, d.isFinite else { throw bad(n, "\(what) must be a number", "write a number, e.g. `\(what.split(separator: " ").first ?? ""): 0`") }
        return d
    }

    func count(_ n: Node, _ what: String) throws -> Int64 {
        guard case .int(let i) = Values.json(n), i >= 0 else { throw bad(n, "\(what) must be a whole number of rows", "write e.g. `rows: {min: 1000}`") }
        return i
    }

    func bool(_ n: Node, _ what: String) throws -> Bool {
        guard let b = Values.json(n).bool else { throw bad(n, "\(what) must be true or false", "write `\(what): true`") }
        return b
    }

    func severity(_ n: Node) throws -> Severity {
        guard let s = n.string, let v = Severity(rawValue: s) else { throw bad(n, "`severity` must be `error` or `warn`", "write `severity: warn` to report without failing") }
        return v
    }

    func text(_ n: Node, _ what: String, _ fix: String) throws -> String {
        guard case .scalar(let s) = n, !isNull(n), !s.string.isEmpty else { throw bad(n, "\(what) must be text", fix) }
        return s.string
    }

    /// A repository-relative path or glob: inside the repository, not in `.git`.
    func target(_ n: Node, _ what: String) throws -> String {
        let raw = try text(n, what, "name a path of the working tree")
        guard let norm = Pipeline.normalize(raw, wdir: ""), !norm.isEmpty, norm != ".git", !norm.hasPrefix(".git/") else {
            throw bad(n, "\(what) '\(displayPath(raw))' is outside the working tree", "name a path inside the repository, relative to its root")
        }
        if !norm.contains(where: { "*?[".contains($0) }), let why = RepoPath.problem(norm) {
            throw bad(n, "\(what) '\(displayPath(raw))' has \(why)", "name a path of the working tree")
        }
        return norm
    }

    // MARK: checks

    func checks(_ n: Node, line: Int) throws -> [DataChecks] {
        if isNull(n) { return [] }
        let form = "write `checks:`, then `PATH:` (a tracked file, directory, or a glob inside one) with `rows`, `columns`, `schema`, `cmd` or `drift` below it"
        var out: [DataChecks] = []
        for (k, v) in try mapping(n, "`checks`", form) {
            var block = DataChecks(target: try target(k, "checks target"), line: self.line(k))
            guard !out.contains(where: { $0.target == block.target }) else { throw bad(k, "'\(block.target)' has two `checks` blocks", "merge them into one") }
            for (rk, rv) in try mapping(v, "the checks of '\(block.target)'", form) {
                switch rk.string {
                case "rows":
                    for (bk, bv) in try mapping(rv, "`rows`", "write `rows: {min: 1000, max: 10000000}`") {
                        switch bk.string {
                        case "min": block.minRows = try count(bv, "`rows.min`")
                        case "max": block.maxRows = try count(bv, "`rows.max`")
                        default: throw bad(bk, "`rows` has unknown key '\(bk.string ?? "?")'", "`rows` knows `min` and `max`")
                        }
                    }
                case "columns":
                    for (ck, cv) in try mapping(rv, "`columns`", "write `columns:`, then `NAME: {type: int, not_null: true}` per column") {
                        block.columns.append(try column(ck, cv))
                    }
                case "schema": block.schema = try target(rv, "`schema`")
                case "cmd": block.cmd = try text(rv, "`cmd`", "write `cmd: python3 checks/extra.py`")
                case "drift": block.drift = try drift(rv)
                case "severity": block.severity = try severity(rv)
                default:
                    throw bad(rk, "the checks of '\(block.target)' have unknown key '\(rk.string ?? "?")'",
                              "known keys: rows, columns, schema, cmd, drift, severity")
                }
            }
            out.append(block)
        }
        return out
    }

    func column(_ k: Node, _ v: Node) throws -> ColumnRule {
        let name = try text(k, "a column name", "write the column's name as in the header")
        var rule = ColumnRule(name: name, line: line(k))
        let form = "write `\(name): {type: int, not_null: true, min: 0, max: 120}`"
        for (rk, rv) in try mapping(v, "the rules of column '\(name)'", form) {
            switch rk.string {
            case "type":
                guard let t = rv.string, ColumnRule.types.contains(t) else {
                    throw bad(rv, "column '\(name)': unknown type '\(rv.string ?? "?")'", "use one of \(ColumnRule.types.joined(separator: ", "))")
                }
                rule.type = t
            case "not_null": rule.notNull = try bool(rv, "not_null")
            case "unique": rule.unique = try bool(rv, "unique")
            case "min": rule.min = try number(rv, "min")
            case "max": rule.max = try number(rv, "max")
            case "max_null_fraction":
                let f = try number(rv, "max_null_fraction")
                guard f >= 0 && f <= 1 else { throw bad(rv, "column '\(name)': `max_null_fraction` must be between 0 and 1", "write e.g. `max_null_fraction: 0.01`") }
                rule.maxNullFraction = f
            case "allowed":
                guard let seq = rv.sequence, !seq.isEmpty, seq.allSatisfy({ if case .scalar = $0 { return !isNull($0) } else { return false } }) else {
                    throw bad(rv, "column '\(name)': `allowed` must be a list of values", "write `allowed: [US, DE, FR]`")
                }
                rule.allowed = seq.map { $0.string ?? "" }
            case "severity": rule.severity = try severity(rv)
            default:
                throw bad(rk, "column '\(name)' has unknown rule '\(rk.string ?? "?")'",
                          "known rules: type, not_null, min, max, allowed, max_null_fraction, unique, severity")
            }
        }
        return rule
    }

    func drift(_ n: Node) throws -> DriftRule {
        let form = "write `drift: {against: STAGE, max_psi: 0.2, max_ks: 0.1}`"
        var rule = DriftRule(against: "", line: line(n))
        for (k, v) in try mapping(n, "`drift`", form) {
            switch k.string {
            case "against": rule.against = try text(v, "`drift.against`", form)
            case "max_psi": rule.maxPSI = try nonNegative(v, "max_psi")
            case "max_ks": rule.maxKS = try nonNegative(v, "max_ks")
            case "min_p":
                let p = try number(v, "min_p")
                guard p >= 0 && p <= 1 else { throw bad(v, "`min_p` must be between 0 and 1", "write e.g. `min_p: 0.01`") }
                rule.minPValue = p
            case "columns":
                guard let seq = v.sequence, seq.allSatisfy({ $0.string != nil }) else { throw bad(v, "`drift.columns` must be a list of column names", "write `columns: [age, country]`") }
                rule.columns = seq.map { $0.string! }
            case "severity": rule.severity = try severity(v)
            default: throw bad(k, "`drift` has unknown key '\(k.string ?? "?")'", "known keys: against, max_psi, max_ks, min_p, columns, severity")
            }
        }
        guard !rule.against.isEmpty else { throw bad(n, "`drift` needs `against`", form) }
        return rule
    }

    func nonNegative(_ n: Node, _ what: String) throws -> Double {
        let d = try number(n, what)
        guard d >= 0 else { throw bad(n, "`\(what)` must not be negative", "write e.g. `\(what): 0.2`") }
        return d
    }

    // MARK: gates

    func gates(_ n: Node, line: Int) throws -> [MetricsGates] {
        if isNull(n) { return [] }
        let form = "write `gates:`, then `METRICS_FILE:`, then `METRIC: {min: 0.9}` or `METRIC: {max_increase: 0.01, baseline: previous}`"
        var out: [MetricsGates] = []
        for (k, v) in try mapping(n, "`gates`", form) {
            let file = try target(k, "metrics file")
            guard !out.contains(where: { $0.file == file }) else { throw bad(k, "'\(file)' has two `gates` blocks", "merge them into one") }
            var list: [MetricGate] = []
            for (mk, mv) in try mapping(v, "the gates of '\(file)'", form) {
                let metric = try text(mk, "a metric", "write the metric's key path, e.g. `accuracy` or `eval.auc`")
                var g = MetricGate(metric: metric, line: self.line(mk))
                let gform = "write `\(metric): {min: 0.9}`, `{max: 0.1}`, `{max_increase: 0.01}` or `{max_decrease: \"2%\"}`"
                for (gk, gv) in try mapping(mv, "the gate of '\(metric)'", gform) {
                    switch gk.string {
                    case "min": g.min = try number(gv, "min")
                    case "max": g.max = try number(gv, "max")
                    case "max_increase", "max_decrease":
                        guard let t = Threshold.parse(Values.json(gv)) else {
                            throw bad(gv, "`\(gk.string!)` of '\(metric)' must be a non-negative number or a percentage", "write `\(gk.string!): 0.01` or `\(gk.string!): \"2%\"`")
                        }
                        if gk.string == "max_increase" { g.maxIncrease = t } else { g.maxDecrease = t }
                    case "baseline":
                        let b = try text(gv, "`baseline`", "write `baseline: previous` or a revision such as `baseline: v1.0`")
                        g.baseline = b == "previous" ? .previous : .named(b)
                    case "severity": g.severity = try severity(gv)
                    default: throw bad(gk, "the gate of '\(metric)' has unknown key '\(gk.string ?? "?")'", "known keys: min, max, max_increase, max_decrease, baseline, severity")
                    }
                }
                guard g.min != nil || g.max != nil || g.comparesWithBaseline else { throw bad(mk, "the gate of '\(metric)' sets no limit", gform) }
                list.append(g)
            }
            out.append(MetricsGates(file: file, line: self.line(k), gates: list))
        }
        return out
    }
}

extension RunRecord {
    /// The schema of the validation entries notes also hold (a commit made past failed checks,
    /// docs/validation.md): `{"schema":"https://git-mlops.dev/spec/validation/v1","kind":"bypass",...}`.
    public static let validationSchema = "https://git-mlops.dev/spec/validation/v1"

    /// Whether a note line is a validation entry (not a run record, and not a problem either).
    static func isValidationEntry(_ line: String) -> Bool {
        fastContains(line, "\"schema\":\"https://git-mlops.dev/spec/validation/v")
    }

}

extension Journal {
    /// Adds a validation entry to the note of `commit` (kept sorted and unique like run records):
    /// `fields` plus `schema`, `kind`, `commit`, `at`, `user` and `host`. Returns the line written.
    @discardableResult
    public func appendValidationEntry(kind: String, fields: [String: JSON], to commit: GitOID) throws -> String {
        var o = fields
        o["schema"] = .string(RunRecord.validationSchema)
        o["kind"] = .string(kind)
        o["commit"] = .string(commit.hex)
        o["at"] = .string(Clock.iso(Date()))
        o["user"] = .string(RunEnvironment.user)
        o["host"] = .string(RunEnvironment.host)
        let line = JSON.object(o).canonical
        let l = try lock()
        defer { l.release() }
        let old = repo.git.note(ref: Journal.ref, on: commit) ?? ""
        try repo.git.setNote(ref: Journal.ref, on: commit, text: RunRecord.noteText(old.split(separator: "\n").map(String.init) + [line]))
        invalidate()
        return line
    }

    /// The validation entries in the note of `commit`.
    public func validationEntries(on commit: GitOID) -> [JSON] {
        Self.validationEntries(in: repo.git.note(ref: Journal.ref, on: commit) ?? "")
    }

    /// The validation entries of every note, by annotated commit.
    public func validationEntries() throws -> [(commit: GitOID, entry: JSON)] {
        try noteTexts().sorted { $0.key.hex < $1.key.hex }.flatMap { c, text in Self.validationEntries(in: text).map { (c, $0) } }
    }

    static func validationEntries(in note: String) -> [JSON] {
        note.split(separator: "\n").compactMap { l in
            let s = String(l)
            guard RunRecord.isValidationEntry(s), let j = try? JSON.parse(s), j.object != nil else { return nil }
            return j
        }
    }
}
