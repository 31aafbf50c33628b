import ArgumentParser
import Lineage
import MLOpsBasics
import Workspace

struct MetricsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Show metrics, and compare them between revisions.",
        subcommands: [Show.self, Diff.self])

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the metrics of the workspace, or of each revision given (one column each).")

        @Argument(help: "Revisions (default: the workspace; `workspace` names it).")
        var revisions: [String] = []

        @OptionGroup var output: JSONOption

        func run() throws {
            let history = History(repo: try Repo.open())
            let sides = try (revisions.isEmpty ? [nil] : revisions.map { Optional($0) }).map { try history.side($0) }
            let values = try sides.map { (label: $0.label, metrics: try history.metrics(at: $0)) }
            if output.json {
                printJSON(.object(Dictionary(values.map { ($0.label, JSON.object($0.metrics)) }, uniquingKeysWith: { a, _ in a })))
            } else if values.contains(where: { !$0.metrics.isEmpty }) {
                print(Compare.showTable(values), terminator: "")
            }
        }
    }

    struct Diff: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show metrics that differ between two revisions (default HEAD and the workspace), with the change.")

        @OptionGroup var revisions: TwoRevisions

        @Flag(name: .shortAndLong, help: "Show unchanged metrics too.")
        var all = false

        @OptionGroup var output: JSONOption

        func run() throws {
            let history = History(repo: try Repo.open())
            let a = try history.side(revisions.from)
            let b = try history.side(revisions.to)
            let rows = Compare.metrics(try history.metrics(at: a), try history.metrics(at: b), all: all)
            if output.json {
                printJSON(Compare.json(rows, from: a.label, to: b.label, key: "metrics"))
            } else if !rows.isEmpty {
                print(Compare.metricsTable(rows, a.label, b.label), terminator: "")
            }
        }
    }
}
