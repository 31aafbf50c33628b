import ArgumentParser
import MLOpsBasics
import Workspace

struct Checkout: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkout",
        abstract: "Make workspace data match the pointers (e.g. after `git checkout`).")

    @Argument(help: "Limit to these paths (default: everything tracked).")
    var paths: [String] = []

    @Flag(name: .shortAndLong, help: "Overwrite or remove workspace files even if their content is not saved in the cache.")
    var force = false

    @OptionGroup var output: JSONOption

    func run() throws {
        output.emit(try Repo.open().checkout(paths, force: force)) { r in
            r.filesWritten + r.filesRemoved > 0 ? checkoutLine(r) : ""
        }
    }
}

/// `2 files written (1.5 MiB), 1 removed, 3 unchanged`, as checkout and pull say it.
func checkoutLine(_ r: CheckoutReport) -> String {
    "\(counted(r.filesWritten, "file")) written (\(formatBytes(r.bytesWritten))), \(r.filesRemoved) removed, \(r.unchanged) unchanged"
}
