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

    // MARK: Item 4: indexes

    /// The remote's one index, edited by `edit`, with its checksum made right again (so that only the
    /// edited field is wrong).
    func forge(_ good: [UInt8], _ edit: (inout [UInt8]) -> Void) -> [UInt8] {
        var b = good
        edit(&b)
        b.replaceSubrange((b.count - 32)..., with: ObjectID.hashing(Array(b[..<(b.count - 32)])).bytes)
        return b
    }

    func put(_ b: inout [UInt8], at offset: Int, _ value: UInt64, bytes: Int) {
        for i in 0..<bytes { b[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
    }

    @Test func aHostileIndexIsRefusedBeforeItIsStoredAndCrashesNothing() throws {
        let s = try Sandbox()
        let (repo, remote) = try pushedRepo(s)
        let idx = try #require(packFiles(remote).first { $0.hasSuffix(".idx") })
        let good = try s.read(remote + "/packs/" + idx)
        let packSize = good[16..<24].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let count = good[12..<16].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let row0 = 24 + 1024
        let cases: [(String, [UInt8], String)] = [
            ("pack size 2^64-1", forge(good) { put(&$0, at: 16, .max, bytes: 8) }, "pack size 18446744073709551615 is impossible"),
            ("offset above Int64.max", forge(good) { put(&$0, at: row0 + 32, 1 << 63, bytes: 8) }, "row 0: offset 9223372036854775808 is outside the pack"),
            ("record past the end", forge(good) { put(&$0, at: row0 + 32, packSize - 10, bytes: 8) }, "ends past the pack's \(packSize) bytes"),
            ("overlapping records", forge(good) { put(&$0, at: row0 + 52 + 32, 16, bytes: 8); put(&$0, at: row0 + 32, 16, bytes: 8) }, "overlap"),
            ("a row count far past the file", forge(good) { put(&$0, at: 12, UInt64(UInt32.max), bytes: 4) }, "does not match its 4294967295 rows"),
            ("a fan-out past the rows", forge(good) { put(&$0, at: 24 + 255 * 4, count + 1000, bytes: 4) }, "fan-out ends at"),
            ("an unknown kind", forge(good) { $0[row0 + 48] = 99 }, "row 0: unknown object kind or codec"),
            ("a newer version", forge(good) { put(&$0, at: 8, 2, bytes: 4) }, "was made by a newer git-mlops (index version 2); upgrade git-mlops to read it"),
        ]
        #expect(count >= 2, "the overlap case needs two rows")
        for (i, (what, bytes, says)) in cases.enumerated() {
            try s.write(remote + "/packs/" + idx, bytes)
            let clone = s.root + "/clone\(i)"
            try s.ok(["git", "clone", "-q", repo, clone])
            let r = try s.run(["git", "mlops", "pull"], in: clone)
            #expect(r.status == 1, "\(what): a clear failure, not a crash: \(r)")
            #expect(r.stderr.hasPrefix("error: \(remote)/packs/\(idx)"), "\(what): \(r.stderr)")
            #expect(r.stderr.contains(says), "\(what): \(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(what): \(r.stderr)")
            let cached = (try? FS.listDirectory(clone + "/.git/mlops/remotes/storage").map(\.name)) ?? []
            #expect(cached.isEmpty, "\(what): the bad index was not stored: \(cached)")
            #expect(!FS.exists(clone + "/model.bin"))
        }

        // A cache poisoned before this check existed is checked again and replaced.
        try s.write(remote + "/packs/" + idx, good)
        let clone = s.root + "/clone-poisoned"
        try s.ok(["git", "clone", "-q", repo, clone])
        try s.write(clone + "/.git/mlops/remotes/storage/" + idx, cases[0].1)
        try s.ok(["git", "mlops", "pull"], in: clone)
        #expect(try s.read(clone + "/model.bin") == s.read(repo + "/model.bin"))
        #expect(try s.read(clone + "/.git/mlops/remotes/storage/" + idx) == good)
    }

    // MARK: Item 6: pack names

    @Test func packsWithNamesGitMlopsDoesNotMakeAreIgnored() throws {
        let s = try Sandbox()
        let (repo, remote) = try pushedRepo(s)
        let real = try packFiles(remote)
        let name = String(try #require(real.first { $0.hasSuffix(".pack") }).dropLast(5))
        for ext in ["pack", "idx"] { try s.write(remote + "/packs/evil-name.\(ext)", try s.read(remote + "/packs/\(name).\(ext)")) }
        for ext in ["pack", "idx"] { try FS.remove(remote + "/packs/\(name).\(ext)") }

        // Only a pack with a foreign name: its objects are not there, and nothing is adopted.
        let clone = s.root + "/clone"
        try s.ok(["git", "clone", "-q", repo, clone])
        let r = try s.fails(["git", "mlops", "pull"], in: clone)
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.filter { $0 == "warning: \(remote): ignoring \"packs/evil-name.idx\": git-mlops names packs with 32 hex digits" }.count == 1, "\(r.stderr)")
        #expect(lines.filter { $0 == "warning: \(remote): ignoring \"packs/evil-name.pack\": git-mlops names packs with 32 hex digits" }.count == 1, "\(r.stderr)")
        #expect(lines.last?.hasPrefix("error: ") == true && lines.last?.contains("objects are not on remote 'storage'") == true, "\(r.stderr)")
        #expect(try FS.listDirectory(clone + "/.git/mlops/packs").allSatisfy { !$0.name.contains("evil") })

        // Beside the real pack it changes nothing: the pull works, and gc neither adopts nor deletes it.
        for ext in ["pack", "idx"] { try s.write(remote + "/packs/\(name).\(ext)", try s.read(remote + "/packs/evil-name.\(ext)")) }
        try s.ok(["git", "mlops", "pull"], in: clone)
        #expect(try s.read(clone + "/model.bin") == s.read(repo + "/model.bin"))
        #expect(try s.ok(["git", "mlops", "fsck"], in: clone).stdout.hasPrefix("ok: "))
        #expect(try FS.listDirectory(clone + "/.git/mlops/packs").allSatisfy { !$0.name.contains("evil") })
        try s.ok(["git", "mlops", "gc", "--remote", "storage", "--grace", "0"], in: clone)
        #expect(try packFiles(remote).filter { $0.hasPrefix("evil-name.") } == ["evil-name.idx", "evil-name.pack"])
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

    @Test func thePrePushHookPassesCommitsWithoutDataWhenThereIsNoDataRemote() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo()
        try s.ok(["git", "mlops", "hooks", "install"], in: repo)
        try s.ok(["git", "init", "-q", "--bare", s.root + "/server.git"])
        try s.ok(["git", "remote", "add", "origin", s.root + "/server.git"], in: repo)
        try s.write(repo + "/README", "code only\n")
        try s.ok(["git", "add", "README"], in: repo)
        try s.ok(["git", "commit", "-qm", "code"], in: repo)
        try s.ok(["git", "push", "-q", "origin", "main"], in: repo)

        try s.write(repo + "/data.csv", "a,b\n1,2\n")
        try s.ok(["git", "mlops", "add", "data.csv"], in: repo)
        try s.ok(["git", "add", "-A"], in: repo)
        try s.ok(["git", "commit", "-qm", "data"], in: repo)
        let r = try s.fails(["git", "push", "-q", "origin", "main"], in: repo)
        #expect(r.stderr.contains("no data remote is configured"), "\(r.stderr)")
        let remoteHead = try s.ok(["git", "rev-parse", "main"], in: s.root + "/server.git").stdout
        let first = try s.ok(["git", "rev-parse", "main~1"], in: repo).stdout
        #expect(remoteHead == first, "nothing was pushed")
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
