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
}
