import ArgumentParser
import Foundation
import MLOpsBasics

/// `git mlops`: the root command. Subcommands are listed here and live one per file.
public struct GitMLOps: ParsableCommand {
    public static let version = "0.1.0"

    public static let configuration = CommandConfiguration(
        commandName: "git mlops",
        abstract: "Version data, models and runs in git.",
        discussion: """
            Large files and directories live in a chunked, compressed cache next to the repository \
            (.git/mlops); git keeps small pointer files. Remotes share the cache; run records live in \
            git notes (refs/notes/mlops).
            """,
        version: version,
        subcommands: commandList
    )

    /// Subcommands; later layers append theirs here.
    static var commandList: [ParsableCommand.Type] {
        [Init.self, Add.self, Status.self, Checkout.self, Diff.self, GC.self, Fsck.self]
            + remoteCommands + lineageCommands
    }

    public init() {}

    /// Runs the command line and exits like git: 0 on success, 1 on failure, 128 when fatal, 129 on usage errors.
    public static func run(_ arguments: [String] = Array(CommandLine.arguments.dropFirst())) -> Never {
        signal(SIGPIPE, SIG_DFL)
        var command: ParsableCommand
        do {
            command = try parseAsRoot(arguments)
        } catch {
            exitForParserError(error)
        }
        do {
            try command.run()
            Foundation.exit(0)
        } catch let e as MLOpsError {
            Terminal.err("error: \(e)")
            Foundation.exit(e.exitCode)
        } catch let e as ExitCode {
            Foundation.exit(e.rawValue)
        } catch let e as ValidationError {
            exitForParserError(e)
        } catch let e as CleanExit {
            exitForParserError(e)
        } catch where String(reflecting: type(of: error)).hasPrefix("ArgumentParser.") {
            // `help` and `-h` are commands whose run() throws ArgumentParser's own errors.
            exitForParserError(error)
        } catch {
            // Errors of the library layers describe themselves in one line.
            Terminal.err("error: \(error)")
            Foundation.exit(1)
        }
    }

    /// Help and version exit 0; usage errors print ArgumentParser's message and exit 129, as git does.
    private static func exitForParserError(_ error: Error) -> Never {
        let code = exitCode(for: error)
        if code == .success {
            print(fullMessage(for: error))
            Foundation.exit(0)
        }
        Terminal.err(fullMessage(for: error))
        Foundation.exit(129)
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

/// `--json` for commands whose output scripts parse.
struct JSONOption: ParsableArguments {
    @Flag(name: .long, help: "Print machine-readable JSON instead of text.")
    var json = false
}

func printJSON(_ value: JSON) {
    print(value.pretty)
}
