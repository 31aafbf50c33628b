import ArgumentParser
import Lineage
import MLOpsBasics
import Workspace

struct MetricsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Show metrics, and compare them between revisions.",
        subcommands: [Show.self, Diff.self])

    /// `--precision N`, for tables of metrics.
    struct Precision: ParsableArguments {
        @Option(help: ArgumentHelp("Round fractional values in the table to this many decimal places.", valueName: "N"))
        var precision: Int?

        func validate() throws {
            if let p = precision, !(0...17).contains(p) { throw ValidationError("--precision takes 0 to 17 decimal places") }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Show the metrics of the workspace, or of each revision given (one column each).",
            discussion: "A metrics file that cannot be read is reported (exit 1) after the others are shown.")

        @Argument(help: "Revisions (default: the workspace; `workspace` names it).")
        var revisions: [String] = []

        @OptionGroup var rounding: Precision

        @OptionGroup var output: JSONOption

        func run() throws {
            let history = History(repo: try Repo.open())
            var problems: [Error] = []
            let sides = try (revisions.isEmpty ? [nil] : revisions.map { Optional($0) }).map { try history.side($0) }
            let values = try sides.map { (label: $0.label, metrics: try history.metrics(at: $0, problems: &problems)) }
            output.emit(MetricsByRevision(values)) { m in
                m.sides.contains { !$0.metrics.isEmpty } ? Compare.showTable(m.sides, precision: rounding.precision) : ""
            }
            try failIfAny(problems)
        }
    }

    struct Diff: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "diff",
            abstract: "Show metrics that differ between two revisions (default HEAD and the workspace), with the change.",
            discussion: "A metrics file that cannot be read is reported (exit 1) after the others are compared.")

        @OptionGroup var revisions: TwoRevisions

        @Flag(name: .shortAndLong, help: "Show unchanged metrics too.")
        var all = false

        @OptionGroup var rounding: Precision

        @OptionGroup var output: JSONOption

        func run() throws {
            let history = History(repo: try Repo.open())
            var problems: [Error] = []
            let a = try history.side(revisions.from)
            let b = try history.side(revisions.to)
            let rows = Compare.metrics(try history.metrics(at: a, problems: &problems), try history.metrics(at: b, problems: &problems), all: all)
            output.emit(Comparison(.metrics, rows: rows, from: a.label, to: b.label)) { c in
                c.rows.isEmpty ? "" : Compare.metricsTable(c.rows, c.from, c.to, precision: rounding.precision)
            }
            try failIfAny(problems)
        }
    }
}

/// Every problem but the last as an error line, the last thrown (exit 1): the rest of the output stands.
func failIfAny(_ problems: [Error]) throws {
    guard let last = problems.last else { return }
    for p in problems.dropLast() { Terminal.err("error: \(p)") }
    throw last
}
