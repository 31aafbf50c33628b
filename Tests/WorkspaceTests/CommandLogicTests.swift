import Foundation
import MLOpsBasics
import Testing
import TestSupport
@testable import Workspace

/// What the commands used to decide themselves, tested without the binary.
@Suite struct CommandLogicTests {
    static let sha1 = String(repeating: "1", count: 40)
    static let zero = String(repeating: "0", count: 40)

    @Test func prePushReadsGitsStdinAndArguments() {
        let lines = "refs/heads/main \(Self.sha1) refs/heads/main \(Self.zero)\n"
        let r = PrePushInput.resolve(stdin: lines, arguments: ["upstream", "git@host:x.git"], environment: ["PRE_COMMIT_TO_REF": "ignored"])
        #expect(r == PrePushInput(gitRemote: "upstream", refLines: lines))
        #expect(PrePushInput.resolve(stdin: "", arguments: [], environment: [:]) == PrePushInput(gitRemote: "origin", refLines: ""))
    }

    @Test func prePushUnderThePreCommitFrameworkReadsItsVariables() {
        let env = ["PRE_COMMIT_TO_REF": Self.sha1, "PRE_COMMIT_LOCAL_BRANCH": "refs/heads/topic",
                   "PRE_COMMIT_REMOTE_BRANCH": "refs/heads/topic", "PRE_COMMIT_REMOTE_NAME": "fork"]
        let r = PrePushInput.resolve(stdin: " \n", arguments: [], environment: env)
        #expect(r == PrePushInput(gitRemote: "fork", refLines: "refs/heads/topic \(Self.sha1) refs/heads/topic \(Self.zero)\n"))
        // git's own argument wins over the framework's remote name; a FROM_REF is used as given.
        let r2 = PrePushInput.resolve(stdin: "", arguments: ["origin"], environment: env.merging(["PRE_COMMIT_FROM_REF": "abc"]) { $1 })
        #expect(r2 == PrePushInput(gitRemote: "origin", refLines: "refs/heads/topic \(Self.sha1) refs/heads/topic abc\n"))
        // Without the framework's TO_REF, empty stdin stays empty.
        #expect(PrePushInput.resolve(stdin: "", arguments: [], environment: ["PRE_COMMIT_REMOTE_NAME": "fork"]).refLines == "")
    }

    @Test func shellQuotingReadsBackAsTheSameWords() throws {
        #expect(ShellQuoting.quote("train.py") == "train.py")
        #expect(ShellQuoting.quote("--lr=0.1") == "--lr=0.1")
        #expect(ShellQuoting.quote("a b") == "'a b'")
        #expect(ShellQuoting.quote("") == "''")
        #expect(ShellQuoting.quote("it's $HOME;`x`") == "'it'\\''s $HOME;`x`'")
        #expect(ShellQuoting.command(fromWords: ["--", "python3", "train.py", "my file"]) == "python3 train.py 'my file'")
        #expect(ShellQuoting.command(fromWords: ["python3 train.py | tee log"]) == "python3 train.py | tee log")
        #expect(ShellQuoting.command(fromWords: ["--"]) == "")
        // What the shell reads back is each word unchanged.
        let words = ["a b", "it's", "$x", "*", "new\nline", "ä"]
        let out = try ProcessRunner.capture(["/bin/sh", "-c", "printf '%s\\0' " + ShellQuoting.join(words)])
        #expect(out.stdout.split(separator: "\0", omittingEmptySubsequences: false).dropLast().map(String.init) == words)
    }

    @Test func statusHintsNameTheCommandThatFixesEachProblem() {
        func e(_ p: String, _ s: StatusEntry.State) -> StatusEntry { StatusEntry(path: p, state: s) }
        #expect(StatusEntry.hints(for: []) == [])
        #expect(StatusEntry.hints(for: [e("a", .missing)]) == ["hint: `git mlops checkout` restores the workspace"])
        // Missing from the workspace and from the cache: only a pull brings it back.
        #expect(StatusEntry.hints(for: [e("a", .notInCache), e("a", .missing)]) == ["hint: `git mlops pull` fetches missing data and checks it out"])
        #expect(StatusEntry.hints(for: [e("a", .notInCache), e("a", .missing), e("b", .missing), e("c", .modified)]) == [
            "hint: `git mlops add PATH` records changes",
            "hint: `git mlops checkout` restores the workspace",
            "hint: `git mlops pull` fetches missing data and checks it out",
        ])
        #expect(StatusEntry.hints(for: [e("d", .damaged), e("i", .interrupted)]).count == 2)
    }

    @Test func pullTakesAFirstArgumentThatNamesARemoteAsTheRemote() throws {
        let tmp = TempDir()
        let repo = try RepoPathTests.makeRepo(tmp)
        try repo.addRemote(name: "storage", url: tmp.path + "/remote", endpoint: nil, region: nil, makeDefault: true, local: false)
        #expect(try repo.remoteAndPaths(["storage", "data"], remote: nil) == ("storage", ["data"]))
        #expect(try repo.remoteAndPaths(["data", "storage"], remote: nil) == (nil, ["data", "storage"]))
        #expect(try repo.remoteAndPaths(["storage"], remote: "other") == ("other", ["storage"]))
        #expect(try repo.remoteAndPaths([], remote: nil) == (nil, []))
    }

    @Test func missingDataHintNamesTheRevisionsToPush() throws {
        let tmp = TempDir()
        let repo = try RepoPathTests.makeRepo(tmp)
        // No commit yet: only --all-commits can be named.
        #expect(repo.missingDataHint(revs: [], then: "pull").contains("`git mlops push --all-commits`"))
        #expect(repo.missingDataHint(revs: ["v1", "a b"], then: "fetch")
                == "push them from a clone that has them (`git mlops push --rev v1 --rev 'a b'` or `--all-commits` there; a plain push sends only HEAD and the workspace), then fetch again")
    }
}
