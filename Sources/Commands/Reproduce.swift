import ArgumentParser
import Lineage
import MLOpsBasics
import Workspace

struct Reproduce: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reproduce",
        abstract: "Re-run recorded runs in a temporary worktree and compare their outputs with the records.",
        discussion: """
            REV reproduces the runs that made what REV holds (one per stage); REV:STAGE one stage's run. \
            Only a stage's declared dependencies are materialized: inputs come from the cache (or the \
            default remote), params are the recorded values. Your workspace, index, branches and notes \
            are not touched; the worktree is removed afterwards.
            """)

    @Argument(help: "REV or REV:STAGE.")
    var target: String

    @Flag(name: .long, help: "Exit non-zero unless every output is identical to the record.")
    var verify = false

    @OptionGroup var output: JSONOption

    func run() throws {
        let reproducer = Reproducer(repo: try Repo.open())
        reproducer.commandOutputToStderr = output.json
        let (rev, stage) = reproducer.split(target)
        let entries = try reproducer.select(rev: rev, stage: stage)
        let results = try reproducer.reproduce(entries, starting: { e in
            if !output.json {
                Terminal.out("\(e.record.stage): reproducing run \(e.record.shortID) of \(e.commit?.short ?? "?") in a temporary worktree")
            }
        }, finished: { r in
            if !output.json { Terminal.out(String(r.text.dropLast())) }
        })
        for p in reproducer.journal.problems { Terminal.warn(p.description) }
        let summary = ReproduceSummary(results)
        output.emit(results) { _ in summary.line ?? "" }
        if !summary.succeeded(verify: verify) { throw ExitCode(1) }
    }
}
