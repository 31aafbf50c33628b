import Foundation
import MLOpsBasics
import Testing

/// What a new user meets first: mistyped commands, usage errors, hints that lead somewhere, and the
/// small commands (remove), as exact text through git.
@Suite struct FirstHourE2ETests {
    @Test func mistypedCommandsAndUsageErrorsAnswerAsGitDoes() throws {
        let s = try Sandbox()
        var r = try s.run(["git", "mlops", "stauts"])
        #expect(r.status == 1 && r.stdout == "")
        #expect(r.stderr == """
            git mlops: 'stauts' is not a git mlops command. See 'git mlops --help'.

            The most similar command is
            \tstatus

            """)
        r = try s.run(["git", "mlops", "help", "stauts"])
        #expect(r.status == 1 && r.stdout == "" && r.stderr.hasPrefix("git mlops: 'stauts' is not a git mlops command."))
        r = try s.run(["git", "mlops", "remote", "ad", "x", "y"])
        #expect(r.status == 129)
        #expect(r.stderr == """
            error: 'ad' is not a git mlops remote command

            The most similar command is
            \tadd

            Usage: git mlops remote <subcommand>
              See 'git mlops remote --help' for more information.

            """)
        r = try s.run(["git", "mlops", "status", "--bogus"])
        #expect(r.status == 129)
        #expect(r.stderr == "error: unknown option '--bogus'\nUsage: git mlops status [<paths> ...] [--json]\n  See 'git mlops status --help' for more information.\n")
        r = try s.run(["git", "mlops", "diff", "a", "b", "c"])
        #expect(r.status == 129 && r.stderr.hasPrefix("error: give at most two revisions\nUsage: git mlops diff "))
        r = try s.run(["git", "mlops", "log", "-n", "-1"])
        #expect(r.status == 129 && r.stderr.hasPrefix("error: "))
        // Not a repository: fatal, as git says it.
        r = try s.run(["git", "mlops", "status"])
        #expect(r.status == 128 && r.stderr.hasPrefix("error: not a git repository"))
    }

    /// status says pull when the data is in neither the workspace nor the cache; a remote missing the
    /// data says which push sends it; remote add says to commit .gitmlops.
    @Test func hintsNameTheCommandThatWorks() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo()
        try s.ok(["git", "init", "-q", "--bare", s.root + "/server.git"])
        try s.ok(["git", "remote", "add", "origin", s.root + "/server.git"], in: repo)
        let add = try s.ok(["git", "mlops", "remote", "add", "storage", s.root + "/data-remote"], in: repo)
        #expect(add.stdout == """
            added remote storage (\(s.root)/data-remote), the default
            hint: commit .gitmlops so that clones see the remote (`git add .gitmlops && git commit`)

            """)
        #expect(try s.ok(["git", "mlops", "remote", "add", "mine", "/elsewhere", "--local"], in: repo).stdout == "added remote mine (/elsewhere)\n")
        try s.write(repo + "/data.bin", randomBytes(5000, seed: 1))
        let added = try s.ok(["git", "mlops", "add", "data.bin"], in: repo)
        #expect(added.stdout == "added data.bin (4.9 KiB)\n4.9 KiB new in the cache\nhint: git add data.bin.mlops .gitignore && git commit\n")
        try s.ok(["git", "add", "-A"], in: repo)
        try s.ok(["git", "commit", "-qm", "data"], in: repo)
        try s.ok(["git", "push", "-q", "-u", "origin", "main"], in: repo)
        let head = String(try s.rev(repo).prefix(10))

        try s.ok(["git", "clone", "-q", s.root + "/server.git", s.root + "/clone"])
        let clone = s.root + "/clone"
        #expect(try s.ok(["git", "mlops", "status"], in: clone).stdout == """
            missing from cache:      data.bin
            missing from workspace:  data.bin
            hint: `git mlops pull` fetches missing data and checks it out

            """)
        // The data was never pushed: the hint names the push that sends it.
        let pull = try s.run(["git", "mlops", "pull"], in: clone)
        #expect(pull.status == 1)
        let id = ObjectID.hashing(try s.read(repo + "/data.bin")).hex
        #expect(pull.stderr == "error: 1 object is not on remote 'storage' (e.g. \(id)); not checked out: data.bin; 0 files written, 0 unchanged; "
                + "push them from a clone that has them (`git mlops push --rev \(head)` or `--all-commits` there; a plain push sends only HEAD and the workspace), then pull again\n")
        // Following it works.
        try s.ok(["git", "mlops", "push", "--rev", head], in: repo)
        #expect(try s.ok(["git", "mlops", "pull"], in: clone).stdout.hasSuffix("\n1 file written (4.9 KiB), 0 removed, 0 unchanged\n"))
        #expect(try s.read(clone + "/data.bin") == s.read(repo + "/data.bin"))
        // Missing from the workspace only: checkout restores it.
        try FS.remove(clone + "/data.bin")
        #expect(try s.ok(["git", "mlops", "status"], in: clone).stdout == "missing from workspace:  data.bin\nhint: `git mlops checkout` restores the workspace\n")
    }

    @Test func removeStopsTrackingAndKeepsOrDeletesTheData() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo()
        try FS.mkdirs(repo + "/data")
        try s.write(repo + "/data/a.bin", randomBytes(3000, seed: 2))
        try s.write(repo + "/data/b.bin", randomBytes(3000, seed: 3))
        try s.write(repo + "/data/.gitignore", "*.tmp\n")
        try s.ok(["git", "mlops", "add", "data/a.bin", "data/b.bin"], in: repo)
        try s.ok(["git", "add", "-A"], in: repo)
        try s.ok(["git", "commit", "-qm", "data"], in: repo)

        var r = try s.ok(["git", "mlops", "remove", "data/a.bin.mlops"], in: repo)
        #expect(r.stdout == "stopped tracking data/a.bin\nhint: git add data/a.bin.mlops data/.gitignore && git commit\n")
        #expect(!FS.exists(repo + "/data/a.bin.mlops") && FS.exists(repo + "/data/a.bin"))
        #expect(try String(decoding: s.read(repo + "/data/.gitignore"), as: UTF8.self) == "*.tmp\n/b.bin\n")
        #expect(try s.ok(["git", "status", "--porcelain"], in: repo).stdout == " M data/.gitignore\n D data/a.bin.mlops\n?? data/a.bin\n")

        // Deleting data the cache does not hold is refused, and changes nothing.
        try s.write(repo + "/data/b.bin", "edited\n")
        r = try s.run(["git", "mlops", "remove", "--delete", "data/b.bin"], in: repo)
        #expect(r.status == 1)
        #expect(r.stderr == "error: data/b.bin holds data that the cache does not (edited since `git mlops add`, or never fetched); `git mlops add data/b.bin` saves it first; `--force` deletes it anyway\n")
        #expect(FS.exists(repo + "/data/b.bin.mlops") && FS.exists(repo + "/data/b.bin"))
        r = try s.ok(["git", "mlops", "remove", "--delete", "--force", "--json", "data/b.bin"], in: repo)
        #expect(try JSON.parse(r.stdout) == [["path": "data/b.bin", "pointer": "data/b.bin.mlops", "gitignore": "data/.gitignore", "data_deleted": true]])
        #expect(!FS.exists(repo + "/data/b.bin") && !FS.exists(repo + "/data/b.bin.mlops"))
        #expect(try String(decoding: s.read(repo + "/data/.gitignore"), as: UTF8.self) == "*.tmp\n")

        // Not tracked: one line, exit 1; a usage mistake: 129.
        r = try s.run(["git", "mlops", "remove", "data/a.bin"], in: repo)
        #expect(r.status == 1 && r.stderr == "error: data/a.bin is not tracked by git-mlops; `git mlops status` lists tracked paths\n")
        r = try s.run(["git", "mlops", "remove", "--force", "data/a.bin"], in: repo)
        #expect(r.status == 129 && r.stderr.hasPrefix("error: --force applies to --delete only\n"))
        // A .gitignore that held only the path goes with it.
        try s.write(repo + "/solo.bin", "x")
        try s.ok(["git", "mlops", "add", "solo.bin"], in: repo)
        #expect(try String(decoding: s.read(repo + "/.gitignore"), as: UTF8.self) == "/solo.bin\n")
        try s.ok(["git", "mlops", "remove", "solo.bin"], in: repo)
        #expect(!FS.exists(repo + "/.gitignore"))
    }
}
