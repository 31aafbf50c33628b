import ArgumentParser
import MLOpsBasics
import Workspace

struct Checkout: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make workspace data match the pointers (e.g. after `git checkout`).")

    @Argument(help: "Limit to these paths (default: everything tracked).")
    var paths: [String] = []

    @Flag(name: .shortAndLong, help: "Overwrite or remove workspace files even if their content is not saved in the cache.")
    var force = false

    @OptionGroup var output: JSONOption

    func run() throws {
        let r = try Repo.open().checkout(paths, force: force)
        if output.json {
            printJSON(["written": JSON(r.filesWritten), "bytes_written": JSON(r.bytesWritten),
                       "removed": JSON(r.filesRemoved), "unchanged": JSON(r.unchanged)])
        } else if r.filesWritten + r.filesRemoved > 0 {
            print("\(r.filesWritten) files written (\(formatBytes(r.bytesWritten))), \(r.filesRemoved) removed, \(r.unchanged) unchanged")
        }
    }
}
