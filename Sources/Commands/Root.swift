// How a command plugs in (for every branch that adds one):
//
// 1. One file in Sources/Commands: a `ParsableCommand` struct whose `run()` parses nothing more, calls
//    one library function and prints its result. Every @Option/@Flag/@Argument has a `help:`; input
//    checks go in `validate()` and throw `ValidationError("...")` (printed as a usage error, exit 129).
//    Its CommandConfiguration names it (`commandName:`): a name derived from the type costs every run
//    about 2 ms of reflection.
// 2. One line in `commandList` (Registry.swift), where `git mlops -h` lists it. That list is the only
//    one: help and "did you mean" read the command tree from it.
// 3. Printing goes through `JSONOption.emit` (Output.swift): the result type conforms to
//    `JSONRepresentable` (MLOpsBasics) in the library that defines it, and the command passes the text
//    for people; `@OptionGroup var output: JSONOption` adds `--json`. Commands never build JSON by hand.
//    Progress and warnings go to stderr (`Terminal.warn`).
// 4. Errors are thrown, never printed: an `MLOpsError` (what failed; how to fix it) exits with its
//    code (1, or 128 when fatal); `ExitCode(n)` exits quietly after the command printed its own lines.
// 5. `scripts/test` compares every command's help with Tests/IntegrationTests/HelpText as exact text:
//    after changing an interface, run the test and update the expected text it prints.

import ArgumentParser
import Foundation
import MLOpsBasics

/// `git mlops`: the root command. The subcommands are `commandList`, one file each.
public struct GitMLOps: ParsableCommand {
    public static let version = "0.1.0"

    /// What the root help and git-mlops(1) say before the list of commands.
    static let description = """
        Large files and directories live in a chunked, compressed cache next to the repository \
        (.git/mlops); git keeps small pointer files. Remotes share the cache; run records live in \
        git notes (refs/notes/mlops).
        """

    /// The root help's examples: a first hour, in order.
    static let examples: [(command: String, what: String)] = [
        ("git mlops init", "set up the cache and .gitmlops (commit it)"),
        ("git mlops add data", "track a directory; commit data.mlops and .gitignore"),
        ("git mlops remote add storage /mnt/shared --default", "where the data is shared"),
        ("git mlops stage add -n train -d data -o model.npy -- python3 train.py", "declare a stage"),
        ("git mlops run", "run what changed; record each run"),
        ("git mlops push", "upload the data and the run records"),
        ("git mlops pull", "after a clone or a pull: fetch and check out the data"),
        ("git mlops log --oneline", "recorded runs, newest first"),
        ("git mlops --version", "which git-mlops this is"),
    ]

    public static let configuration = CommandConfiguration(
        commandName: "git mlops",
        abstract: "Version data, models and runs in git.",
        usage: "git mlops [--version] <subcommand>",
        discussion: description + "\n\nEXAMPLES:\n" + examples.map { "  \($0.command)\n      \($0.what)" }.joined(separator: "\n"),
        subcommands: commandList
    )

    public init() {}

    public func run() throws {
        throw CleanExit.helpRequest(GitMLOps.self)
    }

    /// ArgumentParser's usage errors read like the rest: `error: ...`, as git prints them.
    public static var _errorPrefix: String { "error: " }

    /// Runs the command line and exits like git: 0 on success, 1 on failure, 128 when fatal, 129 on
    /// usage errors. A mistyped command gets git's "did you mean" (exit 1 at the top, 129 below it).
    public static func main(arguments: [String]) -> Never {
        signal(SIGPIPE, SIG_DFL)
        // `git mlops --version`, as `git --version`: the root's alone. Not a parser flag, because
        // ArgumentParser would take it after a subcommand too, and from `model register --version`.
        if arguments.first == "--version" {
            emitText("git-mlops version \(GitMLOps.version)")
            Foundation.exit(0)
        }
        if let unknown = UnknownCommand.find(in: arguments) {
            Terminal.err(unknown.message)
            Foundation.exit(unknown.status)
        }
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
            Foundation.exit(0)
        } catch {
            exit(for: error)
        }
    }

    /// ArgumentParser's own message and exit code for `error`, with git's codes: an `MLOpsError` keeps
    /// its code, and a usage error exits 129.
    private static func exit(for error: Error) -> Never {
        let status: Int32
        if let e = error as? MLOpsError {
            status = e.exitCode
        } else {
            let code = exitCode(for: error)
            status = code == .validationFailure ? 129 : code.rawValue
        }
        let message = UnknownCommand.lowercased(fullMessage(for: error))
        if status == 0 {
            print(message)
        } else if !message.isEmpty {
            Terminal.err(message)
        }
        Foundation.exit(status)
    }
}

/// `[A [B]]`: up to two revisions; the second defaults to the workspace.
struct TwoRevisions: ParsableArguments {
    @Argument(help: "Up to two revisions: none compares HEAD with the workspace, one compares it with the workspace.")
    var revisions: [String] = []

    func validate() throws {
        if revisions.count > 2 { throw ValidationError("give at most two revisions") }
    }

    var from: String { revisions.first ?? "HEAD" }
    /// nil: the workspace.
    var to: String? { revisions.count == 2 ? revisions[1] : nil }
}
