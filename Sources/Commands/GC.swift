import ArgumentParser
import Lineage
import MLOpsBasics
import Workspace

struct GC: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Remove cached data that no branch, tag or run record reaches, and repack.")

    @Flag(help: "Keep only what the current checkout uses.")
    var workspace = false

    @Flag(name: .long, help: "Report what would be removed without removing it.")
    var dryRun = false

    @Option(help: "Clean up a data remote instead of the local cache.")
    var remote: String?

    @Option(help: ArgumentHelp("With --remote: leave packs younger than this alone (others may be pushing).", valueName: "seconds"))
    var grace: Double = 3600

    @OptionGroup var output: JSONOption

    func validate() throws {
        if remote != nil && workspace { throw ValidationError("--workspace applies to the local cache only") }
        if grace < 0 { throw ValidationError("--grace must be >= 0") }
    }

    func run() throws {
        if let remote {
            let r = try Repo.open().gcRemote(remote, grace: grace, dryRun: dryRun, keeping: [RunRecordRoots()])
            output.emit(RemoteGCOutcome(remote: remote, r, dryRun: dryRun)) { o in
                let r = o.report
                let (retire, remove) = o.dryRun ? ("would retire", "would delete") : ("retired", "deleted")
                return "\(o.remote): \(retire) \(counted(r.objectsRetired, "unused object")) (\(formatBytes(r.bytesRetired))) in \(counted(r.packsRetired, "pack")), "
                    + "\(remove) \(r.objectsRemoved) (\(formatBytes(r.bytesRemoved))) for good in \(counted(r.packsDeleted, "retired pack")) and \(counted(r.orphansDeleted, "incomplete upload")), "
                    + "rescued \(r.objectsRescued); \(counted(r.packsKept, "pack")) kept"
            }
            return
        }
        let r = try Repo.open().gc(GCOptions(workspaceOnly: workspace, dryRun: dryRun), keeping: [RunRecordRoots()])
        output.emit(GCOutcome(r, dryRun: dryRun)) { o in
            let r = o.report
            return "\(o.dryRun ? "would remove" : "removed") \(counted(r.objectsRemoved, "object")) (\(formatBytes(r.bytesRemoved))); "
                + "kept \(counted(r.objectsKept, "object")) (\(formatBytes(r.bytesKept))) in \(counted(r.packsAfter, "pack"))"
        }
    }
}
