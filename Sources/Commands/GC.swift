import ArgumentParser
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

    @OptionGroup var output: JSONOption

    func run() throws {
        let r = try Repo.open().gc(GCOptions(workspaceOnly: workspace, dryRun: dryRun))
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
