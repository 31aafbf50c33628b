import ArgumentParser
import Lineage
import MLOpsBasics
import Workspace

struct StageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stage",
        abstract: "Declare pipeline stages in mlops.yaml.",
        subcommands: [Add.self, List.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a stage to mlops.yaml (other stages, their order and comments are kept).",
            discussion: """
                Paths are relative to the repository root (or to --wdir). Example:
                  git mlops stage add -n train -d train.py -p train.lr -o model.npy -- python3 train.py
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

        var cmd: String {
            let words = command.first == "--" ? Array(command.dropFirst()) : command
            return words.count == 1 ? words[0] : words.map(shellQuoted).joined(separator: " ")
        }

        func run() throws {
            let repo = try Repo.open()
            let spec = StageSpec(name: name, cmd: cmd, wdir: wdir, deps: deps, params: params, outs: outs, metrics: metrics)
            let outcome = try PipelineEditor.addStage(spec, root: repo.root, force: force)
            print("\(outcome == .added ? "added" : "replaced") stage '\(name)' \(outcome == .added ? "to" : "in") \(Pipeline.fileName)")
            print("hint: `git mlops run \(name)` runs it")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the stages in the order they run, with their outputs.")

        func run() throws {
            let repo = try Repo.open()
            let stages = try Pipeline.require(root: repo.root).order()
            print(TextTable(headers: ["stage", "command", "outputs"], rows: stages.map {
                [$0.name, $0.cmd, $0.writes.joined(separator: ", ")]
            }).text, terminator: "")
        }
    }
}

/// A word as the shell reads it back: bare when plain, single-quoted otherwise.
func shellQuoted(_ w: String) -> String {
    let plain = !w.isEmpty && w.unicodeScalars.allSatisfy {
        ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9") || "-_./=:,+@%".unicodeScalars.contains($0)
    }
    return plain ? w : "'" + w.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
