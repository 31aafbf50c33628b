import ArgumentParser
import Lineage
import MLOpsBasics
import Workspace

struct StageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stage",
        abstract: "Declare pipeline stages in mlops.yaml.",
        subcommands: [Add.self, List.self, Remove.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add",
            abstract: "Add a stage to mlops.yaml (other stages, their order and comments are kept).",
            discussion: """
                Paths are relative to the repository root (or to --wdir). For example:

                  git mlops stage add -n train -d train.py -p train.lr \\
                      -o model.npy -- python3 train.py
                """)

        @Option(name: .shortAndLong, help: "The stage's name (letters, digits, _, -, .).")
        var name: String

        @Option(name: [.customShort("d"), .customLong("dep")], help: "A file or directory the command reads (code or data); repeatable.")
        var deps: [String] = []

        @Option(name: [.customShort("p"), .customLong("param")], help: "A parameter: a key of params.yaml (train.lr) or FILE:key; repeatable.")
        var params: [String] = []

        @Option(name: [.customShort("o"), .customLong("out")], help: "An output, stored in the cache with a pointer; repeatable.")
        var outs: [String] = []

        @Option(name: [.customShort("m"), .customLong("metrics")], help: "A metrics file (JSON or YAML) the command writes, kept in git; repeatable.")
        var metrics: [String] = []

        @Option(name: [.customShort("w"), .customLong("wdir")], help: "Directory to run the command in; paths are relative to it.")
        var wdir: String?

        @Flag(name: .shortAndLong, help: "Replace a stage of the same name.")
        var force = false

        @Argument(parsing: .captureForPassthrough, help: "The command, after `--`.")
        var command: [String] = []

        func validate() throws {
            if cmd.isEmpty { throw ValidationError("give the stage's command after `--`, e.g. `-- python3 train.py`") }
        }

        var cmd: String { ShellQuoting.command(fromWords: command) }

        func run() throws {
            let repo = try Repo.open()
            let spec = StageSpec(name: name, cmd: cmd, wdir: wdir, deps: deps, params: params, outs: outs, metrics: metrics)
            let outcome = try PipelineEditor.addStage(spec, root: repo.root, force: force)
            emitText(lines(["\(outcome == .added ? "added" : "replaced") stage '\(name)' \(outcome == .added ? "to" : "in") \(Pipeline.fileName)",
                            "hint: `git mlops run \(name)` runs it"]))
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the stages in the order they run, with their outputs.")

        func run() throws {
            let stages = try Pipeline.require(root: try Repo.open().root).order()
            emitText(TextTable(headers: ["stage", "command", "outputs"], rows: stages.map {
                [$0.name, $0.cmd, $0.writes.joined(separator: ", ")]
            }).text)
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "remove",
            abstract: "Remove a stage from mlops.yaml (other stages, their order and comments are kept).",
            discussion: "Its outputs stay tracked and its run records stay in history; `git mlops remove PATH` stops tracking an output.")

        @Argument(help: "The stage's name.")
        var name: String

        func run() throws {
            let readers = try PipelineEditor.removeStage(name, root: try Repo.open().root)
            emitText(lines(["removed stage '\(name)' from \(Pipeline.fileName)"] + readers.map {
                "note: stage '\($0)' read what '\(name)' wrote; it is now an input that no stage writes"
            }))
        }
    }
}
