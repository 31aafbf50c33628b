import Foundation
import GitBridge
import MLOpsBasics
import TestSupport
import Testing
@testable import Workspace

/// Every start of the git binary goes through GitCommand, and a failure names the command and what git said.
@Suite struct GitCommandTests {
    @Test func aFailedCommandNamesItselfItsStatusAndGitsOutput() throws {
        let tmp = TempDir()
        let git = GitCommand(in: tmp.path, environment: ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
                                                         "HOME": tmp.path, "GIT_CONFIG_NOSYSTEM": "1", "LC_ALL": "C"])
        try git.run(["init", "-q"])
        #expect(try git.run(["rev-parse", "--is-inside-work-tree"]) == "true\n")
        do {
            try git.run(["rev-parse", "--verify", "-q", "--end-of-options", "refs/heads/nowhere"], hint: "make the branch first")
            Issue.record("rev-parse of a missing ref succeeded")
        } catch let e as GitCommandError {
            #expect(e.arguments == ["rev-parse", "--verify", "-q", "--end-of-options", "refs/heads/nowhere"])
            #expect(e.status == 1)
            #expect(e.description.hasPrefix("`git rev-parse --verify -q --end-of-options refs/heads/nowhere` failed (exit 1)"))
            #expect(e.description.hasSuffix("; make the branch first"))
        }
        let bad = try git.output(["config", "--file", tmp.path + "/nope/none", "--add", "a.b", "c"])
        let e = GitCommand.failure(["config"], bad)
        #expect(e.status != 0 && !e.output.isEmpty, "git's complaint is kept: \(e)")
    }

    @Test func repoRunsGitInItsWorkingTree() throws {
        let tmp = TempDir()
        let repo = try RepoPathTests.makeRepo(tmp)
        #expect(repo.gitCommand.directory == repo.root)
        #expect(try repo.gitCommand.run(["rev-parse", "--show-toplevel"]).trimmingCharacters(in: .newlines) == repo.root)
    }
}
