import ArgumentParser
import MLOpsBasics
import Testing
@testable import Commands

/// The command tree and "did you mean", without the binary (the end-to-end tests run them through git).
@Suite struct InterfaceTests {
    @Test func everyCommandAndArgumentSaysWhatItIs() throws {
        let root = try CommandInfo.root()
        #expect(root.fullName == "git mlops")
        #expect(root.subcommands.count >= 20)
        for c in root.all {
            #expect(!c.abstract.isEmpty, "\(c.fullName) has no abstract")
            #expect(c.abstract.hasSuffix("."), "\(c.fullName): the abstract is a sentence")
            for a in c.arguments {
                #expect(!a.abstract.isEmpty, "\(c.fullName) \(a.synopsis) has no help")
            }
            // No hard wraps: help text is reflowed to the terminal by ArgumentParser.
            #expect(!c.abstract.contains("\n"))
            for text in [c.abstract] + c.discussion.split(separator: "\n").map({ String($0.drop { $0 == " " }) }) + c.arguments.map(\.abstract) {
                #expect(!text.contains("  "), "\(c.fullName): double space in \(text.debugDescription)")
            }
            // The root's --version is not a parser flag, so it is listed nowhere (`model register --version` is the model's).
            if c.path != ["git mlops", "model", "register"] { #expect(!c.options.contains { $0.names.contains("--version") }, "\(c.fullName) lists --version") }
        }
        let hidden = Set(["hook", "generate-manual", "completion", "help"])
        #expect(root.subcommands.allSatisfy { !hidden.contains($0.name) })
        #expect(root.all.map(\.pageName).contains("git-mlops-remote-add"))
    }

    /// A command without a `commandName` has it derived from its type's name by reflection, which
    /// costs every run of git-mlops about 2 ms (the hooks run it several times per commit).
    @Test func everyCommandNamesItself() {
        func walk(_ c: ParsableCommand.Type, _ path: String) {
            let config = c.configuration
            #expect(config.commandName != nil, "\(path): set commandName in its CommandConfiguration")
            for sub in config.subcommands + config.groupedSubcommands.flatMap(\.subcommands) {
                walk(sub, path + " " + (sub.configuration.commandName ?? "\(sub)"))
            }
        }
        walk(GitMLOps.self, "git mlops")
    }

    @Test func mistypedCommandsGetGitsAnswer() {
        #expect(UnknownCommand.find(in: ["stauts"]) == .init(message: """
            git mlops: 'stauts' is not a git mlops command. See 'git mlops --help'.

            The most similar command is
            \tstatus
            """, status: 1))
        #expect(UnknownCommand.find(in: ["help", "stauts"])?.status == 1)
        #expect(UnknownCommand.find(in: ["xyzzyq"])?.message == "git mlops: 'xyzzyq' is not a git mlops command. See 'git mlops --help'.")
        #expect(UnknownCommand.find(in: ["remote", "ad", "x"]) == .init(message: """
            error: 'ad' is not a git mlops remote command

            The most similar command is
            \tadd

            Usage: git mlops remote <subcommand>
              See 'git mlops remote --help' for more information.
            """, status: 129))
        // Known commands, options, arguments of commands and `help` itself go to the parser.
        for ok in [["status"], ["remote", "add", "x", "y"], ["add", "stauts"], ["--version"], ["help"], ["help", "remote", "add"],
                   ["remote", "--help"], ["hook", "pre-push"], ["stage", "add", "--", "stauts"], []] {
            #expect(UnknownCommand.find(in: ok) == nil, "\(ok)")
        }
    }

    @Test func versionBelowTheRootIsAUsageErrorUnlessTheCommandHasItsOwn() throws {
        let register = try GitMLOps.parseAsRoot(["model", "register", "m", "--version", "v1.0.0"]) as? ModelRegister
        #expect(register?.version == "v1.0.0" && register?.rev == nil)
        #expect(throws: (any Error).self) { try GitMLOps.parseAsRoot(["status", "--version"]) }
    }

    @Test func parserMessagesStartLowercaseAsGitsDo() {
        #expect(UnknownCommand.lowercased("error: Unexpected argument 'x'") == "error: unexpected argument 'x'")
        #expect(UnknownCommand.lowercased("error: S3 is down") == "error: S3 is down")
        #expect(UnknownCommand.lowercased("OVERVIEW: x") == "OVERVIEW: x")
    }
}
