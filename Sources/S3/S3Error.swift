import Foundation

/// A failed S3 request: the server's answer (status and S3 error code), or a transport failure
/// (`status` 0, `code` one of `Timeout`, `ConnectionFailed`, `TLSError`, `NetworkError`).
///
/// `description` is one line that names the bucket or object and says what to do. Callers decide
/// whether to try again with `isRetriable`; the client itself never retries.
public struct S3Error: Error, CustomStringConvertible, Sendable, Equatable {
    /// HTTP status, 0 when no response arrived.
    public var status: Int
    /// The S3 error code (`NoSuchBucket`, `SignatureDoesNotMatch`, `SlowDown`...) or a transport code.
    public var code: String
    /// The server's message, or what went wrong on the way.
    public var message: String
    public var bucket: String
    /// The full object key (prefix included), nil for a bucket-level request.
    public var key: String?
    /// The server, as the user wrote it (`http://127.0.0.1:8333`, `https://s3.us-east-1.amazonaws.com`).
    public var endpoint: String
    /// The region the request was signed for.
    public var region: String
    /// The bucket's region when the server names it (`x-amz-bucket-region`, `<Region>`).
    public var bucketRegion: String?
    public var requestID: String?

    public init(status: Int, code: String, message: String, bucket: String, key: String?, endpoint: String,
                region: String = S3Location.defaultRegion, bucketRegion: String? = nil, requestID: String? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.bucket = bucket
        self.key = key
        self.endpoint = endpoint
        self.region = region
        self.bucketRegion = bucketRegion
        self.requestID = requestID
    }

    /// Transport codes (status 0).
    public static let timeout = "Timeout"
    public static let connectionFailed = "ConnectionFailed"
    public static let tlsError = "TLSError"
    public static let networkError = "NetworkError"

    static let credentialCodes: Set<String> = [
        "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken", "TokenRefreshRequired",
        "InvalidClientTokenId", "AuthorizationHeaderMalformed", "InvalidSecurity", "MissingSecurityHeader",
    ]
    static let retriableCodes: Set<String> = [
        "SlowDown", "Throttling", "ThrottlingException", "RequestThrottled", "TooManyRequests",
        "RequestTimeout", "InternalError", "ServiceUnavailable", "IncompleteBody", "XAmzContentSHA256Mismatch", "BadDigest",
    ]

    /// True when the same request may succeed later: timeouts, connection failures, 5xx, 429,
    /// `SlowDown` and other throttling, `RequestTimeout`, `InternalError`, a body that arrived damaged.
    /// False for everything the user has to fix: credentials, missing bucket, permissions, TLS.
    public var isRetriable: Bool {
        if status == 0 { return code == S3Error.timeout || code == S3Error.connectionFailed || code == S3Error.networkError }
        if status >= 500 || status == 429 { return true }
        return S3Error.retriableCodes.contains(code)
    }

    /// True for a credential problem (wrong key, wrong secret, expired token).
    public var isCredentialError: Bool {
        S3Error.credentialCodes.contains(code) && !(code == "AuthorizationHeaderMalformed" && bucketRegion != nil)
    }

    /// `s3://bucket/key` or `s3://bucket`.
    public var resource: String {
        guard let key, !key.isEmpty else { return "s3://\(bucket)" }
        return "s3://\(bucket)/\(key)"
    }

    public var description: String {
        let line = describe()
        return line.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).joined(separator: " ")
    }

    private func describe() -> String {
        let res = resource
        let creds = "check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE"
        if status == 0 {
            switch code {
            case S3Error.timeout:
                return "\(res): \(message) (timeout); check the network and the endpoint, then retry"
            case S3Error.connectionFailed:
                return "\(res): \(message); check that the server is running and that the endpoint \(endpoint) is right"
            case S3Error.tlsError:
                return "\(res): \(message) (TLS); check the server's certificate, or use http:// for a local server"
            default:
                return "\(res): network error talking to \(endpoint): \(message); retry later"
            }
        }
        if let bucketRegion, bucketRegion != region,
           ["PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException", "Redirect", "TemporaryRedirect"].contains(code)
            || status == 301 || status == 307 {
            return "bucket '\(bucket)' is in region \(bucketRegion), not \(region); set the remote's region to \(bucketRegion)"
        }
        switch code {
        case "RedirectRefused":
            return "\(res): \(endpoint) redirected the request to \(message), another host; credentials are only sent to the endpoint they were signed for: if that host is the right one, make it the remote's endpoint"
        case "NoSuchBucket":
            return "bucket '\(bucket)' does not exist at \(endpoint); create it or fix the remote URL"
        case "NoSuchKey":
            return "\(res): no such object"
        case "ExpiredToken", "TokenRefreshRequired":
            return "\(res): the session token has expired (\(code)); get fresh credentials (AWS_SESSION_TOKEN) or \(creds)"
        case _ where isCredentialError:
            return "\(res): the server rejected the credentials (\(code)); \(creds)"
        case "AccessDenied", "AllAccessDisabled", "Forbidden":
            return "\(res): access denied (\(code)); the credentials lack permission here: \(creds), or check the bucket policy"
        case "RequestTimeTooSkewed":
            return "\(res): the local clock is too far from the server's (RequestTimeTooSkewed); fix the system time"
        case "BucketAlreadyExists":
            return "bucket '\(bucket)' already exists and belongs to someone else; choose another bucket name"
        case "InvalidBucketName":
            return "bucket name '\(bucket)' was rejected by \(endpoint) (InvalidBucketName); fix the remote URL"
        case "NoSuchUpload":
            return "\(res): the multipart upload was aborted or expired (NoSuchUpload); upload the file again"
        case "InvalidRange":
            return "\(res): the requested byte range is outside the object (InvalidRange)"
        case "EntityTooLarge", "EntityTooSmall":
            return "\(res): the server refused the part size (\(code)); \(message)"
        default:
            break
        }
        let what = message.isEmpty ? "\(code) (HTTP \(status))" : "\(code) (HTTP \(status)): \(message)"
        if status == 429 || code == "SlowDown" || code.hasPrefix("Throttl") {
            return "\(res): the server asks to slow down, \(what); retry later"
        }
        if status >= 500 {
            return "\(res): server error at \(endpoint), \(what); retry later"
        }
        return "\(res): \(what)"
    }
}
