import ArgumentParser
import MLOpsBasics
import Validation
import Workspace

struct ChecksCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checks",
        abstract: "Decide which `cmd:` checks of mlops.yaml may run (they run nothing until you trust them).",
        subcommands: [List.self, Trust.self, Untrust.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the `cmd:` checks of mlops.yaml and whether you trust each.")
        func run() throws {
            for (cmd, trusted) in try CommandChecks.listed(in: try Repo.open()) {
                print("\(trusted ? "trusted    " : "not trusted") \(cmd)")
            }
        }
    }

    struct Trust: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "trust",
            abstract: "Trust exact command lines of `cmd:` checks, so that validate and the hooks run them.",
            discussion: "Recorded as mlops.trustedCheck in .git/config (with --global, in your global git config). Read the command first: it runs with your rights.")
        @Argument(help: "Command lines, exactly as mlops.yaml writes them.") var commands: [String] = []
        @Flag(help: "Trust every `cmd:` check mlops.yaml names now.") var all = false
        @Flag(help: "Trust them in every repository (your global git config).") var global = false
        func validate() throws {
            if commands.isEmpty == !all { throw ValidationError("name the commands to trust, or --all") }
        }
        func run() throws {
            let repo = try Repo.open()
            let list = all ? try CommandChecks.listed(in: repo).map(\.cmd) : commands
            let added = try CommandChecks.trust(list, in: repo, global: global)
            for c in list { print("\(added.contains(c) ? "trusted" : "already trusted"): \(c)") }
        }
    }

    struct Untrust: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "untrust", abstract: "Stop trusting commands (all when none is named).")
        @Argument(help: "Command lines.") var commands: [String] = []
        @Flag(help: "In your global git config.") var global = false
        func run() throws {
            try CommandChecks.untrust(commands, in: try Repo.open(), global: global)
        }
    }
}
