import Foundation
import MLOpsBasics
import Testing

@Suite struct RemoteE2ETests {
    /// A repository with a model file and a directory of images committed and pushed to a directory remote.
    func pushedRepo(_ s: Sandbox, remoteURL: String? = nil) throws -> (repo: String, remote: String) {
        let repo = try s.makeRepo("origin-work")
        let remote = remoteURL ?? s.root + "/data-remote"
        try s.write(repo + "/model.bin", randomBytes(2_500_000, seed: 1))
        for i in 0..<40 { try s.write(repo + "/images/c\(i % 4)/\(i).png", randomBytes(2000 + i, seed: UInt64(50 + i))) }
        try s.ok(["git", "mlops", "remote", "add", "storage", remote, "--default"], in: repo)
        try s.ok(["git", "mlops", "add", "model.bin", "images"], in: repo)
        try s.ok(["git", "add", "-A"], in: repo)
        try s.ok(["git", "commit", "-qm", "data v1"], in: repo)
        return (repo, remote)
    }

    @Test func cloneAndPullIsByteIdenticalAndRunRecordsTravel() throws {
        let s = try Sandbox()
        let (repo, remote) = try pushedRepo(s)
        // A bare git remote, like a server.
        try s.ok(["git", "init", "-q", "--bare", s.root + "/server.git"])
        try s.ok(["git", "remote", "add", "origin", s.root + "/server.git"], in: repo)
        try s.ok(["git", "push", "-q", "-u", "origin", "main"], in: repo)
        let modelID = ObjectID.hashing(try s.read(repo + "/model.bin")).hex
        try s.ok(["git", "notes", "--ref=mlops", "add", "-m", "{\"outputs\":{\"model.bin\":\"sha256:\(modelID)\"},\"stage\":\"train\"}", "HEAD"], in: repo)

        let push = try s.ok(["git", "mlops", "push", "--json"], in: repo).stdout
        let pj = try JSON.parse(push)
        #expect(pj["objects"]?.int ?? 0 > 40)
        #expect(pj["notes"]?.string == "run records pushed to origin")
        let layout = try FS.listDirectory(remote + "/packs").map(\.name).sorted()
        #expect(layout.count == 2 && layout[0].hasSuffix(".idx") && layout[1].hasSuffix(".pack"), "one pack and its index: \(layout)")
        #expect(try s.read(remote + "/mlops-remote") == Array("git-mlops remote 1\n".utf8))

        try s.ok(["git", "clone", "-q", s.root + "/server.git", s.root + "/clone"])
        let clone = s.root + "/clone"
        let status = try s.ok(["git", "mlops", "status"], in: clone).stdout
        #expect(status.contains("missing from cache:      images") && status.contains("missing from workspace:  model.bin"))
        try s.ok(["git", "mlops", "pull"], in: clone)
        #expect(try s.fingerprint(clone, skipping: [".git"]) == s.fingerprint(repo, skipping: [".git"]))
        #expect(try s.ok(["git", "mlops", "status"], in: clone).stdout == "")
        let notes = try s.ok(["git", "log", "-1", "--notes=mlops", "--format=%N"], in: clone).stdout
        #expect(notes.contains("\"stage\":\"train\""), "run records arrive with git mlops pull: \(notes)")
        #expect(try s.ok(["git", "mlops", "fsck"], in: clone).stdout.hasPrefix("ok: "))
    }

    @Test func aPartialPullFetchesOnlyWhatThePathsNeed() throws {
        let s = try Sandbox()
        let (repo, _) = try pushedRepo(s)
        try s.ok(["git", "mlops", "push"], in: repo)
        try s.ok(["git", "clone", "-q", repo, s.root + "/clone"])
        let clone = s.root + "/clone"
        try s.ok(["git", "mlops", "pull", "images"], in: clone)
        #expect(try s.fingerprint(clone + "/images") == s.fingerprint(repo + "/images"))
        #expect(!FS.exists(clone + "/model.bin"))
        let status = try s.ok(["git", "mlops", "status"], in: clone).stdout
        #expect(status == """
            missing from cache:      model.bin
            missing from workspace:  model.bin
            hint: `git mlops pull` fetches missing data and checks it out

            """)
    }

    @Test func onlyNewChunksAreSentForASmallEdit() throws {
        let s = try Sandbox()
        let (repo, _) = try pushedRepo(s)
        let first = try JSON.parse(try s.ok(["git", "mlops", "push", "--json"], in: repo).stdout)
        var model = try s.read(repo + "/model.bin")
        model.insert(contentsOf: randomBytes(100, seed: 7), at: 1_200_000)
        try s.write(repo + "/model.bin", model)
        try s.ok(["git", "mlops", "add", "model.bin"], in: repo)
        try s.ok(["git", "commit", "-qam", "v2"], in: repo)
        let second = try JSON.parse(try s.ok(["git", "mlops", "push", "--json"], in: repo).stdout)
        let b1 = (first["bytes"]?.int ?? -1), b2 = (second["bytes"]?.int ?? -1)
        #expect(b2 * 20 < b1, "v2 sent \(b2) bytes after v1's \(b1)")
        #expect((second["already_there"]?.int ?? -1) > 0)
    }

    @Test func prePushHookUploadsDataFirstAndChainsTheExistingHook() throws {
        let s = try Sandbox()
        let (repo, remote) = try pushedRepo(s)
        try s.ok(["git", "init", "-q", "--bare", s.root + "/server.git"])
        try s.ok(["git", "remote", "add", "origin", s.root + "/server.git"], in: repo)
        let hook = repo + "/.git/hooks/pre-push"
        try s.write(hook, "#!/bin/sh\nwhile read l; do echo \"existing hook saw: $l\" >> \"$(dirname \"$0\")/../chained.log\"; done\n")
        chmod(hook, 0o755)
        let install = try s.ok(["git", "mlops", "hooks", "install"], in: repo).stdout
        #expect(install == "pre-commit: installed\npre-push: installed (runs the existing hook after it)\npost-commit: installed\npost-checkout: installed\n")
        #expect(try s.ok(["git", "mlops", "hooks", "install"], in: repo).stdout == "pre-commit: unchanged\npre-push: unchanged\npost-commit: unchanged\npost-checkout: unchanged\n")
        #expect(FS.exists(hook + ".mlops-chained"))

        try s.ok(["git", "push", "-q", "origin", "main"], in: repo)
        #expect(FS.isDirectory(remote + "/packs"), "the hook uploaded the data")
        try s.ok(["git", "clone", "-q", s.root + "/server.git", s.root + "/clone"])
        try s.ok(["git", "mlops", "remote", "add", "storage", remote, "--default"], in: s.root + "/clone")
        try s.ok(["git", "mlops", "pull"], in: s.root + "/clone")
        #expect(try s.read(s.root + "/clone/model.bin") == s.read(repo + "/model.bin"))
        let log = try String(decoding: s.read(repo + "/.git/chained.log"), as: UTF8.self)
        #expect(log.hasPrefix("existing hook saw: refs/heads/main "), "the chained hook ran with git's input: \(log)")

        // A data remote that cannot take the data stops the push before git sends anything.
        try s.write(repo + "/extra.csv", "a,b\n1,2\n")
        try s.ok(["git", "mlops", "add", "extra.csv"], in: repo)
        try s.ok(["git", "add", "-A"], in: repo)
        try s.ok(["git", "commit", "-qm", "more"], in: repo)
        try s.write(s.root + "/not-a-dir", "x")
        try s.ok(["git", "mlops", "remote", "add", "storage", s.root + "/not-a-dir", "--default"], in: repo)
        let refused = try s.fails(["git", "push", "-q", "origin", "main"], in: repo)
        #expect(refused.stderr.contains("error: pre-push: the data of the commits being pushed could not be uploaded, so nothing was pushed"))
        let serverHead = try s.ok(["git", "rev-parse", "main"], in: s.root + "/server.git").stdout
        let localParent = try s.ok(["git", "rev-parse", "HEAD~1"], in: repo).stdout
        #expect(serverHead == localParent, "git sent nothing")

        let un = try s.ok(["git", "mlops", "hooks", "uninstall"], in: repo).stdout
        #expect(un == "pre-commit: removed\npre-push: restored\npost-commit: removed\npost-checkout: removed\n")
        #expect(try String(decoding: s.read(hook), as: UTF8.self).contains("existing hook saw"))
    }

    @Test func remoteGCKeepsWhatRefsNeed() throws {
        let s = try Sandbox()
        let (repo, remote) = try pushedRepo(s)
        try s.ok(["git", "mlops", "push"], in: repo)
        // Drop the images from history: a new root commit without them, the old branch deleted.
        try s.ok(["git", "rm", "-q", "images.mlops"], in: repo)
        try s.ok(["git", "commit", "-qm", "no images"], in: repo)
        try s.ok(["git", "checkout", "-q", "--orphan", "fresh"], in: repo)
        try s.ok(["git", "commit", "-qm", "fresh start"], in: repo)
        try s.ok(["git", "branch", "-D", "main"], in: repo)
        let dry = try JSON.parse(try s.ok(["git", "mlops", "gc", "--remote", "storage", "--grace", "0", "--dry-run", "--json"], in: repo).stdout)
        #expect((dry["objects_retired"]?.int ?? -1) > 40)
        let young = try JSON.parse(try s.ok(["git", "mlops", "gc", "--remote", "storage", "--json"], in: repo).stdout)
        #expect((young["objects_retired"]?.int ?? -1) == 0, "the default grace period protects fresh packs")
        try s.ok(["git", "mlops", "gc", "--remote", "storage", "--grace", "0"], in: repo)
        try s.ok(["git", "mlops", "gc", "--remote", "storage", "--grace", "0"], in: repo)
        let left = try FS.listDirectory(remote + "/packs").map(\.name)
        #expect(left.filter { $0.hasSuffix(".pack") }.count == 1, "what model.bin needs is kept: \(left)")
        try s.ok(["git", "checkout", "-q", "HEAD"], in: repo)
        try FS.remove(repo + "/model.bin")
        try s.ok(["git", "mlops", "gc"], in: repo)
        try s.ok(["git", "mlops", "pull"], in: repo)
        #expect(FS.exists(repo + "/model.bin"))
    }
}
