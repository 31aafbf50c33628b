import Foundation
import MLOpsBasics
import Testing

/// The S3 server the test script started (SeaweedFS on loopback), if any.
enum S3Server {
    static let endpoint = ProcessInfo.processInfo.environment["GIT_MLOPS_TEST_S3_ENDPOINT"]
    static let required = ProcessInfo.processInfo.environment["GIT_MLOPS_REQUIRE_S3"] == "1"
    static let enabled = endpoint != nil
    static var port: Int { Int(endpoint?.split(separator: ":").last ?? "") ?? 0 }
}

/// A TCP relay in front of the S3 server that can play "the server went away": after forwarding the
/// response to the Nth index upload it exits, closing every connection.
let relayScript = #"""
import os, re, socket, sys, threading
listen, target, die_after = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
idx_put = re.compile(rb"PUT [^ ]*\.idx(\?[^ ]*)? HTTP/1\.1")
count = [0]; lock = threading.Lock()
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", listen)); srv.listen(128)
print("ready", flush=True)
# Exit when the test that started it goes away (its end of our stdin closes), whatever killed it.
def watch_parent():
    sys.stdin.buffer.read()
    os._exit(0)
threading.Thread(target=watch_parent, daemon=True).start()
def relay(client):
    server = socket.create_connection(("127.0.0.1", target))
    pending = [0]
    def up():
        try:
            while True:
                b = client.recv(65536)
                if not b: break
                if idx_put.search(b):
                    pending[0] += 1
                server.sendall(b)
        except OSError: pass
        try: server.shutdown(socket.SHUT_WR)
        except OSError: pass
    threading.Thread(target=up, daemon=True).start()
    try:
        while True:
            b = server.recv(65536)
            if not b: break
            client.sendall(b)
            if pending[0] and b.startswith(b"HTTP/1.1 200"):
                pending[0] -= 1
                with lock:
                    count[0] += 1
                    if die_after and count[0] >= die_after:
                        os._exit(0)
    except OSError: pass
    client.close()
while True:
    c, _ = srv.accept()
    threading.Thread(target=relay, args=(c,), daemon=True).start()
"""#

/// Under scripts/test (GIT_MLOPS_REQUIRE_S3=1) a missing server is a failure, not a skip.
@Test func theS3ServerIsThereWhenRequired() {
    #expect(!S3Server.required || S3Server.endpoint != nil,
            "GIT_MLOPS_REQUIRE_S3=1 but GIT_MLOPS_TEST_S3_ENDPOINT is not set: the S3 server did not start")
}

@Suite(.enabled(if: S3Server.enabled, "needs GIT_MLOPS_TEST_S3_ENDPOINT: run scripts/test, which starts SeaweedFS"))
struct S3E2ETests {
    func makeBucket(_ s: Sandbox) throws -> String {
        let bucket = "e2e-" + UUID().uuidString.lowercased().prefix(12)
        try s.ok(["aws", "--endpoint-url", S3Server.endpoint!, "s3", "mb", "s3://\(bucket)"])
        return bucket
    }

    func repoWithData(_ s: Sandbox, url: String, endpoint: String = S3Server.endpoint!) throws -> String {
        let repo = try s.makeRepo()
        try s.write(repo + "/weights.bin", randomBytes(3_000_000, seed: 3))
        for i in 0..<20 { try s.write(repo + "/set/\(i).txt", "row \(i)\n" + String(repeating: "x", count: i * 100)) }
        try s.ok(["git", "mlops", "remote", "add", "s3", url, "--endpoint", endpoint, "--default"], in: repo)
        try s.ok(["git", "mlops", "add", "weights.bin", "set"], in: repo)
        try s.ok(["git", "add", "-A"], in: repo)
        try s.ok(["git", "commit", "-qm", "v1"], in: repo)
        return repo
    }

    @Test func pushAndPullThroughS3WithAPlainLayout() throws {
        let s = try Sandbox()
        let bucket = try makeBucket(s)
        let repo = try repoWithData(s, url: "s3://\(bucket)/team/project")
        #expect(try String(decoding: s.read(repo + "/.gitmlops"), as: UTF8.self).contains("url = s3://\(bucket)/team/project"))
        #expect(!(try String(decoding: s.read(repo + "/.gitmlops"), as: UTF8.self)).contains("SECRET"), "no secrets in settings")
        try s.ok(["git", "mlops", "push"], in: repo)

        let listing = try s.ok(["aws", "--endpoint-url", S3Server.endpoint!, "s3", "ls", "--recursive", "s3://\(bucket)/"]).stdout
        let keys = listing.split(separator: "\n").map { String($0.split(separator: " ").last!) }.sorted()
        #expect(keys.count == 3, "a marker, one pack and its index: \(listing)")
        #expect(keys.first == "team/project/mlops-remote")
        #expect(keys.dropFirst().allSatisfy { $0.hasPrefix("team/project/packs/") && ($0.hasSuffix(".pack") || $0.hasSuffix(".idx")) })

        try s.ok(["git", "clone", "-q", repo, s.root + "/clone"])
        try s.ok(["git", "mlops", "pull"], in: s.root + "/clone")
        #expect(try s.fingerprint(s.root + "/clone") == s.fingerprint(repo))
    }

    @Test func wrongCredentialsAndMissingBucketsGetOneClearLine() throws {
        let s = try Sandbox()
        let bucket = try makeBucket(s)
        let repo = try repoWithData(s, url: "s3://\(bucket)/p")
        let bad = try s.run(["git", "mlops", "push"], in: repo, env: ["AWS_SECRET_ACCESS_KEY": "wrong"])
        #expect(bad.status == 1)
        #expect(bad.stderr.split(separator: "\n").count == 1, "\(bad.stderr)")
        #expect(bad.stderr.contains("SignatureDoesNotMatch") || bad.stderr.contains("credentials"), "\(bad.stderr)")
        try s.ok(["git", "mlops", "remote", "add", "s3", "s3://no-such-bucket-\(UUID().uuidString.lowercased().prefix(8))/p",
                  "--endpoint", S3Server.endpoint!, "--default"], in: repo)
        let missing = try s.run(["git", "mlops", "push"], in: repo)
        #expect(missing.status == 1)
        #expect(missing.stderr.split(separator: "\n").count == 1)
        #expect(missing.stderr.contains("does not exist"), "\(missing.stderr)")
    }

    @Test func aCorruptObjectOnTheRemoteIsRefusedAndNamed() throws {
        let s = try Sandbox()
        let bucket = try makeBucket(s)
        let repo = try repoWithData(s, url: "s3://\(bucket)/p")
        try s.ok(["git", "mlops", "push"], in: repo)
        let listing = try s.ok(["aws", "--endpoint-url", S3Server.endpoint!, "s3", "ls", "s3://\(bucket)/p/packs/"]).stdout
        let pack = listing.split(separator: "\n").map { String($0.split(separator: " ").last!) }.first { $0.hasSuffix(".pack") }!
        try s.ok(["aws", "--endpoint-url", S3Server.endpoint!, "s3", "cp", "s3://\(bucket)/p/packs/\(pack)", s.root + "/p.pack"])
        var bytes = try s.read(s.root + "/p.pack")
        bytes[bytes.count / 2] ^= 0x55
        try s.write(s.root + "/p.pack", bytes)
        try s.ok(["aws", "--endpoint-url", S3Server.endpoint!, "s3", "cp", s.root + "/p.pack", "s3://\(bucket)/p/packs/\(pack)"])
        try s.ok(["git", "clone", "-q", repo, s.root + "/clone"])
        let r = try s.fails(["git", "mlops", "pull"], in: s.root + "/clone")
        #expect(r.stderr.contains("packs/\(pack)") && r.stderr.contains("is corrupt"), "\(r.stderr)")
        #expect(!FS.exists(s.root + "/clone/weights.bin"), "nothing unverified reaches the workspace")
    }

    @Test func aPushInterruptedByTheServerGoingAwayResumes() throws {
        let s = try Sandbox()
        let bucket = try makeBucket(s)
        // Below Linux's ephemeral range (32768 and up), so that no outgoing connection can hold the port
        // when the relay is started again on it; above the ports scripts/s3-server picks (up to 25999).
        let port = 26000 + Int.random(in: 0..<6000)
        try s.write(s.root + "/relay.py", relayScript)
        var lifelines: [Pipe] = []
        defer { for l in lifelines { try? l.fileHandleForWriting.close() } }
        func startRelay(dieAfter: Int) throws -> Process {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: try ProcessRunner.resolve("python3", env: s.env))
            p.arguments = [s.root + "/relay.py", "\(port)", "\(S3Server.port)", "\(dieAfter)"]
            let out = Pipe()
            p.standardOutput = out
            // Never share the test's own output pipes: a leftover child would keep `swift test` waiting.
            p.standardError = FileHandle.nullDevice
            // The relay exits when this pipe closes: no relay outlives the test, even a crashed one.
            let lifeline = Pipe()
            p.standardInput = lifeline
            lifelines.append(lifeline)
            try p.run()
            let ready = String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
            guard ready.hasPrefix("ready") else {
                throw MLOpsError("the test relay could not listen on port \(port)", hint: "run the test again")
            }
            return p
        }
        let endpoint = "http://127.0.0.1:\(port)"
        var relay = try startRelay(dieAfter: 3)
        let repo = try repoWithData(s, url: "s3://\(bucket)/p", endpoint: endpoint)
        let env = ["GIT_MLOPS_PACK_SIZE": "262144", "GIT_MLOPS_RETRIES": "2"]
        try s.write(repo + "/more.bin", randomBytes(4_000_000, seed: 77))
        // Small packs, so that the push is many uploads and the server can go away in the middle.
        try s.ok(["git", "mlops", "add", "more.bin"], in: repo, env: env)
        try s.ok(["git", "add", "-A"], in: repo)
        try s.ok(["git", "commit", "-qm", "more"], in: repo)
        let first = try s.run(["git", "mlops", "push", "--json"], in: repo, env: env)
        if relay.isRunning {
            relay.terminate()
            Issue.record("the relay never saw three index uploads: \(first)")
        }
        relay.waitUntilExit()
        #expect(first.status == 1, "the push must fail when the server goes away: \(first)")
        #expect(first.stderr.hasPrefix("error: s3://\(bucket)/p: "), "names the remote: \(first.stderr)")
        #expect(first.stderr.split(separator: "\n").count == 1)

        relay = try startRelay(dieAfter: 0)
        defer { relay.terminate() }
        let second = try s.ok(["git", "mlops", "push", "--json"], in: repo, env: env).stdout
        #expect((try? JSON.parse(second))?["already_there"]?.int ?? 0 > 0, "complete packs are not sent again: \(second)")
        try s.ok(["git", "clone", "-q", repo, s.root + "/clone"])
        try s.ok(["git", "mlops", "remote", "add", "s3", "s3://\(bucket)/p", "--endpoint", endpoint, "--default", "--local"], in: s.root + "/clone")
        try s.ok(["git", "mlops", "pull"], in: s.root + "/clone")
        #expect(try s.fingerprint(s.root + "/clone") == s.fingerprint(repo))
    }
}
