import ArgumentParser
import Foundation
import MLOpsBasics
import Profiling

struct ProfileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile",
        abstract: "Profile tables: per column type, nulls, distinct values, range, mean, quantiles and top values.",
        discussion: """
            Reads CSV (.csv), TSV (.tsv), JSON Lines (.jsonl, .ndjson) and NumPy (.npy) files, the text \
            formats also compressed (.gz, .zst). A directory stands for every table under it; with more \
            than one file the merged profile follows. The profile format is in docs/validation.md.
            """)

    @Argument(help: "Files or directories to profile.")
    var paths: [String]

    @OptionGroup var output: JSONOption

    func run() throws {
        output.emit(try ProfileReport.make(paths: paths, options: ProfileOptions(threads: Tuning(environment: ProcessInfo.processInfo.environment).threads))) { $0.text }
    }
}

extension ProfileReport: JSONRepresentable {}
