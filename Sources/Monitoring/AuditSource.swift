import Catalog
import Foundation
import Lineage
import MLOpsBasics

/// Monitoring snapshots in `git mlops audit`: when a model version was watched, on how many records,
/// and what alerted.
public struct MonitorAuditSource: AuditSource {
    public init() {}

    public func entries(_ c: AuditContext) throws -> [AuditEntry] {
        guard let journal = c.journal else { return [] }
        let names = Set(c.models.map(\.name))
        return try Snapshot.all(in: journal).compactMap { commit, s in
            switch c.subject {
            case .everything: break
            case .model, .path: guard names.contains(s.model) else { return nil }
            }
            let time = ISO8601DateFormatter.monitoring.date(from: s.at)?.timeIntervalSince1970 ?? 0
            let alerts = s.alerts
            let what = "monitored \(s.subject): \(s.windowText): " + (alerts.isEmpty ? "no alert" : "ALERT " + alerts.map(\.alertText).joined(separator: "; "))
            return AuditEntry(kind: "monitor", time: time, who: s.by, commit: commit, what: what, details: .object(["snapshot": s.json]))
        }
    }
}
