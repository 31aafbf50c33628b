import Foundation
import MLOpsBasics
import Testing

@Suite struct StoreE2ETests {
    @Test func helpAndVersionBehaveLikeAGitSubcommand() throws {
        let s = try Sandbox()
        let help = try s.ok(["git", "mlops", "-h"])
        #expect(help.stdout.contains("USAGE: git mlops [--version] <subcommand>"))
        #expect(help.stdout.contains("checkout"))
        let usage = try s.run(["git", "mlops", "diff", "a", "b", "c"])
        #expect(usage.status == 129, "usage errors exit 129 like git: \(usage)")
        let outside = try s.run(["git", "mlops", "status"])
        #expect(outside.status == 128, "outside a repository is fatal: \(outside)")
        #expect(outside.stderr.hasPrefix("error: not a git repository"))
    }

    @Test func addCommitDeleteCheckoutAndSwitchVersions() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo()
        let v1 = randomBytes(3_000_000, seed: 1)
        try s.write(repo + "/data/model.bin", v1)
        for i in 0..<30 { try s.write(repo + "/data/images/c\(i % 3)/\(i).png", randomBytes(3000 + i, seed: UInt64(100 + i))) }
        try s.ok(["git", "mlops", "add", "data/model.bin", "data/images"], in: repo)

        let pointer = try String(decoding: s.read(repo + "/data/model.bin.mlops"), as: UTF8.self)
        #expect(pointer == """
            version https://git-mlops.dev/spec/pointer/v1
            oid sha256:\(ObjectID.hashing(v1).hex)
            size 3000000
            type file

            """)
        #expect(pointer.utf8.count < 200)
        #expect(try String(decoding: s.read(repo + "/data/.gitignore"), as: UTF8.self) == "/model.bin\n/images\n")
        let gitStatus = try s.ok(["git", "status", "--porcelain", "--untracked-files=all"], in: repo).stdout
        #expect(!gitStatus.contains("model.bin\n") && !gitStatus.contains("images/"), "git must ignore tracked data: \(gitStatus)")
        try s.ok(["git", "add", "data"], in: repo)
        try s.ok(["git", "commit", "-qm", "v1"], in: repo)
        #expect(try s.ok(["git", "mlops", "status"], in: repo).stdout == "")
        let v1Print = try s.fingerprint(repo + "/data")

        // v2: edit the model, drop and add images.
        var v2 = v1
        v2.replaceSubrange(1_000_000..<1_000_100, with: randomBytes(100, seed: 9))
        try s.write(repo + "/data/model.bin", v2)
        try FS.remove(repo + "/data/images/c0/0.png")
        try s.write(repo + "/data/images/c1/new.png", randomBytes(777, seed: 10))
        let st = try s.ok(["git", "mlops", "status", "--json"], in: repo).stdout
        let parsed = try JSON.parse(st)
        #expect(parsed.array?.count == 2)
        #expect(parsed.array?.first?["path"]?.string == "data/images")
        #expect(parsed.array?.first?["added"]?.int == 1 && parsed.array?.first?["removed"]?.int == 1)
        try s.ok(["git", "mlops", "add", "data/model.bin", "data/images"], in: repo)
        try s.ok(["git", "commit", "-qam", "v2"], in: repo)
        let v2Print = try s.fingerprint(repo + "/data")

        let diff = try s.ok(["git", "mlops", "diff", "HEAD~1", "HEAD"], in: repo).stdout
        #expect(diff == """
            removed:  data/images/c0/0.png (2.9 KiB)
            added:    data/images/c1/new.png (777 B)
            modified: data/model.bin (2.9 MiB -> 2.9 MiB)

            """)

        // Switch back to v1 and forth again.
        try s.ok(["git", "checkout", "-q", "HEAD~1"], in: repo)
        try s.ok(["git", "mlops", "checkout"], in: repo)
        #expect(try s.fingerprint(repo + "/data") == v1Print)
        #expect(try s.ok(["git", "mlops", "status"], in: repo).stdout == "")
        try s.ok(["git", "checkout", "-q", "main"], in: repo)
        try s.ok(["git", "mlops", "checkout"], in: repo)
        #expect(try s.fingerprint(repo + "/data") == v2Print)

        // Delete the data: status says so, checkout restores it.
        try FS.removeTree(repo + "/data/images")
        try FS.remove(repo + "/data/model.bin")
        let missing = try s.ok(["git", "mlops", "status"], in: repo).stdout
        #expect(missing.contains("missing from workspace:  data/images") && missing.contains("data/model.bin"))
        try s.ok(["git", "mlops", "checkout"], in: repo)
        #expect(try s.fingerprint(repo + "/data") == v2Print)
        #expect(try s.ok(["git", "mlops", "fsck"], in: repo).stdout.hasPrefix("ok: "))
    }

    @Test func thePostCheckoutHookSwitchesDataWithBranches() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo()
        try s.ok(["git", "mlops", "hooks", "install", "post-checkout"], in: repo)
        try s.write(repo + "/d.csv", "v1\n")
        try s.ok(["git", "mlops", "add", "d.csv"], in: repo)
        try s.ok(["git", "add", "-A"], in: repo)
        try s.ok(["git", "commit", "-qm", "v1"], in: repo)
        try s.ok(["git", "checkout", "-qb", "next"], in: repo)
        try s.write(repo + "/d.csv", "v2\n")
        try s.ok(["git", "mlops", "add", "d.csv"], in: repo)
        try s.ok(["git", "commit", "-qam", "v2"], in: repo)
        let back = try s.ok(["git", "checkout", "-q", "main"], in: repo)
        #expect(try s.read(repo + "/d.csv") == Array("v1\n".utf8))
        #expect(back.stderr == "git-mlops: 1 file written (3 B), 0 removed\n")
        try s.write(repo + "/d.csv", "unsaved\n")
        let kept = try s.ok(["git", "checkout", "-q", "next"], in: repo)
        #expect(kept.stderr.hasPrefix("warning: git-mlops could not update the data: checkout would overwrite unsaved changes in d.csv"))
        #expect(try s.read(repo + "/d.csv") == Array("unsaved\n".utf8), "the hook never discards unsaved work")
    }

    @Test func checkoutRefusesToDiscardUnsavedWorkUnlessForced() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo()
        try s.write(repo + "/d.csv", "a,b\n1,2\n")
        try s.ok(["git", "mlops", "add", "d.csv"], in: repo)
        try s.ok(["git", "add", "-A"], in: repo)
        try s.ok(["git", "commit", "-qm", "v1"], in: repo)
        try s.write(repo + "/d.csv", "a,b\n1,2\n3,4\n")
        let r = try s.fails(["git", "mlops", "checkout"], in: repo)
        #expect(r.stderr == "error: checkout would overwrite unsaved changes in d.csv; save them with `git mlops add`, or run `git mlops checkout --force` to discard them\n")
        #expect(try s.read(repo + "/d.csv") == Array("a,b\n1,2\n3,4\n".utf8), "a refused checkout changes nothing")
        try s.ok(["git", "mlops", "checkout", "--force"], in: repo)
        #expect(try s.read(repo + "/d.csv") == Array("a,b\n1,2\n".utf8))
    }

    @Test func badInputGetsOneClearLineAndChangesNothing() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo()
        try s.write(repo + "/ok.txt", "fine\n")
        try s.ok(["git", "mlops", "add", "ok.txt"], in: repo)

        // A malformed pointer.
        try s.write(repo + "/bad.bin.mlops", "version https://git-mlops.dev/spec/pointer/v1\noid sha256:zz\nsize 3\ntype file\n")
        for cmd in [["status"], ["checkout"], ["diff"]] {
            let r = try s.fails(["git", "mlops"] + cmd, in: repo)
            #expect(r.stderr.split(separator: "\n").count == 1, "one line: \(r.stderr)")
            #expect(r.stderr.hasPrefix("error: bad.bin.mlops: not a valid git-mlops pointer (missing or bad `oid sha256:<hex>`)"))
        }
        #expect(!FS.exists(repo + "/bad.bin"))
        try FS.remove(repo + "/bad.bin.mlops")

        // A malformed config.
        let cfg = try s.read(repo + "/.gitmlops")
        try s.write(repo + "/.gitmlops", "[core\nversion = 1\n")
        let r = try s.fails(["git", "mlops", "status"], in: repo)
        #expect(r.stderr.hasPrefix("error: \(FS.realpath(repo)!)/.gitmlops: cannot be read as git config"))
        #expect(r.stderr.split(separator: "\n").count == 1)
        try s.write(repo + "/.gitmlops", cfg)

        // Paths that escape the repository.
        try s.write(s.root + "/outside.txt", "x")
        #expect(try s.fails(["git", "mlops", "add", "../outside.txt"], in: repo).stderr.contains("is outside the repository"))
        try FS.mkdirs(s.root + "/elsewhere")
        try s.write(s.root + "/elsewhere/f", "x")
        symlink(s.root + "/elsewhere", repo + "/link")
        #expect(try s.fails(["git", "mlops", "add", "link/f"], in: repo).stderr.contains("is outside the repository"))
        #expect(try s.fails(["git", "mlops", "add", "link"], in: repo).stderr.contains("is a symlink"))
        try FS.remove(repo + "/link")

        // A pointer whose path goes through a symlink to outside is never written through.
        try s.write(repo + "/sub/data.txt", "secret\n")
        try s.ok(["git", "mlops", "add", "sub/data.txt"], in: repo)
        try FS.remove(repo + "/sub/data.txt")
        try FS.rename(repo + "/sub", repo + "/sub-real")
        symlink(s.root + "/elsewhere", repo + "/sub")
        try s.write(repo + "/sub-real/data.txt.mlops", try s.read(repo + "/sub-real/data.txt.mlops"))
        try s.write(s.root + "/elsewhere/data.txt.mlops", try s.read(repo + "/sub-real/data.txt.mlops"))
        let through = try s.run(["git", "mlops", "checkout"], in: repo)
        #expect(!FS.exists(s.root + "/elsewhere/data.txt"), "nothing written outside the repository: \(through)")
    }
}
