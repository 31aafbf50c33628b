import Foundation
import MLOpsBasics
import Testing
@testable import S3
#if canImport(Glibc)
import Glibc
#endif

@Suite struct LocationTests {
    @Test func parsesBucketAndPrefix() throws {
        let l = try S3Location(url: "s3://my-bucket/some/prefix/", endpoint: nil, region: nil)
        #expect(l.bucket == "my-bucket")
        #expect(l.prefix == "some/prefix")
        #expect(l.region == "us-east-1")
        #expect(l.endpoint == nil)
        #expect(l.url == "s3://my-bucket/some/prefix")
        #expect(l.fullKey("packs/ab") == "some/prefix/packs/ab")

        let root = try S3Location(url: "s3://bucket1", endpoint: "http://127.0.0.1:8333/", region: "eu-west-1")
        #expect(root.prefix == "")
        #expect(root.region == "eu-west-1")
        #expect(root.fullKey("k") == "k")
        #expect(root.description == "s3://bucket1 at http://127.0.0.1:8333")
    }

    @Test func rejectsBadURLs() {
        #expect(throws: MLOpsError.self) { try S3Location(url: "https://bucket/x", endpoint: nil, region: nil) }
        #expect(throws: MLOpsError.self) { try S3Location(url: "s3://", endpoint: nil, region: nil) }
        #expect(throws: MLOpsError.self) { try S3Location(url: "s3://Upper_Case/x", endpoint: nil, region: nil) }
        #expect(throws: MLOpsError.self) { try S3Location(url: "s3://ok-bucket/a/../b", endpoint: nil, region: nil) }
        #expect(throws: MLOpsError.self) { try S3Location(url: "s3://ok-bucket", endpoint: "ftp://x", region: nil) }
        #expect(throws: MLOpsError.self) { try S3Location(url: "s3://ok-bucket", endpoint: "127.0.0.1:8333", region: nil) }
    }

    @Test func pathStyleForEndpoints() throws {
        let l = try S3Location(url: "s3://b1x/pre", endpoint: "http://127.0.0.1:8333", region: nil)
        let t = l.target(fullKey: "pre/a b+c=d/ü", query: [])
        #expect(t.url.absoluteString == "http://127.0.0.1:8333/b1x/pre/a%20b%2Bc%3Dd/%C3%BC")
        #expect(t.hostHeader == "127.0.0.1:8333")
        #expect(t.canonicalURI == "/b1x/pre/a%20b%2Bc%3Dd/%C3%BC")
        let list = l.target(fullKey: nil, query: [("list-type", "2"), ("prefix", "pre/"), ("uploads", "")])
        #expect(list.url.absoluteString == "http://127.0.0.1:8333/b1x?list-type=2&prefix=pre%2F&uploads")
        let https = try S3Location(url: "s3://b1x", endpoint: "https://minio.example:443/base/", region: nil)
        #expect(https.target(fullKey: "k", query: []).url.absoluteString == "https://minio.example/base/b1x/k")
        #expect(https.target(fullKey: "k", query: []).hostHeader == "minio.example")
    }

    @Test func virtualHostForAWS() throws {
        let l = try S3Location(url: "s3://data-bucket/p", endpoint: nil, region: "eu-central-1")
        let t = l.target(fullKey: "p/k", query: [])
        #expect(t.url.absoluteString == "https://data-bucket.s3.eu-central-1.amazonaws.com/p/k")
        #expect(t.hostHeader == "data-bucket.s3.eu-central-1.amazonaws.com")
        #expect(l.target(fullKey: nil, query: []).canonicalURI == "/")
        #expect(l.endpointDescription == "https://s3.eu-central-1.amazonaws.com")
        // Dotted names do not match the wildcard certificate: path style on the regional host.
        let dotted = try S3Location(url: "s3://my.data", endpoint: nil, region: nil)
        #expect(dotted.target(fullKey: "k", query: []).url.absoluteString == "https://s3.us-east-1.amazonaws.com/my.data/k")
    }
}

@Suite struct CredentialTests {
    func tempDir() throws -> String {
        let dir = NSTemporaryDirectory() + "s3cred-\(UUID().uuidString)"
        try FS.mkdirs(dir)
        return dir
    }

    @Test func environmentFirst() throws {
        let c = try S3Credentials.resolve(environment: ["AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SK",
                                                        "AWS_SESSION_TOKEN": "TOK", "HOME": "/nonexistent"])
        #expect(c == S3Credentials(accessKeyID: "AK", secretAccessKey: "SK", sessionToken: "TOK"))
        #expect(!c.description.contains("SK"))
        #expect(throws: MLOpsError.self) {
            try S3Credentials.resolve(environment: ["AWS_ACCESS_KEY_ID": "AK", "HOME": "/nonexistent"])
        }
    }

    @Test func profilesFromSharedFiles() throws {
        let dir = try tempDir()
        defer { try? FS.removeTree(dir) }
        try FS.writeAtomic(dir + "/credentials", """
            # comment
            [default]
            aws_access_key_id = DEFAULTKEY
            aws_secret_access_key = defaultsecret

            [work]
            aws_access_key_id=WORKKEY
            aws_secret_access_key=work/secret+x
            aws_session_token = worktoken
            """)
        try FS.writeAtomic(dir + "/config", """
            [profile other]
            region = eu-west-1
            aws_access_key_id = OTHERKEY
            aws_secret_access_key = othersecret
            """)
        let base = ["AWS_SHARED_CREDENTIALS_FILE": dir + "/credentials", "AWS_CONFIG_FILE": dir + "/config", "HOME": dir]
        #expect(try S3Credentials.resolve(environment: base) == S3Credentials(accessKeyID: "DEFAULTKEY", secretAccessKey: "defaultsecret"))
        var env = base
        env["AWS_PROFILE"] = "work"
        #expect(try S3Credentials.resolve(environment: env)
                == S3Credentials(accessKeyID: "WORKKEY", secretAccessKey: "work/secret+x", sessionToken: "worktoken"))
        env["AWS_PROFILE"] = "other"
        #expect(try S3Credentials.resolve(environment: env).accessKeyID == "OTHERKEY")
        env["AWS_PROFILE"] = "missing"
        do {
            _ = try S3Credentials.resolve(environment: env)
            Issue.record("expected an error")
        } catch let e as MLOpsError {
            #expect(e.message.contains("no profile 'missing'"))
            #expect(e.hint?.contains("AWS_ACCESS_KEY_ID") == true)
        }
    }

    @Test func nothingFound() {
        do {
            _ = try S3Credentials.resolve(environment: ["HOME": "/nonexistent-home"])
            Issue.record("expected an error")
        } catch let e as MLOpsError {
            #expect(e.description == "no AWS credentials found (AWS_ACCESS_KEY_ID is not set and no /nonexistent-home/.aws/credentials); set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or add [default] with aws_access_key_id and aws_secret_access_key to /nonexistent-home/.aws/credentials (or choose another profile with AWS_PROFILE)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}

@Suite struct XMLTests {
    @Test func parsesListObjectsV2() throws {
        let xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
              <Name>bucket</Name><Prefix>p/</Prefix><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys>
              <IsTruncated>true</IsTruncated>
              <Contents><Key>p/a &amp; b&lt;c&gt;&#233;&#x263A;</Key><LastModified>2009-10-12T17:50:30.000Z</LastModified>
                <ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag><Size>434234</Size><StorageClass>STANDARD</StorageClass></Contents>
              <Contents><Key><![CDATA[p/raw <cdata>]]></Key><LastModified>2024-01-02T03:04:05Z</LastModified><Size>0</Size><Owner/></Contents>
              <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
            </ListBucketResult>
            """
        let root = try #require(MiniXML.parse(Array(xml.utf8)))
        let page = S3Client.listPage(root)
        #expect(page.truncated)
        #expect(page.nextToken == "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=")
        #expect(page.objects.map(\.key) == ["p/a & b<c>é☺", "p/raw <cdata>"])
        #expect(page.objects.map(\.size) == [434234, 0])
        #expect(page.objects[0].lastModified == Date(timeIntervalSince1970: 1_255_369_830))
        #expect(page.objects[1].lastModified == Date(timeIntervalSince1970: 1_704_164_645))
    }

    @Test func parsesErrorsAndJunk() {
        let e = MiniXML.parse(Array("<Error><Code>NoSuchKey</Code><Message>The resource you requested does not exist</Message><Resource>/mybucket/myfoto.jpg</Resource><RequestId>4442587FB7D0A2F9</RequestId></Error>".utf8))
        #expect(e?.name == "Error")
        #expect(e?["Code"] == "NoSuchKey")
        #expect(e?["RequestId"] == "4442587FB7D0A2F9")
        #expect(MiniXML.parse(Array("".utf8)) == nil)
        #expect(MiniXML.parse(Array("not xml at all".utf8)) == nil)
        #expect(MiniXML.parse(Array("<a><b>unterminated".utf8))?["b"] == "unterminated")
    }
}

@Suite struct ErrorTests {
    func error(_ status: Int, _ code: String, key: String? = "p/k", bucketRegion: String? = nil) -> S3Error {
        S3Error(status: status, code: code, message: "msg", bucket: "b", key: key, endpoint: "http://127.0.0.1:8333",
                bucketRegion: bucketRegion)
    }

    @Test func descriptions() {
        #expect(error(403, "InvalidAccessKeyId").description
                == "s3://b/p/k: the server rejected the credentials (InvalidAccessKeyId); check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE")
        #expect(error(404, "NoSuchBucket").description
                == "bucket 'b' does not exist at http://127.0.0.1:8333; create it or fix the remote URL")
        #expect(error(400, "AuthorizationHeaderMalformed", bucketRegion: "eu-west-1").description
                == "bucket 'b' is in region eu-west-1, not us-east-1; set the remote's region to eu-west-1")
        #expect(error(503, "SlowDown").description == "s3://b/p/k: the server asks to slow down, SlowDown (HTTP 503): msg; retry later")
        #expect(error(0, S3Error.timeout).description.hasSuffix("(timeout); check the network and the endpoint, then retry"))
        #expect(error(403, "AccessDenied", key: nil).description.hasPrefix("s3://b: access denied (AccessDenied);"))
        var multiline = error(400, "Weird")
        multiline.message = "line one\nline two"
        #expect(multiline.description == "s3://b/p/k: Weird (HTTP 400): line one line two")
    }

    @Test func retriable() {
        #expect(error(500, "InternalError").isRetriable)
        #expect(error(503, "SlowDown").isRetriable)
        #expect(error(429, "TooManyRequests").isRetriable)
        #expect(error(400, "RequestTimeout").isRetriable)
        #expect(error(0, S3Error.timeout).isRetriable)
        #expect(error(0, S3Error.connectionFailed).isRetriable)
        #expect(!error(0, S3Error.tlsError).isRetriable)
        #expect(!error(403, "SignatureDoesNotMatch").isRetriable)
        #expect(!error(403, "InvalidAccessKeyId").isRetriable)
        #expect(!error(404, "NoSuchBucket").isRetriable)
        #expect(!error(403, "AccessDenied").isRetriable)
    }
}

/// Transport failures against local sockets: no S3 server needed.
@Suite struct TransportFailureTests {
    /// A listening TCP socket on 127.0.0.1 that never accepts: connections complete in the
    /// kernel backlog and then hear nothing.
    final class SilentServer {
        let fd: Int32
        let port: Int
        init() throws {
            let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            addr.sin_port = 0
            let ok = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard ok == 0, listen(s, 16) == 0 else { throw SystemError("bind", "127.0.0.1", errno: errno) }
            var bound = sockaddr_in()
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &bound) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(s, $0, &len) }
            }
            fd = s
            port = Int(UInt16(bigEndian: bound.sin_port))
        }
        func close() { Glibc.close(fd) }
    }

    func client(port: Int, timeout: TimeInterval) throws -> S3Client {
        let loc = try S3Location(url: "s3://silent-bucket/p", endpoint: "http://127.0.0.1:\(port)", region: nil)
        return S3Client(location: loc, credentials: S3Credentials(accessKeyID: "K", secretAccessKey: "S"), timeout: timeout)
    }

    @Test func timeoutIsRetriable() throws {
        let server = try SilentServer()
        defer { server.close() }
        let c = try client(port: server.port, timeout: 1)
        do {
            _ = try c.get("k")
            Issue.record("expected a timeout")
        } catch let e as S3Error {
            #expect(e.code == S3Error.timeout)
            #expect(e.isRetriable)
            #expect(e.description == "s3://silent-bucket/p/k: no response from http://127.0.0.1:\(server.port) within 1 s (timeout); check the network and the endpoint, then retry")
        }
    }

    @Test func connectionRefusedIsRetriable() throws {
        let server = try SilentServer()
        let port = server.port
        server.close()
        let c = try client(port: port, timeout: 5)
        do {
            try c.put("k", bytes: [1, 2, 3])
            Issue.record("expected a connection error")
        } catch let e as S3Error {
            #expect(e.code == S3Error.connectionFailed)
            #expect(e.isRetriable)
            #expect(e.description == "s3://silent-bucket/p/k: cannot connect to http://127.0.0.1:\(port) (connection refused); check that the server is running and that the endpoint http://127.0.0.1:\(port) is right")
        }
    }

    @Test func partSizes() {
        #expect(S3Client.effectivePartSize(fileSize: 1 << 30, requested: 1 << 20) == 5 << 20)
        #expect(S3Client.effectivePartSize(fileSize: 1 << 30, requested: 16 << 20) == 16 << 20)
        // 1 TiB in 16 MiB parts would be 65,536 parts: raised to fit in 10,000.
        let big = S3Client.effectivePartSize(fileSize: 1 << 40, requested: 16 << 20)
        #expect(Int64(big) * 10_000 >= 1 << 40)
        #expect(big % (1 << 20) == 0)
    }
}
