import Foundation
import MLOpsBasics
import Report
import Validation
import Workspace

/// The validation section of `git mlops report`: the checks, drift and gates of HEAD, answered from
/// stored profiles (nothing is fetched, computed or run). Glue between Validation and Report.
struct ReportValidationSource: ValidationSource {
    func validationReport(repo: Repo) throws -> Report.ValidationReport? {
        guard let head = repo.git.head else { return nil }
        var o = ValidationOptions()
        o.side = .commit(head)
        o.readData = false
        o.commands = false
        o.storedProfilesOnly = true
        let found = try Validator(repo: repo).run(o).findings
        guard !found.isEmpty else { return nil }
        func verdict(_ v: Validation.Verdict) -> Report.Verdict {
            switch v { case .pass: .pass; case .fail: .fail; case .warn: .warn; case .skipped: .unknown }
        }
        let checks = found.filter { $0.measures.isEmpty }.map { f in
            Report.ValidationReport.Check(target: f.subject + (f.column.map { ": " + $0 } ?? ""), name: f.check, verdict: verdict(f.verdict),
                                          value: f.observed, threshold: f.expected, detail: f.note ?? "")
        }
        let drift = found.flatMap { f in
            f.measures.map { m in
                Report.ValidationReport.Drift(feature: f.subject + (f.column.map { ": " + $0 } ?? ""), method: m.name, value: m.value, threshold: m.limit,
                                              verdict: m.withinLimit ? .pass : verdict(f.verdict == .pass ? .warn : f.verdict))
            }
        }
        let info = try repo.git.commitInfo(head)
        return Report.ValidationReport(subject: "HEAD (\(head.short): \(info.summary))", commit: head.hex, at: ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(info.time))),
                                       checks: checks, drift: drift)
    }
}
