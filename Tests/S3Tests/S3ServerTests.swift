import Foundation
import MLOpsBasics
import Testing
@testable import S3

/// The real S3 server the integration tests talk to (SeaweedFS via `scripts/s3-server`).
///
/// Runs when `GIT_MLOPS_TEST_S3_ENDPOINT` is set (credentials from `AWS_ACCESS_KEY_ID` /
/// `AWS_SECRET_ACCESS_KEY`); skipped with a reason otherwise, unless `GIT_MLOPS_REQUIRE_S3=1`,
/// in which case every test runs and fails saying the server is missing.
enum TestServer {
    static let environment = ProcessInfo.processInfo.environment
    static let endpoint: String? = environment["GIT_MLOPS_TEST_S3_ENDPOINT"].flatMap { $0.isEmpty ? nil : $0 }
    static let required = environment["GIT_MLOPS_REQUIRE_S3"] == "1"
    static let enabled = endpoint != nil || required
    static let skipReason: Comment = "no S3 server: run `eval \"$(scripts/s3-server start DIR)\"` to set GIT_MLOPS_TEST_S3_ENDPOINT"

    static func requireEndpoint() throws -> String {
        guard let endpoint else {
            throw MLOpsError("GIT_MLOPS_REQUIRE_S3=1 but GIT_MLOPS_TEST_S3_ENDPOINT is not set",
                             hint: "start a server with `eval \"$(scripts/s3-server start DIR)\"` before running the tests")
        }
        return endpoint
    }

    static func credentials() throws -> S3Credentials {
        try S3Credentials.resolve(environment: environment)
    }

    /// A bucket name no other test (or earlier run) uses.
    static func freshBucket(_ tag: String) -> String {
        "mlops-\(tag)-\(String(UInt64.random(in: 0...UInt64.max), radix: 36))"
    }

    /// A client for a new bucket (created unless `create` is false), keys under `prefix`.
    static func client(_ tag: String, prefix: String = "t", create: Bool = true,
                       credentials: S3Credentials? = nil) throws -> S3Client {
        let endpoint = try requireEndpoint()
        let location = try S3Location(url: "s3://\(freshBucket(tag))/\(prefix)", endpoint: endpoint, region: nil)
        let client = S3Client(location: location, credentials: try credentials ?? self.credentials(), timeout: 30)
        if create { try client.createBucket() }
        return client
    }

    static func sibling(_ client: S3Client, prefix: String) throws -> S3Client {
        var location = client.location
        location.prefix = prefix
        return S3Client(location: location, credentials: client.credentials, timeout: 30)
    }

    /// Deterministic pseudo-random bytes (xorshift64*), fast enough for tens of MiB in a debug build.
    static func bytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var x = seed | 1
        out.withUnsafeMutableBytes { buf in
            let words = count / 8
            let p = buf.baseAddress!
            for i in 0..<words {
                x ^= x >> 12; x ^= x << 25; x ^= x >> 27
                p.storeBytes(of: x &* 2_685_821_657_736_338_717, toByteOffset: i * 8, as: UInt64.self)
            }
            for i in (words * 8)..<count { buf[i] = UInt8(truncatingIfNeeded: x >> (i % 8 * 8)) }
        }
        return out
    }

    static func s3Error(_ body: () throws -> Void) -> S3Error? {
        do {
            try body()
            return nil
        } catch let e as S3Error {
            return e
        } catch {
            Issue.record("expected an S3Error, got \(error)")
            return nil
        }
    }

    static var awsCLI: String? {
        if let p = try? ProcessRunner.resolve("aws") { return p }
        let shim = "/root/.pyenv/shims/aws"
        return access(shim, X_OK) == 0 ? shim : nil
    }
}

@Suite(.enabled(if: TestServer.enabled, TestServer.skipReason))
struct S3ServerTests {
    @Test func putGetRangeHeadDelete() throws {
        let c = try TestServer.client("basic")
        try c.createBucket()  // again: already ours, fine

        let data = TestServer.bytes(10_000, seed: 1)
        try c.put("objects/one", bytes: data)
        #expect(try c.get("objects/one") == data)
        #expect(try c.head("objects/one") == 10_000)

        #expect(try c.get("objects/one", range: 2..<7) == Array(data[2..<7]))
        #expect(try c.get("objects/one", range: 0..<1) == [data[0]])
        #expect(try c.get("objects/one", range: 9_990..<10_000) == Array(data[9_990...]))
        // Past the end: the bytes that exist.
        #expect(try c.get("objects/one", range: 9_997..<20_000) == Array(data[9_997...]))
        #expect(try c.get("objects/one", range: 5..<5) == [])
        let beyond = TestServer.s3Error { _ = try c.get("objects/one", range: 20_000..<20_010) }
        #expect(beyond?.code == "InvalidRange")
        #expect(beyond?.isRetriable == false)

        // Overwrite, and an empty object.
        try c.put("objects/one", bytes: [7, 8, 9])
        #expect(try c.get("objects/one") == [7, 8, 9])
        try c.put("objects/empty", bytes: [])
        #expect(try c.get("objects/empty") == [])
        #expect(try c.head("objects/empty") == 0)

        #expect(try c.head("objects/missing") == nil)
        let missing = TestServer.s3Error { _ = try c.get("objects/missing") }
        #expect(missing?.code == "NoSuchKey")
        #expect(missing?.isRetriable == false)
        #expect(missing?.description == "s3://\(c.location.bucket)/t/objects/missing: no such object")

        try c.delete("objects/one")
        #expect(try c.head("objects/one") == nil)
        try c.delete("objects/one")  // deleting what is gone is fine
    }

    @Test func listPaginatesPastOneThousandKeys() throws {
        let c = try TestServer.client("list")
        let count = 1_050
        let keys = (0..<count).map { "many/k\(String(1_000_000 + $0).dropFirst())" }  // zero-padded, sorted
        // Eight threads at once share one client: the transfer layer does the same.
        let failures = Failures()
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for i in stride(from: worker, to: count, by: 8) {
                do { try c.put(keys[i], bytes: Array(repeating: UInt8(i % 251), count: 1 + i % 3)) } catch { failures.add(error) }
            }
        }
        #expect(failures.all.isEmpty, "\(failures.all.prefix(3))")
        try c.put("other/x", bytes: [1])
        // Same bucket, a neighbouring prefix that starts with the same letter: must not leak in.
        try TestServer.sibling(c, prefix: "tx").put("many/k0000", bytes: [1, 2, 3, 4])

        let started = Date()
        let listed = try c.list(prefix: "many/")
        #expect(listed.count == count)
        #expect(listed.map(\.key) == keys)
        #expect(listed.map(\.size) == (0..<count).map { Int64(1 + $0 % 3) })
        #expect(listed.allSatisfy { abs($0.lastModified.timeIntervalSince(started)) < 600 })

        let all = try c.list(prefix: "")
        #expect(all.count == count + 1)
        #expect(all.last?.key == "other/x")
        #expect(try c.list(prefix: "nothing-here/").isEmpty)
        #expect(try TestServer.sibling(c, prefix: "tx").list(prefix: "").map(\.key) == ["many/k0000"])
    }

    @Test func multipartUploadRoundTrips() throws {
        let c = try TestServer.client("multi")
        let dir = NSTemporaryDirectory() + "s3-multipart-\(UUID().uuidString)"
        try FS.mkdirs(dir)
        defer { try? FS.removeTree(dir) }

        // 40 MiB and a bit: eight full 5 MiB parts and a short ninth.
        let size = (40 << 20) + 12_345
        let data = TestServer.bytes(size, seed: 42)
        try FS.writeAtomic(dir + "/big.bin", data, durable: false)
        try c.putFile("packs/big.bin", path: dir + "/big.bin", partSize: 5 << 20)
        #expect(try c.head("packs/big.bin") == Int64(size))
        let back = try c.get("packs/big.bin")
        #expect(back.count == size)
        #expect(back == data)
        // A range across the boundary between parts 1 and 2.
        let boundary = Int64(5 << 20)
        #expect(try c.get("packs/big.bin", range: (boundary - 100)..<(boundary + 100)) == Array(data[(5 << 20) - 100 ..< (5 << 20) + 100]))

        // Small files take the single-PUT path.
        let small = TestServer.bytes(3_000, seed: 7)
        try FS.writeAtomic(dir + "/small.bin", small, durable: false)
        try c.putFile("packs/small.bin", path: dir + "/small.bin", partSize: 5 << 20)
        #expect(try c.get("packs/small.bin") == small)
        #expect(try c.list(prefix: "packs/").map(\.key) == ["packs/big.bin", "packs/small.bin"])
    }

    @Test func wrongCredentialsGiveOneClearError() throws {
        let c = try TestServer.client("creds")
        let good = c.credentials
        try c.put("k", bytes: [1])

        let wrongSecret = S3Client(location: c.location,
                                   credentials: S3Credentials(accessKeyID: good.accessKeyID, secretAccessKey: "not-the-secret"))
        let e = TestServer.s3Error { try wrongSecret.put("k", bytes: [2]) }
        #expect(e?.code == "SignatureDoesNotMatch" || e?.code == "InvalidAccessKeyId")
        #expect(e?.isRetriable == false)
        #expect(e?.description == "s3://\(c.location.bucket)/t/k: the server rejected the credentials (\(e?.code ?? "")); check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE")
        // HEAD has no error body, but must not pass for "missing".
        let h = TestServer.s3Error { _ = try wrongSecret.head("k") }
        #expect(h?.status == 403)
        #expect(h?.isRetriable == false)

        let wrongKey = S3Client(location: c.location,
                                credentials: S3Credentials(accessKeyID: "NOSUCHKEY", secretAccessKey: good.secretAccessKey))
        let k = TestServer.s3Error { _ = try wrongKey.list(prefix: "") }
        #expect(k?.code == "InvalidAccessKeyId")
        #expect(k?.isRetriable == false)
        #expect(try c.get("k") == [1])
    }

    @Test func missingBucketIsNamed() throws {
        let c = try TestServer.client("absent", create: false)
        let endpoint = try TestServer.requireEndpoint()
        let expected = "bucket '\(c.location.bucket)' does not exist at \(endpoint); create it or fix the remote URL"
        for attempt in [{ _ = try c.get("k") }, { _ = try c.list(prefix: "") }, { try c.put("k", bytes: [1]) }] as [() throws -> Void] {
            let e = TestServer.s3Error(attempt)
            #expect(e?.code == "NoSuchBucket")
            #expect(e?.isRetriable == false)
            #expect(e?.description == expected)
        }
    }

    @Test func awkwardKeysRoundTrip() throws {
        let c = try TestServer.client("keys")
        let keys = [
            "with space/a b.bin", "plus+sign", "equals=sign&amp", "unicode/ключ/日本語-é.txt",
            "tilde~(parens)!*'", "percent%20literal", "question?mark#hash", "semi;colon,comma:colon@at$",
        ]
        for (i, key) in keys.enumerated() {
            try c.put(key, bytes: Array(key.utf8) + [UInt8(i)])
        }
        for (i, key) in keys.enumerated() {
            #expect(try c.get(key) == Array(key.utf8) + [UInt8(i)], "\(key)")
            #expect(try c.head(key) == Int64(key.utf8.count + 1), "\(key)")
        }
        #expect(try c.list(prefix: "").map(\.key).sorted() == keys.sorted())
        #expect(try c.list(prefix: "with space/").map(\.key) == ["with space/a b.bin"])
        for key in keys { try c.delete(key) }
        #expect(try c.list(prefix: "").isEmpty)
    }

    /// The layout is plain S3: the AWS CLI sees our objects, and we read what it writes.
    @Test(.enabled(if: TestServer.awsCLI != nil, "the aws CLI is not installed"))
    func awsCLISeesPlainS3() throws {
        let c = try TestServer.client("awscli")
        try c.put("packs/pack-1.pack", bytes: TestServer.bytes(1_234, seed: 3))
        try c.put("refs/main", bytes: Array("hello\n".utf8))
        let endpoint = try TestServer.requireEndpoint()
        var env = TestServer.environment
        env["AWS_DEFAULT_REGION"] = "us-east-1"
        env["AWS_EC2_METADATA_DISABLED"] = "true"
        let aws = TestServer.awsCLI!
        let ls = try ProcessRunner.capture([aws, "--endpoint-url", endpoint, "s3", "ls", "s3://\(c.location.bucket)/", "--recursive"], env: env)
        #expect(ls.status == 0, "\(ls.stderr)")
        let lines = ls.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true) }
        #expect(lines.map { $0.last.map(String.init) ?? "" } == ["t/packs/pack-1.pack", "t/refs/main"])
        #expect(lines.map { $0.count >= 2 ? String($0[$0.count - 2]) : "" } == ["1234", "6"])

        let dir = NSTemporaryDirectory() + "s3-awscli-\(UUID().uuidString)"
        try FS.mkdirs(dir)
        defer { try? FS.removeTree(dir) }
        try FS.writeAtomic(dir + "/f", "from the aws cli\n", durable: false)
        let cp = try ProcessRunner.capture([aws, "--endpoint-url", endpoint, "s3", "cp", dir + "/f",
                                            "s3://\(c.location.bucket)/t/from aws/f+1.txt"], env: env)
        #expect(cp.status == 0, "\(cp.stderr)")
        #expect(try c.get("from aws/f+1.txt") == Array("from the aws cli\n".utf8))
    }
}

/// Errors collected from several threads.
final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var errors: [Error] = []
    func add(_ e: Error) { lock.lock(); errors.append(e); lock.unlock() }
    var all: [Error] { lock.lock(); defer { lock.unlock() }; return errors }
}
