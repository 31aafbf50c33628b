import Lineage
import Monitoring
import Report
import Workspace

/// The monitoring section of `git mlops report`: the latest snapshot of each model version that
/// `monitor` recorded, newest first. Glue between the Monitoring and Report targets.
struct ReportMonitoringSource: MonitoringSource {
    func monitoringReport(repo: Repo) throws -> MonitoringReport? {
        let journal = Journal(repo: repo)
        var seen = Set<String>()
        var out: [MonitoringReport.Snapshot] = []
        for (_, s) in try Snapshot.all(in: journal) where seen.insert("\(s.model)@\(s.version)").inserted {
            out.append(MonitoringReport.Snapshot(model: s.subject, window: s.windowText, at: s.at, figures: s.figures.map { f in
                let verdict: Report.Verdict = f.verdict == .ok ? .pass : f.verdict == .alert ? .fail : .unknown
                return MonitoringReport.Figure(name: f.title, value: f.value.map { .double($0) } ?? .null, threshold: f.thresholdText, verdict: verdict)
            }))
        }
        return out.isEmpty ? nil : MonitoringReport(snapshots: out)
    }
}
