import ArgumentParser
import Lineage
import MLOpsBasics
import Workspace

struct Log: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Show recorded runs across history, newest first, with their params and metrics.",
        discussion: "Runs not attached to a commit yet come first. A stage name or a path limits the list to its runs.")

    @Argument(help: "A stage name, or a path the runs read or wrote.")
    var filter: String?

    @Option(name: [.customShort("n"), .customLong("max-count")], help: "Show at most this many runs.")
    var maxCount: Int?

    @Flag(help: "One line per run: its id, stage, commit (or `pending`) and metrics.")
    var oneline = false

    @OptionGroup var output: JSONOption

    func validate() throws {
        if let n = maxCount, n < 0 { throw ValidationError("-n takes a count of 0 or more") }
        if oneline && output.json { throw ValidationError("choose one of --oneline and --json") }
    }

    func run() throws {
        let history = History(repo: try Repo.open())
        let entries = try history.log(filter, limit: maxCount)
        for p in history.problems { Terminal.warn(p.description) }
        output.emit(entries) { entries in
            oneline ? lines(entries.map(LogFormat.oneline))
                : entries.map { LogFormat.text($0, summary: $0.commit.map(history.summary)) }.joined(separator: "\n")
        }
    }
}
