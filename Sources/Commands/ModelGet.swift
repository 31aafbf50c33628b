import ArgumentParser
import Catalog
import MLOpsBasics

struct ModelGet: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "Write a version's weights to a path, fetching only what the cache lacks from the default remote.")

    @Argument(help: "NAME@VERSION, NAME@latest or NAME#STAGE.") var target: String
    @Option(name: .shortAndLong, help: "Where to write the weights (must not exist).") var output: String

    func run() throws {
        let g = try ModelRegistry().get(try ModelRef.parse(target), to: absolutePath(output))
        let from = g.fetched ? ", fetched from the default remote" : ""
        emitText("wrote \(g.model) \(g.version) (\(g.path): \(g.files == 1 ? "" : "\(g.files) files, ")\(formatBytes(g.bytes))\(from)) to \(output)")
    }
}

/// A user's path made absolute against the current directory.
func absolutePath(_ p: String) -> String { p.hasPrefix("/") ? p : joinPath(FS.currentDirectory, p) }
