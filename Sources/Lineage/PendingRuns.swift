import MLOpsBasics
import Workspace

extension Journal {
    /// Drops pending run records: those whose id starts with one of `ids` (at least 4 characters,
    /// matching one record each), or all of them. Returns what was dropped. Nothing is dropped when an
    /// id matches no record or more than one.
    public func dropPending(ids: [String], all: Bool) throws -> [RunRecord] {
        let l = try lock()
        defer { l.release() }
        invalidate()
        let waiting = pending()
        var chosen: [Entry] = []
        if all {
            chosen = waiting
        } else {
            for id in ids {
                guard id.count >= 4 else {
                    throw MLOpsError("run id '\(id)' is too short", hint: "give at least 4 characters of it, as `git mlops pending list` shows")
                }
                let hits = waiting.filter { $0.record.id.hasPrefix(id) }
                guard hits.count == 1 else {
                    throw MLOpsError(hits.isEmpty ? "no pending run '\(id)'" : "'\(id)' names \(hits.count) pending runs",
                                     hint: hits.isEmpty ? "`git mlops pending list` shows the pending runs" : "give more characters of the id")
                }
                if !chosen.contains(where: { $0.record.id == hits[0].record.id }) { chosen.append(hits[0]) }
            }
        }
        for e in chosen { if let f = e.pendingFile { try FS.remove(f) } }
        invalidate()
        return chosen.map(\.record)
    }
}

/// A run record waiting for a commit, and why HEAD does not hold it.
public struct PendingRun: JSONRepresentable, Sendable {
    public var entry: Journal.Entry
    /// What HEAD lacks (`train.py differs`), or that there is no commit yet.
    public var reason: String

    public var json: JSON {
        .object(["record": entry.record.json, "reason": .string(reason)])
    }
}

extension Journal {
    /// The pending records, oldest first, each with why HEAD does not hold what it ran. Records that
    /// HEAD or a commit since they ran holds are attached first.
    public func pendingRuns() -> [PendingRun] {
        attachPendingQuietly()
        invalidate()
        let view = repo.git.head.map { CommitView(repo: repo, commit: $0) }
        return pending().map { e in
            let why = view.map { $0.mismatch(e.record, includeOutputs: true).map { "\($0) in HEAD" } ?? "HEAD holds it; it attaches at the next commit" }
            return PendingRun(entry: e, reason: why ?? "no commit yet")
        }
    }
}
