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

    // MARK: Item 3: remote names and settings from .gitmlops

    @Test func aRemoteNameFromGitmlopsCannotLeadOutOfTheRepository() throws {
        let s = try Sandbox()
        let (repo, remote) = try pushedRepo(s)
        let victim = s.root + "/victim"
        try s.write(victim + "/keep.idx", "not an index, and not git-mlops's to delete\n")
        let evil = "../../../../victim"
        try commitSettings(s, repo, [("remote.\(evil).url", remote), ("core.remote", evil)])
        let clone = s.root + "/clone"
        try s.ok(["git", "clone", "-q", repo, clone])
        try FS.mkdirs(clone + "/.git/mlops/remotes")
        #expect(FS.realpath(clone + "/.git/mlops/remotes/" + evil) == FS.realpath(victim), "the name would lead to the victim")

        let expected = "error: .gitmlops: remote name \"../../../../victim\" is not valid; rename the remote in .gitmlops (its section and `core.remote`): use letters, digits, '.', '_' and '-', starting with a letter or digit\n"
        for command in [["pull"], ["fetch"], ["push"], ["gc", "--remote", evil], ["remote", "list"]] {
            let r = try s.fails(["git", "mlops"] + command, in: clone)
            #expect(r.status == 1)
            #expect(r.stderr == expected, "\(command): \(r.stderr)")
        }
        #expect(try FS.listDirectory(victim).map(\.name) == ["keep.idx"])
        #expect(try s.read(victim + "/keep.idx") == Array("not an index, and not git-mlops's to delete\n".utf8))
        #expect(!FS.exists(clone + "/model.bin"))
    }

    @Test func s3SettingsFromGitmlopsAreCheckedBeforeAnyRequest() throws {
        let s = try Sandbox()
        let server = try HTTPTestServer(mode: "record", directory: s.root)
        defer { server.stop() }
        let cases: [(key: String, value: String, says: String)] = [
            ("url", "s3://Evil_Bucket.example.com/p", "bucket name 'Evil_Bucket.example.com' may only contain a-z, 0-9, '.' and '-'"),
            ("region", "eu-west-1.evil.example/x", "region 'eu-west-1.evil.example/x' is not a region name"),
            ("endpoint", "http://s3.amazonaws.com@127.0.0.1:\(server.port)", "is not a usable S3 endpoint"),
            ("endpoint", "ftp://127.0.0.1:\(server.port)", "is not a usable S3 endpoint"),
        ]
        for (i, c) in cases.enumerated() {
            let repo = try s.makeRepo("r\(i)")
            var settings = [("remote.s3.url", "s3://good-bucket/p"), ("core.remote", "s3")]
            settings.append(("remote.s3.\(c.key)", c.value))
            try commitSettings(s, repo, settings)
            let r = try s.fails(["git", "mlops", "push"], in: repo)
            #expect(r.stderr.hasPrefix("error: .gitmlops: remote 's3': "), "\(r.stderr)")
            #expect(r.stderr.contains(c.says), "\(r.stderr)")
            #expect(r.stderr.hasSuffix("in `remote.s3.\(c.key)` of .gitmlops\n"), "\(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1)
        }
        #expect(server.requests.isEmpty, "nothing was sent: \(server.requests)")
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
        #expect(lines.last?.hasPrefix("error: ") == true && lines.last?.contains(" not on remote 'storage'") == true, "\(r.stderr)")
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

    /// The attacker's repository: data pushed to the S3 server with a remote of their own
    /// (`--local`: nothing recorded for this user), and a committed `.gitmlops` naming `endpoint`.
    func attackerRepo(_ s: Sandbox, bucket: String, endpoint: String) throws -> String {
        let repo = try s.makeRepo("attacker")
        try s.write(repo + "/weights.bin", randomBytes(700_000, seed: 5))
        try s.ok(["git", "mlops", "remote", "add", "s3", "s3://\(bucket)/p", "--endpoint", S3Server.endpoint!, "--default", "--local"], in: repo)
        try s.ok(["git", "mlops", "add", "weights.bin"], in: repo)
        try s.ok(["git", "add", "-A"], in: repo)
        try s.ok(["git", "commit", "-qm", "data"], in: repo)
        try s.ok(["git", "mlops", "push"], in: repo)
        for (k, v) in [("remote.s3.url", "s3://\(bucket)/p"), ("remote.s3.endpoint", endpoint), ("core.remote", "s3")] {
            try s.ok(["git", "config", "-f", ".gitmlops", k, v], in: repo)
        }
        try s.ok(["git", "add", ".gitmlops"], in: repo)
        try s.ok(["git", "commit", "-qm", "remote"], in: repo)
        return repo
    }

    func refusal(_ endpoint: String) -> String {
        "error: .gitmlops: remote 's3' would send your AWS credentials to \(endpoint), an endpoint the repository chose and you have not trusted; if you trust that server, run `git mlops remote trust s3`; nothing was sent\n"
    }

    @Test func credentialsGoOnlyToEndpointsTheUserTrusts() throws {
        let s = try Sandbox()
        let bucket = try makeBucket(s)
        let recorder = try HTTPTestServer(mode: "record", directory: s.root)
        defer { recorder.stop() }

        // A host of the attacker's choosing gets nothing.
        let repo = try attackerRepo(s, bucket: bucket, endpoint: recorder.url)
        let clone = s.root + "/clone"
        try s.ok(["git", "clone", "-q", repo, clone])
        for command in [["pull"], ["fetch"], ["push"], ["gc", "--remote", "s3"]] {
            let r = try s.fails(["git", "mlops"] + command, in: clone)
            #expect(r.stderr == refusal(recorder.url), "\(command): \(r.stderr)")
        }
        #expect(recorder.requests.isEmpty, "\(recorder.requests)")

        // The real server, named by the repository: still refused until the user says otherwise.
        let e = S3Server.endpoint!
        try s.ok(["git", "config", "-f", ".gitmlops", "remote.s3.endpoint", e], in: repo)
        try s.ok(["git", "commit", "-qam", "real server"], in: repo)
        try s.ok(["git", "pull", "-q"], in: clone)
        #expect(try s.fails(["git", "mlops", "pull"], in: clone).stderr == refusal(e))
        // AWS_ENDPOINT_URL is the user's own setting.
        try s.ok(["git", "mlops", "pull"], in: clone, env: ["AWS_ENDPOINT_URL": e])
        #expect(try s.read(clone + "/weights.bin") == s.read(repo + "/weights.bin"))
        // So is an endpoint in .git/config.
        let second = s.root + "/second"
        try s.ok(["git", "clone", "-q", repo, second])
        try s.ok(["git", "config", "mlops.remote.s3.endpoint", e], in: second)
        try s.ok(["git", "mlops", "pull"], in: second)
        // And one trusted once, for every repository of this user.
        let third = s.root + "/third"
        try s.ok(["git", "clone", "-q", repo, third])
        let origin = "http://127.0.0.1:\(S3Server.port)"
        #expect(try s.ok(["git", "mlops", "remote", "trust", "s3"], in: third).stdout
                == "trusted endpoint \(origin) of remote s3 with your AWS credentials (in your global git config)\n")
        #expect(try s.ok(["git", "config", "--global", "--get-all", "mlops.trustedEndpoint"]).stdout == origin + "\n")
        try s.ok(["git", "mlops", "remote", "trust", "s3"], in: third)
        #expect(try s.ok(["git", "config", "--global", "--get-all", "mlops.trustedEndpoint"]).stdout == origin + "\n", "recorded once")
        try s.ok(["git", "mlops", "pull"], in: third)
        #expect(try s.fingerprint(third) == s.fingerprint(repo))
        // Trust is for that scheme, host and port only.
        try s.ok(["git", "config", "-f", ".gitmlops", "remote.s3.endpoint", recorder.url], in: repo)
        try s.ok(["git", "commit", "-qam", "back to the recorder"], in: repo)
        try s.ok(["git", "pull", "-q"], in: third)
        #expect(try s.fails(["git", "mlops", "fetch"], in: third).stderr == refusal(recorder.url))
        #expect(recorder.requests.isEmpty, "\(recorder.requests)")
    }

    @Test func anEndpointGivenToRemoteAddIsTrusted() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo()
        let add = try s.ok(["git", "mlops", "remote", "add", "s3", "s3://some-bucket/p", "--endpoint", S3Server.endpoint!, "--default"], in: repo)
        let origin = "http://127.0.0.1:\(S3Server.port)"
        #expect(add.stdout == "added remote s3 (s3://some-bucket/p), the default\ntrusted endpoint \(origin) with your AWS credentials (in your global git config)\n"
                + "hint: commit .gitmlops so that clones see the remote (`git add .gitmlops && git commit`)\n")
        #expect(try s.ok(["git", "config", "--global", "--get-all", "mlops.trustedEndpoint"]).stdout == origin + "\n")
        let local = try s.ok(["git", "mlops", "remote", "add", "mine", "s3://some-bucket/q", "--endpoint", "http://127.0.0.1:1", "--local"], in: repo)
        #expect(local.stdout == "added remote mine (s3://some-bucket/q)\n", "an endpoint in .git/config needs no record")
    }

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
