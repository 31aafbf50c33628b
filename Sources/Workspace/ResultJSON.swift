import MLOpsBasics
import Store
import Transfer

// The JSON form of every result Workspace gives the commands (`--json` prints it as it is). Keys are
// snake_case; byte counts are exact. Results that commands print with an option of theirs (dry runs)
// are wrapped with it here, so no command builds JSON by hand.

extension StatusEntry: JSONRepresentable {}
extension DiffEntry: JSONRepresentable {}

/// What one `add` stored.
public struct AddSummary: JSONRepresentable, Sendable {
    public var results: [AddResult]
    public init(_ results: [AddResult]) { self.results = results }
    /// Bytes the add wrote to the cache (0 when everything was there).
    public var bytesStored: Int64 { results.reduce(Int64(0)) { $0 + $1.bytesStored } }
    public var json: JSON {
        .object(["added": results.json, "bytes_stored": JSON(bytesStored)])
    }
}

extension AddResult: JSONRepresentable {
    public var json: JSON {
        .object(["path": .string(path), "oid": .string("sha256:" + pointer.id.hex), "size": JSON(pointer.size),
                 "type": .string(pointer.kind.rawValue), "files": pointer.files.map { JSON($0) } ?? .null])
    }
}

extension CheckoutReport: JSONRepresentable {
    public var json: JSON {
        ["written": JSON(filesWritten), "bytes_written": JSON(bytesWritten), "removed": JSON(filesRemoved), "unchanged": JSON(unchanged)]
    }
}

/// Local gc's report, and whether it was a dry run.
public struct GCOutcome: JSONRepresentable, Sendable {
    public var report: Store.GCReport
    public var dryRun: Bool
    public init(_ report: Store.GCReport, dryRun: Bool) { self.report = report; self.dryRun = dryRun }
    public var json: JSON {
        ["dry_run": .bool(dryRun), "objects_removed": JSON(report.objectsRemoved), "bytes_removed": JSON(report.bytesRemoved),
         "objects_kept": JSON(report.objectsKept), "bytes_kept": JSON(report.bytesKept),
         "packs_before": JSON(report.packsBefore), "packs_after": JSON(report.packsAfter)]
    }
}

/// A remote's gc report, and whether it was a dry run.
public struct RemoteGCOutcome: JSONRepresentable, Sendable {
    public var remote: String
    public var report: Transfer.RemoteGCReport
    public var dryRun: Bool
    public init(remote: String, _ report: Transfer.RemoteGCReport, dryRun: Bool) {
        self.remote = remote; self.report = report; self.dryRun = dryRun
    }
    public var json: JSON {
        let r = report
        return ["dry_run": .bool(dryRun), "objects_removed": JSON(r.objectsRemoved), "bytes_removed": JSON(r.bytesRemoved),
                "objects_retired": JSON(r.objectsRetired), "bytes_retired": JSON(r.bytesRetired),
                "packs_before": JSON(r.packsBefore), "packs_kept": JSON(r.packsKept), "packs_rewritten": JSON(r.packsRewritten),
                "packs_retired": JSON(r.packsRetired), "packs_deleted": JSON(r.packsDeleted),
                "orphans_deleted": JSON(r.orphansDeleted), "objects_rescued": JSON(r.objectsRescued)]
    }
}

extension Repo.FsckResult: JSONRepresentable {
    public var json: JSON {
        ["objects": JSON(report.objects), "bytes": JSON(report.bytes),
         "problems": .array(report.problems.map { p in
             ["kind": .string(p.kind.rawValue), "id": JSON(p.id?.hex), "pack": JSON(p.pack), "detail": .string(p.detail)]
         }),
         "affected": .array(affected.map { ["path": .string($0.path), "problem": .string($0.problem)] })]
    }
}

extension Repo.RepairResult: JSONRepresentable {
    /// The repair itself; `fsck --repair --json` prints it under "repair" beside the check that followed.
    public var json: JSON {
        ["dropped_packs": .array(dropped.map { .string($0) }), "salvaged": JSON(salvaged), "fetched": JSON(fetched),
         "remote": JSON(remote), "unneeded": JSON(unneeded), "unrecoverable": .array(unrecoverable.map { .string($0.hex) })]
    }
}

/// `fsck` and `fsck --repair`: the check (after the repair, if any) and the repair.
public struct FsckOutcome: JSONRepresentable, Sendable {
    public var check: Repo.FsckResult
    public var repair: Repo.RepairResult?
    public init(check: Repo.FsckResult, repair: Repo.RepairResult?) { self.check = check; self.repair = repair }
    public var json: JSON {
        guard case .object(var o) = check.json else { return check.json }
        if let repair { o["repair"] = repair.json }
        return .object(o)
    }
}

/// The data remotes, and which is the default.
public struct RemoteListing: JSONRepresentable, Sendable {
    public var remotes: [RemoteSpec]
    public var defaultName: String?
    public init(_ remotes: [RemoteSpec], defaultName: String?) { self.remotes = remotes; self.defaultName = defaultName }
    public var json: JSON {
        .array(remotes.map { r in
            ["name": .string(r.name), "url": .string(r.url), "endpoint": JSON(r.endpoint), "region": JSON(r.region),
             "default": .bool(r.name == defaultName)]
        })
    }
}

extension Repo.PushResult: JSONRepresentable {
    public var json: JSON {
        ["remote": .string(remote), "objects": JSON(report.objects), "bytes": JSON(report.bytes),
         "packs": JSON(report.packs), "already_there": JSON(report.alreadyThere), "notes": JSON(notes)]
    }
}

extension Repo.FetchResult: JSONRepresentable {
    public var json: JSON {
        ["remote": .string(remote), "objects": JSON(report.objects), "bytes": JSON(report.bytes),
         "whole_packs": JSON(report.wholePacks), "range_requests": JSON(report.rangeRequests), "notes": JSON(notes)]
    }
}

/// `pull`: the fetch, then the checkout.
public struct PullOutcome: JSONRepresentable, Sendable {
    public var fetch: Repo.FetchResult
    public var checkout: CheckoutReport
    public init(fetch: Repo.FetchResult, checkout: CheckoutReport) { self.fetch = fetch; self.checkout = checkout }
    public var json: JSON {
        guard case .object(var o) = fetch.json else { return fetch.json }
        o["written"] = JSON(checkout.filesWritten)
        o["removed"] = JSON(checkout.filesRemoved)
        return .object(o)
    }
}
