import ArgumentParser
import Lineage
import MLOpsBasics
import Workspace

struct LineageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lineage",
        abstract: "Show the runs and data that made an artifact, back to its sources.",
        discussion: "PATH@REV reads the artifact at a revision (default: the workspace), e.g. model.npy@v1.0 or model.npy@HEAD~2.")

    @Argument(help: "PATH or PATH@REV.")
    var target: String

    @OptionGroup var output: JSONOption

    @Flag(name: .long, help: "Print a Graphviz graph (pipe it to `dot -Tsvg`).")
    var dot = false

    func validate() throws {
        if output.json && dot { throw ValidationError("choose one of --json and --dot") }
    }

    func run() throws {
        let repo = try Repo.open()
        let journal = Journal(repo: repo)
        journal.attachPendingQuietly()
        let (path, rev) = LineageGraph.split(target, repo: repo)
        let graph = try LineageGraph.build(repo: repo, journal: journal, path: path, rev: rev)
        for p in journal.problems { Terminal.warn(p.description) }
        output.emit(graph) { dot ? $0.dot : $0.tree }
    }
}
