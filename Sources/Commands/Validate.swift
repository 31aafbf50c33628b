import ArgumentParser
import MLOpsBasics
import Validation
import Workspace

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Run the checks, drift comparisons and gates of mlops.yaml and print what each found.",
        discussion: """
            Data checks are answered from the stored profiles of the data; only `unique` and `allowed` may read \
            the data, when the profile cannot decide. A `cmd:` check runs only once you have trusted its exact \
            command (`git mlops checks trust CMD`); until then it is reported as not run. Exit status 0 when \
            nothing fails, 1 otherwise (a failure with `severity: warn` does not count). See docs/validation.md.
            """)

    @Argument(help: "Only datasets and metrics files at or under these paths.")
    var paths: [String] = []

    @Flag(help: "Only what is staged: datasets whose pointer and metrics files whose content `git commit` would record.")
    var staged = false

    @Option(help: "Validate a commit (its pointers, metrics files and mlops.yaml) instead of the workspace.")
    var rev: String?

    @Flag(help: "Fail on `cmd:` checks you have not trusted, instead of reporting them as not run.")
    var strict = false

    @OptionGroup var output: JSONOption

    func validate() throws {
        if staged && rev != nil { throw ValidationError("--staged and --rev exclude each other") }
    }

    func run() throws {
        let repo = try Repo.open()
        var o = ValidationOptions()
        o.paths = paths
        o.changedOnly = staged
        o.side = staged ? .staged : try rev.map { .commit(try repo.git.resolveCommit($0)) } ?? .workspace
        o.strict = strict || repo.config.bool("checks.strict", default: false)
        let report = try Validator(repo: repo).run(o)
        if output.json {
            output.emit(report.json) { _ in "" }
        } else if report.findings.isEmpty {
            print("nothing to validate: \(staged ? "no staged dataset or metrics file has checks" : "mlops.yaml has no `checks` or `gates` here")")
        } else {
            print(report.text, terminator: "")
            for f in report.failures { Terminal.err("error: " + f.line) }
        }
        if !report.passed { throw ExitCode(1) }
    }
}
