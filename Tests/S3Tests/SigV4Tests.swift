import Foundation
import Testing
@testable import S3

/// SigV4 against published vectors. Every expected value below is copied from AWS documents,
/// not produced by this code:
/// - S3 API Reference, "Signature Calculations for the Authorization Header: Transferring
///   Payload in a Single Chunk", examples GET Object, PUT Object, GET Bucket Lifecycle,
///   Get Bucket (List Objects) (docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html);
/// - the AWS Signature Version 4 test suite (get-vanilla, get-vanilla-query-order-key-case,
///   get-unreserved, get-utf8, get-vanilla-utf8-query, post-vanilla, get-vanilla-with-session-token);
/// - the IAM user guide's worked example (signing key and ListUsers signature).
@Suite struct SigV4Tests {
    // MARK: S3 API reference examples

    static let s3Credentials = S3Credentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE",
                                             secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    /// 2013-05-24T00:00:00Z
    static let s3Date = Date(timeIntervalSince1970: 1_369_353_600)
    static let s3Host = "examplebucket.s3.amazonaws.com"

    static func s3Sign(_ method: String, path: String, query: [(String, String)] = [], headers: [(String, String)],
                       payload: String) -> SigV4.Signed {
        SigV4.sign(method: method, canonicalURI: SigV4.canonicalURI(path: path), query: query,
                   headers: [("Host", s3Host), ("x-amz-date", "20130524T000000Z"), ("x-amz-content-sha256", payload)] + headers,
                   payloadSHA256: payload, credentials: s3Credentials, region: "us-east-1", date: s3Date)
    }

    /// The S3 examples print the header without spaces after the commas; S3 accepts both forms.
    static func compact(_ authorization: String) -> String {
        authorization.replacingOccurrences(of: ", ", with: ",")
    }

    @Test func dates() {
        #expect(SigV4.amzDate(Self.s3Date) == "20130524T000000Z")
        #expect(SigV4.dateStamp(Self.s3Date) == "20130524")
        #expect(SigV4.amzDate(Date(timeIntervalSince1970: 1_440_938_160.9)) == "20150830T123600Z")
    }

    @Test func s3GetObjectWithRange() {
        let s = Self.s3Sign("GET", path: "/test.txt", headers: [("Range", "bytes=0-9")], payload: SigV4.emptyPayloadSHA256)
        #expect(s.canonicalRequest == """
            GET
            /test.txt

            host:examplebucket.s3.amazonaws.com
            range:bytes=0-9
            x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            x-amz-date:20130524T000000Z

            host;range;x-amz-content-sha256;x-amz-date
            e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            """)
        #expect(s.stringToSign == """
            AWS4-HMAC-SHA256
            20130524T000000Z
            20130524/us-east-1/s3/aws4_request
            7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972
            """)
        #expect(s.signature == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        #expect(Self.compact(s.authorization) == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    }

    @Test func s3PutObject() {
        let body = Array("Welcome to Amazon S3.".utf8)
        let payload = SigV4.sha256Hex(body)
        #expect(payload == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072")
        // The key `test$file.text` must appear encoded once as `test%24file.text`.
        let s = Self.s3Sign("PUT", path: "/test$file.text",
                            headers: [("Date", "Fri, 24 May 2013 00:00:00 GMT"), ("x-amz-storage-class", "REDUCED_REDUNDANCY")],
                            payload: payload)
        #expect(s.canonicalRequest == """
            PUT
            /test%24file.text

            date:Fri, 24 May 2013 00:00:00 GMT
            host:examplebucket.s3.amazonaws.com
            x-amz-content-sha256:44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072
            x-amz-date:20130524T000000Z
            x-amz-storage-class:REDUCED_REDUNDANCY

            date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class
            44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072
            """)
        #expect(s.stringToSign.hasSuffix("\n9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d"))
        #expect(s.signature == "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")
        #expect(Self.compact(s.authorization) == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")
    }

    @Test func s3GetBucketLifecycle() {
        let s = Self.s3Sign("GET", path: "/", query: [("lifecycle", "")], headers: [], payload: SigV4.emptyPayloadSHA256)
        #expect(s.canonicalRequest.hasPrefix("GET\n/\nlifecycle=\nhost:examplebucket.s3.amazonaws.com\n"))
        #expect(s.stringToSign.hasSuffix("\n9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca"))
        #expect(s.signature == "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543")
    }

    @Test func s3ListObjects() {
        // Given out of order: the canonical query is sorted.
        let s = Self.s3Sign("GET", path: "/", query: [("prefix", "J"), ("max-keys", "2")], headers: [],
                            payload: SigV4.emptyPayloadSHA256)
        #expect(s.canonicalRequest == """
            GET
            /
            max-keys=2&prefix=J
            host:examplebucket.s3.amazonaws.com
            x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            x-amz-date:20130524T000000Z

            host;x-amz-content-sha256;x-amz-date
            e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            """)
        #expect(s.stringToSign.hasSuffix("\ndf57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7"))
        #expect(s.signature == "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")
    }

    // MARK: aws-sig-v4-test-suite (service "service", region us-east-1, 2015-08-30T12:36:00Z)

    static let suiteCredentials = S3Credentials(accessKeyID: "AKIDEXAMPLE",
                                                secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    static let suiteDate = Date(timeIntervalSince1970: 1_440_938_160)

    static func suiteSign(_ method: String, path: String, query: [(String, String)] = [],
                          credentials: S3Credentials = suiteCredentials, extraHeaders: [(String, String)] = []) -> SigV4.Signed {
        SigV4.sign(method: method, canonicalURI: SigV4.canonicalURI(path: path), query: query,
                   headers: [("Host", "example.amazonaws.com"), ("X-Amz-Date", "20150830T123600Z")] + extraHeaders,
                   payloadSHA256: SigV4.emptyPayloadSHA256, credentials: credentials, region: "us-east-1",
                   service: "service", date: suiteDate)
    }

    static let suitePrefix = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature="

    @Test func getVanilla() {
        let s = Self.suiteSign("GET", path: "/")
        #expect(s.canonicalRequest == """
            GET
            /

            host:example.amazonaws.com
            x-amz-date:20150830T123600Z

            host;x-amz-date
            e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            """)
        #expect(s.stringToSign == """
            AWS4-HMAC-SHA256
            20150830T123600Z
            20150830/us-east-1/service/aws4_request
            bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63
            """)
        #expect(s.authorization == Self.suitePrefix + "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
    }

    @Test func getVanillaQueryOrderKeyCase() {
        let s = Self.suiteSign("GET", path: "/", query: [("Param2", "value2"), ("Param1", "value1")])
        #expect(s.authorization == Self.suitePrefix + "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500")
    }

    @Test func getUnreserved() {
        let s = Self.suiteSign("GET", path: "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
        #expect(s.authorization == Self.suitePrefix + "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f")
    }

    @Test func getUTF8() {
        let s = Self.suiteSign("GET", path: "/ሴ")
        #expect(s.canonicalRequest.hasPrefix("GET\n/%E1%88%B4\n"))
        #expect(s.authorization == Self.suitePrefix + "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85")
    }

    @Test func getVanillaUTF8Query() {
        let s = Self.suiteSign("GET", path: "/", query: [("ሴ", "bar")])
        #expect(s.authorization == Self.suitePrefix + "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04")
    }

    @Test func postVanilla() {
        let s = Self.suiteSign("POST", path: "/")
        #expect(s.authorization == Self.suitePrefix + "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b")
    }

    @Test func getVanillaWithSessionToken() {
        let token = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"
        var creds = Self.suiteCredentials
        creds.sessionToken = token
        let s = Self.suiteSign("GET", path: "/", credentials: creds, extraHeaders: [("X-Amz-Security-Token", token)])
        #expect(s.authorization == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8")
    }

    // MARK: IAM user guide worked example

    @Test func iamSigningKeyAndSignature() {
        let key = SigV4.signingKey(secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", date: Self.suiteDate,
                                   region: "us-east-1", service: "iam")
        #expect(SigV4.hex(key) == "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9")
        let s = SigV4.sign(method: "GET", canonicalURI: "/", query: [("Action", "ListUsers"), ("Version", "2010-05-08")],
                           headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
                                     ("Host", "iam.amazonaws.com"), ("X-Amz-Date", "20150830T123600Z")],
                           payloadSHA256: SigV4.emptyPayloadSHA256, credentials: Self.suiteCredentials,
                           region: "us-east-1", service: "iam", date: Self.suiteDate)
        #expect(s.stringToSign == """
            AWS4-HMAC-SHA256
            20150830T123600Z
            20150830/us-east-1/iam/aws4_request
            f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59
            """)
        #expect(s.signature == "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7")
    }

    // MARK: Encoding rules (from the S3 UriEncode() description)

    @Test func uriEncoding() {
        #expect(SigV4.uriEncode("a b") == "a%20b")
        #expect(SigV4.uriEncode("a+b=c") == "a%2Bb%3Dc")
        #expect(SigV4.uriEncode("a/b") == "a%2Fb")
        #expect(SigV4.uriEncode("a/b", encodeSlash: false) == "a/b")
        #expect(SigV4.uriEncode("A-z_0.9~") == "A-z_0.9~")
        #expect(SigV4.uriEncode("ü") == "%C3%BC")
        #expect(SigV4.uriEncode("100%") == "100%25")
        #expect(SigV4.canonicalURI(path: "") == "/")
        #expect(SigV4.canonicalURI(path: "/bucket/dir one/f+g=h ü") == "/bucket/dir%20one/f%2Bg%3Dh%20%C3%BC")
        #expect(SigV4.canonicalQuery([("prefix", "a/b c"), ("list-type", "2"), ("continuation-token", "x+y/z=")])
                == "continuation-token=x%2By%2Fz%3D&list-type=2&prefix=a%2Fb%20c")
    }

    @Test func headerNormalisation() {
        let h = SigV4.canonicalHeaders([("My-Header1", "  a   b   c  "), ("host", "x"), ("my-header1", "d")])
        #expect(h.canonical == "host:x\nmy-header1:a b c,d\n")
        #expect(h.signed == "host;my-header1")
    }
}
