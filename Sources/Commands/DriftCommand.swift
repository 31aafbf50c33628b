import ArgumentParser
import MLOpsBasics
import Validation
import Workspace

struct DriftCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drift",
        abstract: "Compare a dataset with the data a stage last read (or a revision holds), column by column.",
        discussion: """
            PSI and Kolmogorov-Smirnov for numbers, PSI and chi-square for categories, computed from the stored \
            profiles (a clone fetches the baseline's profile without its data). Thresholds come from the path's \
            `drift:` rule in mlops.yaml (default PSI 0.2, KS 0.1). Exit status 1 when a column drifted past them.
            """)

    @Argument(help: "A tracked file, or a file inside a tracked directory.")
    var path: String

    @Option(help: "A stage (its newest recorded run that read the data) or a revision. Default: the `drift:` rule's stage, else the stage of the newest recorded run that read it.")
    var against: String?

    @OptionGroup var output: JSONOption

    func run() throws {
        let report = try DriftReport.make(repo: try Repo.open(), path: path, against: against)
        output.emit(report.json) { _ in report.text }
        if report.drifted { throw ExitCode(1) }
    }
}
