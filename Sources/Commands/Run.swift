import ArgumentParser
import Lineage
import MLOpsBasics
import Workspace

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the pipeline's stages in dependency order, skipping what is up to date, and record each run.",
        discussion: """
            A stage is up to date when its command, deps and params equal a recorded run's and its outputs \
            are that run's. When they equal a recorded run's but the outputs differ, the outputs are restored \
            from the run cache instead of running again. Run records attach (as notes on refs/notes/mlops) to \
            the commit that holds what ran; `git mlops pending` lists those still waiting.
            """)

    @Argument(help: "Stages to bring up to date, with the stages they depend on (default: all).")
    var stages: [String] = []

    @Flag(name: .shortAndLong, help: "Run the stages even when up to date, without using the run cache.")
    var force = false

    @Flag(name: .long, help: "Print what would run and why, changing nothing.")
    var dryRun = false

    @Flag(help: "Run even when tracked inputs were edited and not added again (their records stay pending).")
    var allowEditedInputs = false

    func run() throws {
        let runner = Runner(repo: try Repo.open())
        let edited = try runner.editedInputs(targets: stages)
        if !edited.isEmpty {
            let error = Runner.editedInputsError(edited)
            guard dryRun || allowEditedInputs else { throw error }
            Terminal.warn(error.message)
        }
        let summary = try runner.run(RunOptions(targets: stages, force: force, dryRun: dryRun, toolVersion: GitMLOps.version)) {
            Terminal.out($0.text)
        }
        for p in runner.journal.problems { Terminal.warn(p.description) }
        emitText(lines(summary.closingLines))
    }
}
