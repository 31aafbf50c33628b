import ArgumentParser
import MLOpsBasics
import Workspace

struct HooksCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hooks",
        abstract: "Install or remove the git hooks git-mlops uses (chaining to hooks already there).",
        subcommands: [Install.self, Uninstall.self])

    struct Install: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "install", abstract: "Install hooks (default: all of them).")
        @Argument(help: "Hooks to install: \(Hooks.all.joined(separator: ", ")).")
        var names: [String] = []
        func run() throws {
            let outcomes = try Hooks.install(names.isEmpty ? Hooks.all : names, in: try Repo.open())
            emitText(lines(outcomes.map { name, outcome in
                "\(name): \(outcome == .chained ? "installed (runs the existing hook after it)" : outcome.rawValue)"
            }))
        }
    }

    struct Uninstall: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "uninstall", abstract: "Remove git-mlops hooks, restoring hooks they chained.")
        @Argument(help: "Hooks to remove (default: all).")
        var names: [String] = []
        func run() throws {
            let outcomes = try Hooks.uninstall(names.isEmpty ? Hooks.all : names, in: try Repo.open())
            emitText(lines(outcomes.map { "\($0.0): \($0.1.rawValue)" }))
        }
    }
}

/// `git mlops hook NAME`: what the installed hook scripts call. Each hook's work lives in its layer.
struct HookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hook",
        abstract: "Run the git-mlops part of a git hook (called by the installed hook scripts).",
        shouldDisplay: false)

    @Argument(help: "The hook: \(Hooks.all.joined(separator: ", ")).")
    var name: String

    @Argument(parsing: .captureForPassthrough, help: "The hook's arguments, as git passes them.")
    var arguments: [String] = []

    func run() throws {
        guard let handler = hookHandlers[name] else {
            throw ValidationError("unknown hook '\(name)'; known: \(hookHandlers.keys.sorted().joined(separator: ", "))")
        }
        try handler(arguments)
    }
}
