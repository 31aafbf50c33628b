import Foundation
import MLOpsBasics
import Testing
import TestSupport
@testable import S3

/// Where credentials go when a server redirects, and what a failed or abandoned multipart upload
/// leaves on the bucket: against a recording HTTP server on loopback and the real SeaweedFS.
@Suite struct RedirectTests {
    static func client(endpoint: String, bucket: String = "any-bucket", credentials: S3Credentials) throws -> S3Client {
        S3Client(location: try S3Location(url: "s3://\(bucket)/p", endpoint: endpoint, region: nil), credentials: credentials, timeout: 30)
    }

    @Test func aRedirectToAnotherHostIsRefusedAndGetsNoCredentials() throws {
        let tmp = TempDir()
        let server = try HTTPTestServer(mode: "redirect-away", directory: tmp.path)
        defer { server.stop() }
        let creds = S3Credentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "secret", sessionToken: "session-token")
        let c = try RedirectTests.client(endpoint: server.url, credentials: creds)
        for call in ["get", "put", "list"] {
            let e = TestServer.s3Error {
                switch call {
                case "get": _ = try c.get("packs/x.idx")
                case "put": try c.put("packs/x.idx", bytes: [1, 2, 3])
                default: _ = try c.list(prefix: "packs/")
                }
            }
            #expect(e?.code == "RedirectRefused", "\(call): \(String(describing: e))")
            #expect(e?.isRetriable == false)
            #expect(e?.description.contains("redirected the request to http://127.0.0.1:\(server.otherPort)") == true, "\(String(describing: e))")
        }
        let seen = server.requests
        #expect(seen.filter { $0.port == server.otherPort }.isEmpty, "the other host got requests: \(seen)")
        #expect(seen.count == 3, "one request per call, none replayed: \(seen)")
        // The server that was signed for did get the credentials: they were not lost on the way.
        #expect(seen.allSatisfy { $0.headers["authorization"]?.contains("Credential=AKIDEXAMPLE/") == true && $0.headers["x-amz-security-token"] == "session-token" })
    }

    @Test(.enabled(if: TestServer.enabled, TestServer.skipReason))
    func aRedirectToTheSameHostIsSignedAgain() throws {
        let direct = try TestServer.client("redirect", prefix: "p")
        let data = TestServer.bytes(70_000, seed: 9)
        try direct.put("packs/x.pack", bytes: data)
        let tmp = TempDir()
        let server = try HTTPTestServer(mode: "redirect-same", upstream: try TestServer.requireEndpoint(), directory: tmp.path)
        defer { server.stop() }
        let c = try RedirectTests.client(endpoint: server.url, bucket: direct.location.bucket, credentials: try TestServer.credentials())
        // SeaweedFS checks the signature of the redirected request, whose query has changed: a replayed
        // signature would fail with SignatureDoesNotMatch.
        #expect(try c.get("packs/x.pack") == data)
        #expect(try c.get("packs/x.pack", range: 100..<200) == Array(data[100..<200]))
        let gets = server.requests.filter { $0.method == "GET" }
        #expect(gets.count == 3, "\(gets.map(\.path))")
        #expect(gets[1].path.hasSuffix("?redirected=1"))
        #expect(gets[0].headers["authorization"] != gets[1].headers["authorization"], "signed again, not replayed")
        #expect(gets.allSatisfy { $0.port == server.port })
    }
}

@Suite(.enabled(if: TestServer.enabled, TestServer.skipReason))
struct IncompleteUploadTests {
    @Test func aFailedMultipartUploadAbortsItself() throws {
        let direct = try TestServer.client("mpu-fail", prefix: "p")
        let tmp = TempDir()
        let server = try HTTPTestServer(mode: "fail-part", upstream: try TestServer.requireEndpoint(), directory: tmp.path)
        defer { server.stop() }
        let c = try RedirectTests.client(endpoint: server.url, bucket: direct.location.bucket, credentials: try TestServer.credentials())
        let file = tmp.path + "/big.pack"
        try FS.writeAtomic(file, TestServer.bytes(11 << 20, seed: 4), durable: false)
        let e = TestServer.s3Error { try c.putFile("packs/big.pack", path: file, partSize: 5 << 20) }
        #expect(e?.code == "InvalidRequest", "\(String(describing: e))")
        let seen = server.requests
        #expect(seen.contains { $0.method == "POST" && $0.path.contains("?uploads") }, "a multipart upload was started: \(seen.map(\.path))")
        #expect(seen.last?.method == "DELETE" && seen.last?.path.contains("uploadId=") == true, "and aborted: \(seen.map(\.path))")
        #expect(try direct.incompleteUploads(prefix: "packs/").isEmpty)
        #expect(try direct.head("packs/big.pack") == nil)
    }

    @Test func incompleteUploadsAreListedAndAborted() throws {
        let c = try TestServer.client("mpu-list")
        let other = try TestServer.sibling(c, prefix: "elsewhere")
        // Started and abandoned, as by a push killed in the middle of a large pack.
        let mine = try c.createMultipartUpload(c.fullKey("packs/0123456789abcdef0123456789abcdef.pack"))
        let theirs = try other.createMultipartUpload(other.fullKey("packs/0123456789abcdef0123456789abcdef.pack"))
        let listed = try c.incompleteUploads(prefix: "packs/")
        #expect(listed.map(\.key) == ["packs/0123456789abcdef0123456789abcdef.pack"])
        #expect(listed.map(\.uploadID) == [mine])
        #expect(abs(listed[0].initiated.timeIntervalSinceNow) < 3600, "Initiated is parsed: \(listed[0].initiated)")
        try c.abort(listed[0])
        try c.abort(listed[0])  // already gone: fine
        #expect(try c.incompleteUploads(prefix: "packs/").isEmpty)
        #expect(try other.incompleteUploads(prefix: "packs/").map(\.uploadID) == [theirs], "another prefix is left alone")
    }
}
