import Lineage
import MLOpsBasics

/// The outcome of one check.
public enum Verdict: String, Sendable, Equatable {
    case pass
    /// Failed, with severity `error`: stops a commit or a push.
    case fail
    /// Failed, with severity `warn`: reported only.
    case warn
    /// Not run (a command nobody trusted, no baseline yet, data that is not here); says why in `note`.
    case skipped = "not-run"
}

/// One row of a validation: what was checked, what was seen, what was wanted, and the verdict.
public struct Finding: Sendable, Equatable {
    /// The dataset (a path) or the metrics file.
    public var subject: String
    /// The column or metric, when the check is about one.
    public var column: String?
    /// `rows`, `type`, `not_null`, `min`, `drift`, `gate min`, `cmd` ...
    public var check: String
    public var observed: String
    public var expected: String
    public var verdict: Verdict
    /// Why a check did not run, or how to fix a failure.
    public var note: String?
    /// The statistics behind a drift verdict, each with its limit (for the report).
    public var measures: [Measure] = []

    public struct Measure: Sendable, Equatable {
        /// `PSI`, `KS`, `chi2 p`.
        public var name: String
        public var value: Double
        public var limit: Double
        /// True when the value must stay at or above the limit (a p-value).
        public var isMinimum = false

        public var withinLimit: Bool { isMinimum ? value >= limit : value <= limit }
    }

    public init(subject: String, column: String? = nil, check: String, observed: String, expected: String,
                verdict: Verdict, note: String? = nil) {
        self.subject = subject; self.column = column; self.check = check
        self.observed = observed; self.expected = expected; self.verdict = verdict; self.note = note
    }

    /// A pass, or a failure whose weight is `severity`.
    static func judged(_ ok: Bool, _ severity: Severity, subject: String, column: String? = nil, check: String,
                       observed: String, expected: String, note: String? = nil) -> Finding {
        Finding(subject: subject, column: column, check: check, observed: observed, expected: expected,
                verdict: ok ? .pass : (severity == .warn ? .warn : .fail), note: ok ? nil : note)
    }

    /// One line naming the file, the column, the check, what was seen and the threshold:
    /// `data/train.csv: column age: not_null: 3 nulls, expected none`.
    public var line: String {
        var s = subject + ": "
        if let column { s += (check.hasPrefix("gate") ? "" : "column ") + column + ": " }
        s += "\(check): \(observed)"
        if !expected.isEmpty { s += ", expected \(expected)" }
        if let note { s += " (\(note))" }
        return s
    }

    public var json: JSON {
        var o: [String: JSON] = ["subject": .string(subject), "check": .string(check), "observed": .string(observed),
                                 "expected": .string(expected), "verdict": .string(verdict.rawValue)]
        if let column { o["column"] = .string(column) }
        if let note { o["note"] = .string(note) }
        return .object(o)
    }
}

/// What a validation found, in the order checked.
public struct ValidationReport: Sendable {
    public var findings: [Finding] = []

    public init(findings: [Finding] = []) { self.findings = findings }

    /// True when nothing failed with severity `error`.
    public var passed: Bool { !findings.contains { $0.verdict == .fail } }
    public var failures: [Finding] { findings.filter { $0.verdict == .fail } }
    public var warnings: [Finding] { findings.filter { $0.verdict == .warn } }

    /// The table people read: data or metric, check, observed, expected, verdict (and a note column
    /// when any row has one).
    public var text: String {
        guard !findings.isEmpty else { return "" }
        let withNotes = findings.contains { $0.note != nil }
        var headers = ["data or metric", "check", "observed", "expected", "verdict"]
        if withNotes { headers.append("note") }
        let rows = findings.map { f -> [String] in
            var r = [f.subject, (f.column.map { $0 + " " } ?? "") + f.check, f.observed, f.expected,
                     f.verdict == .fail ? "FAIL" : f.verdict.rawValue]
            if withNotes { r.append(f.note ?? "") }
            return r.map(displayPath)
        }
        return TextTable(headers: headers, rows: rows).text
    }

    public var json: JSON {
        .object(["passed": .bool(passed), "findings": .array(findings.map(\.json))])
    }
}
