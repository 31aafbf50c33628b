import ArgumentParser
import MLOpsBasics
import Workspace

struct Add: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Store files or directories in the cache and track them with PATH.mlops pointers.")

    @Argument(help: "Files or directories to track.")
    var paths: [String]

    @OptionGroup var output: JSONOption

    func validate() throws {
        if paths.isEmpty { throw ValidationError("name at least one file or directory to add") }
    }

    func run() throws {
        let summary = AddSummary(try Repo.open().add(paths))
        output.emit(summary) { s in
            lines(s.results.map { r in
                "added \(r.path) (\(formatBytes(r.pointer.size))\(r.pointer.files.map { ", " + counted($0, "file") } ?? ""))"
            } + [
                "\(formatBytes(s.bytesStored)) new in the cache",
                "hint: git add \(ShellQuoting.join(s.filesToCommit)) && git commit",
            ])
        }
    }
}
