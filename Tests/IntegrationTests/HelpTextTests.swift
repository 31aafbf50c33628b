import Foundation
import MLOpsBasics
import Testing

/// The help of `git mlops` and of every command, run through git, compared with
/// Tests/IntegrationTests/HelpText/*.txt as exact text: an interface change shows in review as a
/// change of those files. After an intended change, `GIT_MLOPS_UPDATE_HELP=1 swift test --filter
/// HelpTextTests` writes them again.
@Suite struct HelpTextTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path + "/HelpText"

    /// Every visible command path (`[]`, `["remote"]`, `["remote", "add"]` ...), from the binary's own
    /// description of its commands.
    static func commandPaths(_ s: Sandbox) throws -> [[String]] {
        let dump = try s.ok(["git", "mlops", "--experimental-dump-help"])
        func walk(_ c: JSON, _ path: [String]) -> [[String]] {
            guard c["shouldDisplay"]?.bool != false else { return [] }
            let subs = (c["subcommands"]?.array ?? []).filter { $0["commandName"]?.string != "help" }
            return [path] + subs.flatMap { walk($0, path + [$0["commandName"]?.string ?? "?"]) }
        }
        return walk(try JSON.parse(dump.stdout)["command"] ?? .null, [])
    }

    @Test func everyCommandsHelpIsTheReviewedText() throws {
        let s = try Sandbox()
        let update = ProcessInfo.processInfo.environment["GIT_MLOPS_UPDATE_HELP"] == "1"
        var expectedFiles = Set<String>()
        for path in try Self.commandPaths(s) {
            let name = (["git-mlops"] + path).joined(separator: "-") + ".txt"
            expectedFiles.insert(name)
            let r = try s.ok(["git", "mlops"] + path + ["-h"])
            #expect(r.stderr == "")
            let file = Self.directory + "/" + name
            if update {
                try FS.mkdirs(Self.directory)
                try FS.writeAtomic(file, r.stdout, durable: false)
                continue
            }
            let expected = (try? FS.readText(file)) ?? "(no file \(name))"
            #expect(r.stdout == expected, "`git mlops \(path.joined(separator: " ")) -h` changed; if intended, run GIT_MLOPS_UPDATE_HELP=1 swift test --filter HelpTextTests")
            // No ragged wraps, no trailing spaces, nothing wider than 80 columns but the usage line.
            for line in r.stdout.split(separator: "\n") {
                #expect(!line.hasSuffix(" "), "\(name): trailing space in \(line.debugDescription)")
                #expect(line.count <= 80 || line.hasPrefix("USAGE: "), "\(name): \(line.count) columns: \(line)")
            }
        }
        let files = Set((try FS.listDirectory(Self.directory)).map(\.name))
        #expect(files == expectedFiles, "HelpText/ has files for commands that are gone, or lacks some")
    }

    @Test func helpAndDashHAreTheSameAndVersionIsTheRootsOnly() throws {
        let s = try Sandbox()
        let h = try s.ok(["git", "mlops", "-h"])
        #expect(try s.ok(["git", "mlops", "help"]).stdout == h.stdout)
        #expect(try s.ok(["git-mlops", "--help"]).stdout == h.stdout)
        #expect(try s.ok(["git", "mlops", "help", "remote", "add"]).stdout == (try s.ok(["git", "mlops", "remote", "add", "-h"])).stdout)
        #expect(try s.ok(["git", "mlops", "--version"]).stdout == "git-mlops version 0.1.0\n")
        let v = try s.run(["git", "mlops", "status", "--version"])
        #expect(v.status == 129)
        #expect(v.stdout == "")
        #expect(v.stderr == "error: unknown option '--version'\nUsage: git mlops status [<paths> ...] [--json]\n  See 'git mlops status --help' for more information.\n")
    }
}
