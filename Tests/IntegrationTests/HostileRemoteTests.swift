import Foundation
import MLOpsBasics
import Testing

/// Issue 9, the remote half: a repository or a remote built by an attacker, then cloned and pulled
/// by a user. Each test builds the attack with real git and the built binary, shows that it has no
/// effect, and checks the one error line that names the file and the reason.
@Suite struct HostileRemoteTests {
    /// A repository with data pushed to a directory remote named `storage`: the attacker's starting point.
    func pushedRepo(_ s: Sandbox) throws -> (repo: String, remote: String) {
        let repo = try s.makeRepo("attacker")
        let remote = s.root + "/data-remote"
        try s.write(repo + "/model.bin", randomBytes(1_500_000, seed: 11))
        try s.ok(["git", "mlops", "remote", "add", "storage", remote, "--default"], in: repo)
        try s.ok(["git", "mlops", "add", "model.bin"], in: repo)
        try s.ok(["git", "add", "-A"], in: repo)
        try s.ok(["git", "commit", "-qm", "data"], in: repo)
        try s.ok(["git", "mlops", "push"], in: repo)
        return (repo, remote)
    }

    func commitSettings(_ s: Sandbox, _ repo: String, _ settings: [(String, String)]) throws {
        for (key, value) in settings { try s.ok(["git", "config", "-f", ".gitmlops", key, value], in: repo) }
        try s.ok(["git", "commit", "-qam", "settings"], in: repo)
    }

    func packFiles(_ remote: String) throws -> [String] {
        try FS.listDirectory(remote + "/packs").map(\.name).filter { !$0.hasPrefix(".") }.sorted()
    }

    // MARK: Item 7: redirects

    @Test func aRedirectToAnotherHostGetsNoCredentials() throws {
        let s = try Sandbox()
        let server = try HTTPTestServer(mode: "redirect-away", directory: s.root)
        defer { server.stop() }
        let repo = try s.makeRepo()
        try s.ok(["git", "mlops", "remote", "add", "s3", "s3://bucket/p", "--endpoint", server.url, "--default"], in: repo)
        let r = try s.run(["git", "mlops", "push"], in: repo, env: ["AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "token"])
        #expect(r.status == 1)
        #expect(r.stderr == "error: s3://bucket: \(server.url) redirected the request to http://127.0.0.1:\(server.otherPort), another host; credentials are only sent to the endpoint they were signed for: if that host is the right one, make it the remote's endpoint\n")
        #expect(server.requests.filter { $0.port == server.otherPort }.isEmpty, "\(server.requests)")
        #expect(server.requests.count == 1, "refused, not retried: \(server.requests)")
    }

    // MARK: Item 10: directory remotes' leftovers, pre-push without a remote

    @Test func gcRemovesTemporaryFilesThatKilledPushesLeftOnADirectoryRemote() throws {
        let s = try Sandbox()
        let (repo, remote) = try pushedRepo(s)
        try s.write(remote + "/packs/.tmp-0123456789abcdef0123456789abcdef.pack-42", randomBytes(1000, seed: 1))
        try s.write(remote + "/packs/.tmp-fedcba9876543210fedcba9876543210.pack-43", randomBytes(1000, seed: 2))
        try s.ok(["touch", "-d", "2 hours ago", remote + "/packs/.tmp-0123456789abcdef0123456789abcdef.pack-42"])
        let r = try JSON.parse(try s.ok(["git", "mlops", "gc", "--remote", "storage", "--json"], in: repo).stdout)
        #expect(r["orphans_deleted"]?.int == 1)
        #expect(!FS.exists(remote + "/packs/.tmp-0123456789abcdef0123456789abcdef.pack-42"))
        #expect(FS.exists(remote + "/packs/.tmp-fedcba9876543210fedcba9876543210.pack-43"), "younger than the grace period: may be a push still running")
    }

}

/// Item 8 and item 10a against the real S3 server.
@Suite(.enabled(if: S3Server.enabled, "needs GIT_MLOPS_TEST_S3_ENDPOINT: run scripts/test, which starts SeaweedFS"))
struct HostileS3Tests {
    func makeBucket(_ s: Sandbox) throws -> String { try S3E2ETests().makeBucket(s) }

    @Test func gcRemoteAbortsIncompleteUploadsOlderThanItsGracePeriod() throws {
        let s = try Sandbox()
        let bucket = try makeBucket(s)
        let repo = try s.makeRepo()
        try s.write(repo + "/weights.bin", randomBytes(300_000, seed: 8))
        try s.ok(["git", "mlops", "remote", "add", "s3", "s3://\(bucket)/p", "--endpoint", S3Server.endpoint!, "--default"], in: repo)
        try s.ok(["git", "mlops", "add", "weights.bin"], in: repo)
        try s.ok(["git", "add", "-A"], in: repo)
        try s.ok(["git", "commit", "-qm", "data"], in: repo)
        try s.ok(["git", "mlops", "push"], in: repo)
        // What a push killed in the middle of a large pack leaves, and someone else's upload beside it.
        let aws = ["aws", "--endpoint-url", S3Server.endpoint!, "s3api"]
        try s.ok(aws + ["create-multipart-upload", "--bucket", bucket, "--key", "p/packs/0123456789abcdef0123456789abcdef.pack"])
        try s.ok(aws + ["create-multipart-upload", "--bucket", bucket, "--key", "other/big.bin"])
        func uploads(_ prefix: String) throws -> Int {
            let out = try s.ok(aws + ["list-multipart-uploads", "--bucket", bucket, "--prefix", prefix, "--output", "json"]).stdout
            return (try? JSON.parse(out.isEmpty ? "{}" : out))?["Uploads"]?.array?.count ?? 0
        }
        #expect(try uploads("p/") == 1)

        let young = try JSON.parse(try s.ok(["git", "mlops", "gc", "--remote", "s3", "--json"], in: repo).stdout)
        #expect(young["orphans_deleted"]?.int == 0, "within the grace period: it may be a push still running")
        #expect(try uploads("p/") == 1)
        let dry = try JSON.parse(try s.ok(["git", "mlops", "gc", "--remote", "s3", "--grace", "0", "--dry-run", "--json"], in: repo).stdout)
        #expect(dry["orphans_deleted"]?.int == 1)
        #expect(try uploads("p/") == 1)
        let old = try JSON.parse(try s.ok(["git", "mlops", "gc", "--remote", "s3", "--grace", "0", "--json"], in: repo).stdout)
        #expect(old["orphans_deleted"]?.int == 1)
        #expect(try uploads("p/") == 0)
        #expect(try uploads("other/") == 1, "outside the remote's prefix: not ours")
        try s.ok(["git", "clone", "-q", repo, s.root + "/clone"])
        try s.ok(["git", "mlops", "pull"], in: s.root + "/clone")
        #expect(try s.fingerprint(s.root + "/clone") == s.fingerprint(repo))
    }
}
