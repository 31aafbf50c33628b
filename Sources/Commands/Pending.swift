import ArgumentParser
import Lineage
import MLOpsBasics
import Workspace

struct PendingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pending",
        abstract: "List or drop run records that wait for a commit holding what they ran.",
        discussion: """
            A run's record attaches to the commit that holds what it read and wrote; until then it is \
            pending (git mlops log shows it first). Drop the records of runs you abandoned: their data \
            is then kept only if something else needs it (see git mlops gc).
            """,
        subcommands: [List.self, Drop.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List pending runs, oldest first, with what HEAD lacks for each.")

        @OptionGroup var output: JSONOption

        func run() throws {
            let journal = Journal(repo: try Repo.open())
            let runs = journal.pendingRuns()
            for p in journal.problems { Terminal.warn(p.description) }
            output.emit(runs) { runs in
                lines(runs.map { "\($0.entry.record.shortID) \($0.entry.record.stage): \($0.reason)" })
            }
        }
    }

    struct Drop: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "drop", abstract: "Drop pending runs by id (at least 4 characters), or all of them.")

        @Argument(help: "Run ids, as `git mlops pending list` shows them.")
        var runs: [String] = []

        @Flag(help: "Drop every pending run.")
        var all = false

        func validate() throws {
            if runs.isEmpty == !all { throw ValidationError("name the runs to drop, or pass --all") }
        }

        func run() throws {
            let dropped = try Journal(repo: try Repo.open()).dropPending(ids: runs, all: all)
            emitText(lines(dropped.map { "dropped pending run \($0.shortID) (\($0.stage))" }))
        }
    }
}
