import ArgumentParser
import MLOpsBasics
import Report
import Workspace

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write a static HTML report: runs, metric trends, a params and metrics diff, lineage graphs and plots.",
        discussion: """
            The report is plain HTML with inline SVG: it needs no network, no server and no JavaScript, and \
            opens from file://. It replaces the previous report in DIR all at once, and refuses a DIR that is \
            a symlink, tracked by git, or holds files it did not write. Prints the path of index.html.
            """)

    @Option(name: .shortAndLong, help: ArgumentHelp("Directory to write (default: mlops-report at the repository root).", valueName: "DIR"))
    var output: String?

    @Flag(name: .long, help: "Open the report in a browser (xdg-open, or open on macOS) when it is written.")
    var open = false

    @Option(name: .long, parsing: .upToNextOption,
            help: ArgumentHelp("Compare the params and metrics of two revisions (default: the two latest commits with runs).", valueName: "A B"))
    var diff: [String] = []

    func validate() throws {
        if !diff.isEmpty && diff.count != 2 { throw ValidationError("--diff takes two revisions, e.g. --diff HEAD~1 HEAD") }
    }

    func run() throws {
        let options = ReportOptions(diff: diff.count == 2 ? (diff[0], diff[1]) : nil)
        let result = try ReportBuilder.build(repo: try Repo.open(), output: output, options: options,
                                             sources: ReportSources(catalog: ReportCatalogSource(), validation: ReportValidationSource(), monitoring: ReportMonitoringSource()))
        for w in result.warnings { Terminal.warn(w) }
        emitText(result.index)
        if open { try openInBrowser(result.index) }
    }

    /// Runs the desktop's opener on the page; only ever on request.
    private func openInBrowser(_ path: String) throws {
        #if os(macOS)
        let opener = "open"
        #else
        let opener = "xdg-open"
        #endif
        guard let tool = try? ProcessRunner.resolve(opener) else {
            throw MLOpsError("cannot open the report: \(opener) is not installed", hint: "open \(path) in a browser")
        }
        let r = try ProcessRunner.capture([tool, path])
        if r.status != 0 {
            throw MLOpsError("\(opener) failed (exit \(r.status)): \(r.stderr.trimmingCharacters(in: .whitespacesAndNewlines))", hint: "open \(path) in a browser")
        }
    }
}
