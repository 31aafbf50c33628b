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

    @Option(help: "With --remote: leave packs younger than this many seconds alone (others may be pushing).")
    var grace: Double = 3600

    func validate() throws {
        if remote != nil && workspace { throw ValidationError("--workspace applies to the local cache only") }
        if grace < 0 { throw ValidationError("--grace must be >= 0") }
    }

    @OptionGroup var output: JSONOption

    func run() throws {
        if let remote {
            let r = try Repo.open().gcRemote(remote, grace: grace, dryRun: dryRun, keeping: [RunRecordRoots()])
            if output.json {
                printJSON(["dry_run": .bool(dryRun), "objects_removed": JSON(r.objectsRemoved), "bytes_removed": JSON(r.bytesRemoved),
                           "objects_retired": JSON(r.objectsRetired), "bytes_retired": JSON(r.bytesRetired),
                           "packs_before": JSON(r.packsBefore), "packs_kept": JSON(r.packsKept), "packs_rewritten": JSON(r.packsRewritten),
                           "packs_retired": JSON(r.packsRetired), "packs_deleted": JSON(r.packsDeleted),
                           "orphans_deleted": JSON(r.orphansDeleted), "objects_rescued": JSON(r.objectsRescued)])
                return
            }
            let (retire, remove) = dryRun ? ("would retire", "would delete") : ("retired", "deleted")
            print("\(remote): \(retire) \(r.objectsRetired) unused objects (\(formatBytes(r.bytesRetired))) in \(r.packsRetired) packs, "
                  + "\(remove) \(r.objectsRemoved) (\(formatBytes(r.bytesRemoved))) for good in \(r.packsDeleted) retired packs and \(r.orphansDeleted) incomplete uploads, "
                  + "rescued \(r.objectsRescued); \(r.packsKept) packs kept")
            return
        }
        let r = try Repo.open().gc(GCOptions(workspaceOnly: workspace, dryRun: dryRun), keeping: [RunRecordRoots()])
        if output.json {
            printJSON(["dry_run": .bool(dryRun), "objects_removed": JSON(r.objectsRemoved), "bytes_removed": JSON(r.bytesRemoved),
                       "objects_kept": JSON(r.objectsKept), "bytes_kept": JSON(r.bytesKept),
                       "packs_before": JSON(r.packsBefore), "packs_after": JSON(r.packsAfter)])
            return
        }
        let verb = dryRun ? "would remove" : "removed"
        print("\(verb) \(r.objectsRemoved) objects (\(formatBytes(r.bytesRemoved))); kept \(r.objectsKept) objects (\(formatBytes(r.bytesKept))) in \(r.packsAfter) packs")
    }
}
