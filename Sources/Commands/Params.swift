import ArgumentParser
import Lineage
import MLOpsBasics
import Workspace

struct ParamsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "params",
        abstract: "Compare parameters between revisions.",
        subcommands: [Diff.self])

    struct Diff: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "diff",
            abstract: "Show params that differ between two revisions (default HEAD and the workspace).",
            discussion: "Params are every key of params.yaml and the FILE:key params stages name. One revision compares it with the workspace.")

        @OptionGroup var revisions: TwoRevisions

        @Flag(name: .shortAndLong, help: "Show unchanged params too.")
        var all = false

        @OptionGroup var output: JSONOption

        func run() throws {
            let history = History(repo: try Repo.open())
            let a = try history.side(revisions.from)
            let b = try history.side(revisions.to)
            let rows = Compare.params(try history.params(at: a), try history.params(at: b), all: all)
            output.emit(Comparison(.params, rows: rows, from: a.label, to: b.label)) { c in
                c.rows.isEmpty ? "" : Compare.paramsTable(c.rows, c.from, c.to)
            }
        }
    }
}
