import ArgumentParser
import Foundation
import MLOpsBasics
import Monitoring

struct MonitorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "monitor",
        abstract: "Compare live records of a model version with its training data: drift, live metrics, latency, errors.",
        discussion: """
            Reads CSV or JSON Lines records (files, .gz and .zst too, or - for standard input): the features, \
            and optionally the prediction, the label, the latency in milliseconds and an error flag (column names \
            and thresholds in the `monitor:` block of mlops.yaml). The training data is the input of the run that \
            made the version's weights. Prints the figures and their verdicts, records a snapshot in the notes of \
            the version's commit, and exits 1 when a figure is beyond its threshold. With --follow, reads a growing \
            log until SIGTERM or SIGINT, closing a window every --window records. See docs/monitoring.md.
            """)

    @Argument(help: ArgumentHelp("The model version: NAME#STAGE or NAME@VERSION.", valueName: "model"))
    var model: String

    @Argument(help: ArgumentHelp("Files of live records, or - for standard input.", valueName: "input"))
    var inputs: [String] = []

    @Flag(help: "Keep reading a growing log (surviving rotation) until SIGTERM or SIGINT.")
    var follow = false

    @Option(help: ArgumentHelp("With --follow: records per window (default \(MonitorRequest.defaultWindow)).", valueName: "N"))
    var window: Int?

    @Option(name: .customLong("openmetrics"), help: ArgumentHelp("Write the figures to FILE in the OpenMetrics text format, replaced atomically each window.", valueName: "FILE"))
    var openMetrics: String?

    @OptionGroup var output: JSONOption

    func validate() throws {
        if inputs.isEmpty { throw ValidationError("name the live records to read (files, or - for standard input)") }
        if let window, window < 1 { throw ValidationError("--window takes a number of records of at least 1") }
        if window != nil && !follow { throw ValidationError("--window applies to --follow only (without it, every record is one window)") }
    }

    func run() throws {
        var request = MonitorRequest(model: model, inputs: inputs)
        request.follow = follow
        request.window = window.map(Int64.init)
        request.openMetrics = openMetrics
        let monitor = try Monitor(request)
        let last = try monitor.run { s in
            if follow { Terminal.out(output.json ? s.json.canonical : s.summary) }
        }
        if !follow {
            var j = last.json.object ?? [:]
            j["warnings"] = .array(monitor.warnings.map { .string($0) })
            output.emit(JSON.object(j)) { _ in last.text }
        }
        if last.isAlert { throw ExitCode(1) }
    }
}
