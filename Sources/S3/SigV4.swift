import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// AWS Signature Version 4, header form (`Authorization: AWS4-HMAC-SHA256 Credential=...`).
///
/// Pure functions, one per step of the published algorithm, so that tests can check every
/// intermediate against the AWS examples:
///
///     CanonicalRequest = Method \n CanonicalURI \n CanonicalQuery \n CanonicalHeaders \n
///                        SignedHeaders \n HexSHA256(payload)
///     StringToSign     = "AWS4-HMAC-SHA256" \n amzDate \n date/region/service/aws4_request \n
///                        HexSHA256(CanonicalRequest)
///     SigningKey       = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")
///     Signature        = Hex(HMAC(SigningKey, StringToSign))
///
/// S3 flavour: the canonical URI is the path encoded once (`/` kept) and never normalised.
public enum SigV4 {
    public static let algorithm = "AWS4-HMAC-SHA256"
    /// Hex SHA-256 of the empty string: the payload hash of every request without a body.
    public static let emptyPayloadSHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    // MARK: Dates

    /// `20130524T000000Z`: the `x-amz-date` header and the second line of the string to sign.
    public static func amzDate(_ date: Date) -> String {
        let t = utc(date)
        return pad(t.year, 4) + pad(t.month, 2) + pad(t.day, 2) + "T" + pad(t.hour, 2) + pad(t.minute, 2) + pad(t.second, 2) + "Z"
    }

    /// `20130524`: the date in the credential scope and the first step of the signing key.
    public static func dateStamp(_ date: Date) -> String {
        let t = utc(date)
        return pad(t.year, 4) + pad(t.month, 2) + pad(t.day, 2)
    }

    // MARK: Canonical request

    /// S3's `UriEncode()`: every byte except the unreserved `A-Z a-z 0-9 - . _ ~` (and `/` when
    /// `encodeSlash` is false) becomes `%XX` with upper-case hex; UTF-8 is encoded byte by byte.
    public static func uriEncode(_ s: String, encodeSlash: Bool = true) -> String {
        let hex: [UInt8] = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count)
        for c in s.utf8 {
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(c)
            case UInt8(ascii: "/") where !encodeSlash:
                out.append(c)
            default:
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(c >> 4)])
                out.append(hex[Int(c & 0xf)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The canonical URI of a raw (unencoded) path: each segment encoded, `/` kept, `/` when empty.
    public static func canonicalURI(path: String) -> String {
        uriEncode(path.hasPrefix("/") ? path : "/" + path, encodeSlash: false)
    }

    /// Raw name/value pairs, each encoded, sorted by encoded name then value (byte order), joined
    /// with `&`. A parameter without a value is `name=`.
    public static func canonicalQuery(_ query: [(String, String)]) -> String {
        query.map { (uriEncode($0.0), uriEncode($0.1)) }
            .sorted { a, b in
                a.0 != b.0 ? a.0.utf8.lexicographicallyPrecedes(b.0.utf8) : a.1.utf8.lexicographicallyPrecedes(b.1.utf8)
            }
            .map { "\($0.0)=\($0.1)" }
            .joined(separator: "&")
    }

    /// Names lower-cased and sorted; values trimmed, inner runs of spaces collapsed, repeated names
    /// joined with `,`. Returns the canonical header block (every line ends in `\n`) and the
    /// signed-headers list (`host;range;x-amz-date`).
    public static func canonicalHeaders(_ headers: [(String, String)]) -> (canonical: String, signed: String) {
        var merged: [String: [String]] = [:]
        for (name, value) in headers {
            merged[name.lowercased(), default: []].append(normalizeValue(value))
        }
        let names = merged.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let canonical = names.map { "\($0):\(merged[$0]!.joined(separator: ","))\n" }.joined()
        return (canonical, names.joined(separator: ";"))
    }

    /// `canonicalURI` is already encoded (see `canonicalURI(path:)`); `query` is raw.
    public static func canonicalRequest(method: String, canonicalURI: String, query: [(String, String)],
                                        headers: [(String, String)], payloadSHA256: String) -> String {
        let h = canonicalHeaders(headers)
        return [method, canonicalURI, canonicalQuery(query), h.canonical, h.signed, payloadSHA256]
            .joined(separator: "\n")
    }

    // MARK: Signing

    /// `20130524/us-east-1/s3/aws4_request`.
    public static func credentialScope(date: Date, region: String, service: String) -> String {
        "\(dateStamp(date))/\(region)/\(service)/aws4_request"
    }

    public static func stringToSign(canonicalRequest: String, date: Date, region: String, service: String) -> String {
        [algorithm, amzDate(date), credentialScope(date: date, region: region, service: service),
         sha256Hex(Array(canonicalRequest.utf8))].joined(separator: "\n")
    }

    public static func signingKey(secretAccessKey: String, date: Date, region: String, service: String) -> [UInt8] {
        var key = hmac(Array("AWS4\(secretAccessKey)".utf8), dateStamp(date))
        key = hmac(key, region)
        key = hmac(key, service)
        return hmac(key, "aws4_request")
    }

    public static func signature(stringToSign: String, signingKey: [UInt8]) -> String {
        hex(hmac(signingKey, stringToSign))
    }

    /// `AWS4-HMAC-SHA256 Credential=AKID/20130524/us-east-1/s3/aws4_request, SignedHeaders=..., Signature=...`
    public static func authorization(accessKeyID: String, credentialScope: String, signedHeaders: String,
                                     signature: String) -> String {
        "\(algorithm) Credential=\(accessKeyID)/\(credentialScope), SignedHeaders=\(signedHeaders), Signature=\(signature)"
    }

    /// The whole chain for one request. `headers` must be exactly the headers sent and signed:
    /// at least `host` and `x-amz-date`, for S3 also `x-amz-content-sha256`, and
    /// `x-amz-security-token` with temporary credentials.
    public static func sign(method: String, canonicalURI: String, query: [(String, String)],
                            headers: [(String, String)], payloadSHA256: String,
                            credentials: S3Credentials, region: String, service: String = "s3",
                            date: Date) -> Signed {
        let creq = canonicalRequest(method: method, canonicalURI: canonicalURI, query: query,
                                    headers: headers, payloadSHA256: payloadSHA256)
        let sts = stringToSign(canonicalRequest: creq, date: date, region: region, service: service)
        let key = signingKey(secretAccessKey: credentials.secretAccessKey, date: date, region: region, service: service)
        let sig = signature(stringToSign: sts, signingKey: key)
        let auth = authorization(accessKeyID: credentials.accessKeyID,
                                 credentialScope: credentialScope(date: date, region: region, service: service),
                                 signedHeaders: canonicalHeaders(headers).signed, signature: sig)
        return Signed(canonicalRequest: creq, stringToSign: sts, signature: sig, authorization: auth)
    }

    /// Every intermediate of one signature, for tests and for debugging a `SignatureDoesNotMatch`.
    public struct Signed: Sendable {
        public var canonicalRequest: String
        public var stringToSign: String
        public var signature: String
        /// The `Authorization` header value.
        public var authorization: String
    }

    // MARK: Hashing

    /// Lower-case hex SHA-256: the `x-amz-content-sha256` value of a payload.
    public static func sha256Hex<D: DataProtocol>(_ bytes: D) -> String {
        hex(SHA256.hash(data: bytes))
    }

    static func hmac(_ key: [UInt8], _ message: String) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Array(message.utf8), using: SymmetricKey(data: key)))
    }

    static func hex<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xf)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: Helpers

    private static func normalizeValue(_ v: String) -> String {
        var out = ""
        var lastSpace = false
        for ch in v.trimmingCharacters(in: .whitespaces) {
            if ch == " " {
                if !lastSpace { out.append(ch) }
                lastSpace = true
            } else {
                out.append(ch)
                lastSpace = false
            }
        }
        return out
    }

    private struct UTCTime { var year, month, day, hour, minute, second: Int }

    private static func utc(_ date: Date) -> UTCTime {
        var t = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&t, &parts)
        return UTCTime(year: Int(parts.tm_year) + 1900, month: Int(parts.tm_mon) + 1, day: Int(parts.tm_mday),
                       hour: Int(parts.tm_hour), minute: Int(parts.tm_min), second: Int(parts.tm_sec))
    }

    private static func pad(_ n: Int, _ width: Int) -> String {
        let s = String(n)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}
