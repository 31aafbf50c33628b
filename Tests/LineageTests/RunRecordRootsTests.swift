import Foundation
import GitBridge
@testable import Lineage
import MLOpsBasics
import TestSupport
import Testing
import Workspace

/// Lineage tells Workspace which objects its run records need: gc keeps them, push moves those of
/// the commits it pushes.
@Suite struct RunRecordRootsTests {
    static let env = ["PATH": "/usr/bin:/bin", "GIT_CONFIG_NOSYSTEM": "1", "LC_ALL": "C",
                      "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
                      "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"]

    /// A repository with one commit, and the id of a file added but never committed (so only a record names it).
    static func repo(_ tmp: TempDir) throws -> (Repo, GitOID, ObjectID) {
        let root = tmp.path + "/repo"
        var env = RunRecordRootsTests.env
        env["HOME"] = tmp.path
        for argv in [["git", "init", "-q", root], ["git", "-C", root, "commit", "-q", "--allow-empty", "-m", "init"]] {
            let r = try ProcessRunner.capture(argv, env: env)
            #expect(r.status == 0, "\(r.stderr)")
        }
        let repo = try Repo.initialize(at: root).repo
        try FS.writeAtomic(root + "/model.bin", randomBytes(200_000, seed: 9), durable: false)
        let id = try repo.add(["model.bin"], cwd: root, progress: false)[0].pointer.id
        try FS.remove(root + "/model.bin.mlops")
        return (repo, try #require(repo.git.head), id)
    }

    @Test func notesAndPendingRecordsAreRoots() throws {
        let tmp = TempDir()
        let (repo, head, noted) = try Self.repo(tmp)
        let pending = ObjectID.hashing("pending output")
        try repo.git.setNote(ref: Journal.ref, on: head, text: "{\"outputs\":[{\"oid\":\"sha256:\(noted.hex)\"}]}\n")
        try FS.mkdirs(Journal.runsDirectory(of: repo) + "/pending")
        try FS.writeAtomic(Journal.runsDirectory(of: repo) + "/pending/1-x.json", "{\"outputs\":[{\"oid\":\"sha256:\(pending.hex)\"}]}\n")
        let roots = RunRecordRoots()
        #expect(try roots.liveRoots(in: repo) == [noted, pending])
        #expect(try roots.roots(in: repo, onCommits: [head]) == [noted], "push moves what the pushed commits' notes name")

        // Through Workspace's gc: the file only a note names stays; with no provider it would go.
        let report = try repo.gc(GCOptions(), keeping: [roots])
        #expect(report.objectsRemoved == 0 && repo.store.closure(of: [noted]).missing.isEmpty)
        #expect(try repo.gc(GCOptions(dryRun: true), keeping: []).objectsRemoved > 0)
    }

    @Test func idsAreFoundWhateverFieldHoldsThem() {
        let a = ObjectID.hashing("a"), b = ObjectID.hashing("b")
        let text = "{\"x\":\"sha256:\(a.hex)\",\"nested\":{\"y\":[\"sha256:\(b.hex)\"]},\"short\":\"sha256:abc\"}"
        #expect(RunRecordRoots.objectIDs(in: text) == [a, b])
    }
}
