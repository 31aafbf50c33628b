import ArgumentParser
import Lineage
import MLOpsBasics
import Workspace

struct Log: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show recorded runs across history, newest first, with their params and metrics.",
        discussion: "Runs not attached to a commit yet come first. A stage name or a path limits the list to its runs.")

    @Argument(help: "A stage name, or a path the runs read or wrote.")
    var filter: String?

    @Option(name: [.customShort("n"), .customLong("max-count")], help: "Show at most this many runs.")
    var maxCount: Int?

    @OptionGroup var output: JSONOption

    func run() throws {
        let history = History(repo: try Repo.open())
        let entries = try history.log(filter, limit: maxCount)
        for p in history.problems { Terminal.warn(p.description) }
        if output.json {
            printJSON(.array(entries.map(\.json)))
            return
        }
        print(entries.map { e in LogFormat.text(e, summary: e.commit.map(history.summary)) }.joined(separator: "\n"), terminator: "")
    }
}
