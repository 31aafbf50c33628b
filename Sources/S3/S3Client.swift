import Foundation
import MLOpsBasics
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One object in a listing. `key` is relative to the location's prefix.
public struct S3Object: Sendable, Equatable {
    public var key: String
    public var size: Int64
    public var lastModified: Date

    public init(key: String, size: Int64, lastModified: Date) {
        self.key = key
        self.size = size
        self.lastModified = lastModified
    }
}

/// A small, synchronous S3 object client: every call blocks until the server answers.
///
/// Requests are signed with SigV4 (header form, signed payload) and sent with Foundation's
/// URLSession (libcurl underneath on Linux). Safe to use from several threads at once; the
/// session keeps a pool of connections per host. Never retries: a failure is thrown as an
/// `S3Error` and the caller decides with `isRetriable`.
///
/// Keys are relative to `location.prefix`.
public final class S3Client: @unchecked Sendable {
    public let location: S3Location
    public let credentials: S3Credentials
    /// Seconds without progress before a request fails with a `Timeout` error.
    public let timeout: TimeInterval
    private let session: URLSession

    /// S3's smallest part (all but the last) of a multipart upload.
    public static let minimumPartSize = 5 << 20
    /// S3's largest single PUT, and largest part.
    public static let maximumPartSize = 5 << 30
    /// S3's limit on the number of parts of one upload.
    public static let maximumParts = 10_000

    public init(location: S3Location, credentials: S3Credentials, timeout: TimeInterval = 60) {
        self.location = location
        self.credentials = credentials
        self.timeout = timeout
        let config = URLSessionConfiguration.ephemeral
        config.timeoutIntervalForRequest = timeout
        config.requestCachePolicy = .reloadIgnoringLocalCacheData
        config.urlCache = nil
        config.httpCookieStorage = nil
        config.httpShouldSetCookies = false
        config.httpMaximumConnectionsPerHost = 16
        // URLSession would follow a redirect itself, sending the same Authorization and session
        // token to whatever host the answer names; `send` decides instead.
        session = URLSession(configuration: config, delegate: RedirectRefuser(), delegateQueue: nil)
    }

    deinit {
        session.finishTasksAndInvalidate()
    }

    // MARK: Objects

    /// Uploads `bytes` as one object with a single PUT (up to 5 GiB; use `putFile` for files).
    public func put(_ key: String, bytes: [UInt8]) throws {
        let full = try fullKey(key)
        try putObject(full, Data(bytes))
    }

    /// Uploads a file. Files up to `partSize` go in a single PUT; larger ones as a multipart
    /// upload (CreateMultipartUpload, UploadPart for each `partSize` slice, read with `pread` one
    /// at a time, CompleteMultipartUpload), aborted when any step fails.
    ///
    /// `partSize` is raised to S3's minimum of 5 MiB and, for very large files, until the
    /// upload fits in 10,000 parts.
    public func putFile(_ key: String, path: String, partSize: Int = 16 << 20) throws {
        let full = try fullKey(key)
        let fd = try FileDescriptor.open(path, O_RDONLY)
        defer { fd.close() }
        guard let size = fd.stat()?.size else { throw SystemError("fstat", path, errno: errno) }
        let part = S3Client.effectivePartSize(fileSize: size, requested: partSize)
        if size <= Int64(part) {
            try putObject(full, try readChunk(fd, offset: 0, count: Int(size)))
            return
        }
        let uploadID = try createMultipartUpload(full)
        do {
            var etags: [String] = []
            var offset: Int64 = 0
            while offset < size {
                let count = Int(min(Int64(part), size - offset))
                let chunk = try readChunk(fd, offset: offset, count: count)
                etags.append(try uploadPart(full, uploadID: uploadID, number: etags.count + 1, chunk))
                offset += Int64(count)
            }
            try completeMultipartUpload(full, uploadID: uploadID, etags: etags)
        } catch {
            try? abortMultipartUpload(full, uploadID: uploadID)
            throw error
        }
    }

    /// The part size `putFile` uses for a file of `fileSize` bytes.
    public static func effectivePartSize(fileSize: Int64, requested: Int) -> Int {
        var part = min(max(requested, minimumPartSize), maximumPartSize)
        let needed = (fileSize + Int64(maximumParts) - 1) / Int64(maximumParts)
        if Int64(part) < needed {
            part = Int((needed + Int64(1 << 20) - 1) / Int64(1 << 20)) << 20
        }
        return part
    }

    /// The whole object.
    public func get(_ key: String) throws -> [UInt8] {
        let full = try fullKey(key)
        let r = try send("GET", fullKey: full)
        try check(r, full)
        return [UInt8](r.body)
    }

    /// The bytes `range` of an object (`Range: bytes=lower-(upper-1)`). A range reaching past the
    /// end returns the bytes that exist; one starting past the end throws `InvalidRange`.
    public func get(_ key: String, range: Range<Int64>) throws -> [UInt8] {
        let full = try fullKey(key)
        precondition(range.lowerBound >= 0, "negative byte range")
        if range.isEmpty { return [] }
        let r = try send("GET", fullKey: full, headers: [("range", "bytes=\(range.lowerBound)-\(range.upperBound - 1)")])
        try check(r, full)
        if r.status == 206 { return [UInt8](r.body) }
        // A 200 means the server ignored the Range header and sent the whole object.
        let lo = Int(min(range.lowerBound, Int64(r.body.count)))
        let hi = Int(min(range.upperBound, Int64(r.body.count)))
        return [UInt8](r.body[r.body.startIndex + lo ..< r.body.startIndex + hi])
    }

    /// The object's size, or nil when there is no such object.
    ///
    /// A HEAD response has no body, so a missing bucket also reads as nil here; `get`, `put` and
    /// `list` report it as `NoSuchBucket`.
    public func head(_ key: String) throws -> Int64? {
        let full = try fullKey(key)
        let r = try send("HEAD", fullKey: full)
        if r.status == 404 { return nil }
        try check(r, full)
        guard let length = r.headers["content-length"].flatMap({ Int64($0) }) else {
            throw S3Error(status: r.status, code: "MissingContentLength", message: "the HEAD response has no Content-Length",
                          bucket: location.bucket, key: full, endpoint: location.endpointDescription, region: location.region)
        }
        return length
    }

    /// Every object whose key starts with `prefix` (relative to the location's prefix), in key
    /// order, following ListObjectsV2 continuation tokens.
    public func list(prefix: String) throws -> [S3Object] {
        let fullPrefix = location.prefix.isEmpty ? prefix : location.prefix + "/" + prefix
        let strip = location.prefix.isEmpty ? 0 : location.prefix.utf8.count + 1
        var out: [S3Object] = []
        var token: String?
        repeat {
            var query = [("list-type", "2"), ("prefix", fullPrefix)]
            if let token { query.append(("continuation-token", token)) }
            let r = try send("GET", fullKey: nil, query: query)
            try check(r, fullPrefix.isEmpty ? nil : fullPrefix)
            let page = try parseListing(r.body, fullPrefix: fullPrefix)
            for o in page.objects where o.key.utf8.starts(with: fullPrefix.utf8) {
                let relative = String(decoding: o.key.utf8.dropFirst(strip), as: UTF8.self)
                out.append(S3Object(key: relative, size: o.size, lastModified: o.lastModified))
            }
            if page.truncated && (page.nextToken == nil || page.nextToken == token) {
                throw S3Error(status: r.status, code: "MalformedResponse",
                              message: "ListObjectsV2 says the listing is truncated but gives no new continuation token",
                              bucket: location.bucket, key: fullPrefix, endpoint: location.endpointDescription, region: location.region)
            }
            token = page.nextToken
        } while token != nil
        return out
    }

    /// Deletes an object; deleting one that does not exist is not an error.
    public func delete(_ key: String) throws {
        let full = try fullKey(key)
        let r = try send("DELETE", fullKey: full)
        if r.status == 404, errorCode(r) == "NoSuchKey" { return }
        try check(r, full)
    }

    /// Creates the bucket (with a LocationConstraint outside us-east-1). A bucket that already
    /// exists is fine when these credentials can use it.
    public func createBucket() throws {
        var body: Data?
        if location.region != S3Location.defaultRegion {
            body = Data(("<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                + "<LocationConstraint>\(MiniXML.escape(location.region))</LocationConstraint></CreateBucketConfiguration>").utf8)
        }
        let r = try send("PUT", fullKey: nil, headers: body == nil ? [] : [("content-type", "application/xml")], body: body ?? Data())
        if (200..<300).contains(r.status) { return }
        let error = makeError(r, nil)
        if error.code == "BucketAlreadyOwnedByYou" { return }
        if error.code == "BucketAlreadyExists" {
            // Some servers say this for a bucket of our own; it is ours if we can use it.
            let probe = try send("HEAD", fullKey: nil)
            if (200..<300).contains(probe.status) { return }
        }
        throw error
    }

    // MARK: Multipart

    func createMultipartUpload(_ full: String) throws -> String {
        let r = try send("POST", fullKey: full, query: [("uploads", "")], headers: [("content-type", "application/octet-stream")])
        try check(r, full)
        guard let id = MiniXML.parse(r.body)?["UploadId"], !id.isEmpty else {
            throw S3Error(status: r.status, code: "MalformedResponse", message: "CreateMultipartUpload returned no UploadId",
                          bucket: location.bucket, key: full, endpoint: location.endpointDescription, region: location.region)
        }
        return id
    }

    private func uploadPart(_ full: String, uploadID: String, number: Int, _ data: Data) throws -> String {
        let r = try send("PUT", fullKey: full, query: [("partNumber", String(number)), ("uploadId", uploadID)], body: data)
        try check(r, full)
        guard let etag = r.headers["etag"], !etag.isEmpty else {
            throw S3Error(status: r.status, code: "MalformedResponse", message: "UploadPart \(number) returned no ETag",
                          bucket: location.bucket, key: full, endpoint: location.endpointDescription, region: location.region)
        }
        return etag
    }

    private func completeMultipartUpload(_ full: String, uploadID: String, etags: [String]) throws {
        var xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        for (i, etag) in etags.enumerated() {
            xml += "<Part><PartNumber>\(i + 1)</PartNumber><ETag>\(MiniXML.escape(etag))</ETag></Part>"
        }
        xml += "</CompleteMultipartUpload>"
        let r = try send("POST", fullKey: full, query: [("uploadId", uploadID)],
                         headers: [("content-type", "application/xml")], body: Data(xml.utf8))
        try check(r, full)
        // S3 may answer 200 and still report a failure in the body.
        if let root = MiniXML.parse(r.body), root.name == "Error" {
            throw errorFrom(root, status: r.status, headers: r.headers, full)
        }
    }

    func abortMultipartUpload(_ full: String, uploadID: String) throws {
        let r = try send("DELETE", fullKey: full, query: [("uploadId", uploadID)])
        try check(r, full)
    }

    private func readChunk(_ fd: FileDescriptor, offset: Int64, count: Int) throws -> Data {
        var data = Data(count: count)
        let n = try data.withUnsafeMutableBytes { buf -> Int in
            guard count > 0 else { return 0 }
            return try fd.pread(into: buf.baseAddress!, count: count, offset: offset)
        }
        if n != count {
            throw MLOpsError("\(fd.path) changed size while it was being uploaded", hint: "leave the file alone until the upload finishes, then retry")
        }
        return data
    }

    // MARK: Requests

    private func putObject(_ full: String, _ data: Data) throws {
        let r = try send("PUT", fullKey: full, headers: [("content-type", "application/octet-stream")], body: data)
        try check(r, full)
    }

    /// A key relative to the prefix, checked, as the full object key.
    func fullKey(_ key: String) throws -> String {
        if key.isEmpty || key.hasPrefix("/") || key.utf8.count > 1024 - location.prefix.utf8.count - 1
            || key.split(separator: "/", omittingEmptySubsequences: false).contains(where: { $0 == "." || $0 == ".." }) {
            throw MLOpsError("'\(key)' is not a usable S3 key",
                             hint: "keys must be non-empty, at most 1024 bytes with the prefix, not start with '/' and have no '.' or '..' segments")
        }
        return location.fullKey(key)
    }

    struct Response {
        var status: Int
        /// Lower-cased names.
        var headers: [String: String]
        var body: Data
    }

    /// Redirects followed (each re-signed) before giving up.
    static let maximumRedirects = 5

    /// Signs and sends one request; returns any HTTP answer, throws `S3Error` when none arrived.
    ///
    /// Credentials go only to the host the request was signed for. A redirect to the same scheme,
    /// host and port is signed again for its new path and query (a signature covers both, so it is
    /// never replayed); a redirect anywhere else is refused with an error naming where it pointed.
    func send(_ method: String, fullKey: String?, query: [(String, String)] = [],
              headers extra: [(String, String)] = [], body: Data? = nil) throws -> Response {
        var target = location.target(fullKey: fullKey, query: query)
        var query = query
        for _ in 0...S3Client.maximumRedirects {
            let r = try sendOnce(method, target: target, query: query, headers: extra, body: body, fullKey: fullKey)
            guard [301, 302, 307, 308].contains(r.status), let to = r.headers["location"] else { return r }
            guard let next = location.sameOriginTarget(to, from: target) else {
                var e = makeError(r, fullKey)
                e.code = "RedirectRefused"
                e.message = S3Location.origin(of: to, relativeTo: target.url) ?? to
                throw e
            }
            (target, query) = next
        }
        throw S3Error(status: 0, code: S3Error.networkError, message: "more than \(S3Client.maximumRedirects) redirects",
                      bucket: location.bucket, key: fullKey, endpoint: location.endpointDescription, region: location.region)
    }

    private func sendOnce(_ method: String, target: S3Location.Target, query: [(String, String)], headers extra: [(String, String)],
                          body: Data?, fullKey: String?) throws -> Response {
        let date = Date()
        let payloadHash = body.map { SigV4.sha256Hex($0) } ?? SigV4.emptyPayloadSHA256
        var headers: [(String, String)] = [
            ("host", target.hostHeader),
            ("x-amz-content-sha256", payloadHash),
            ("x-amz-date", SigV4.amzDate(date)),
        ]
        if let token = credentials.sessionToken { headers.append(("x-amz-security-token", token)) }
        headers += extra
        let signed = SigV4.sign(method: method, canonicalURI: target.canonicalURI, query: query, headers: headers,
                                payloadSHA256: payloadHash, credentials: credentials, region: location.region, date: date)

        var request = URLRequest(url: target.url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        request.httpMethod = method
        for (name, value) in headers where name != "host" { request.setValue(value, forHTTPHeaderField: name) }
        request.setValue(signed.authorization, forHTTPHeaderField: "Authorization")
        // libcurl otherwise offers gzip/br/zstd and silently decodes: bytes must arrive as stored.
        request.setValue("identity", forHTTPHeaderField: "Accept-Encoding")
        request.setValue("git-mlops", forHTTPHeaderField: "User-Agent")

        final class Outcome: @unchecked Sendable {
            var data: Data?
            var response: URLResponse?
            var error: Error?
        }
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        let handler: @Sendable (Data?, URLResponse?, Error?) -> Void = { data, response, error in
            outcome.data = data
            outcome.response = response
            outcome.error = error
            done.signal()
        }
        let task: URLSessionTask
        if let body {
            task = session.uploadTask(with: request, from: body, completionHandler: handler)
        } else {
            task = session.dataTask(with: request, completionHandler: handler)
        }
        task.resume()
        done.wait()

        if let error = outcome.error {
            throw transportError(error, fullKey)
        }
        guard let http = outcome.response as? HTTPURLResponse else {
            throw S3Error(status: 0, code: S3Error.networkError, message: "no HTTP response", bucket: location.bucket,
                          key: fullKey, endpoint: location.endpointDescription, region: location.region)
        }
        var lower: [String: String] = [:]
        for (k, v) in http.allHeaderFields {
            if let k = k as? String, let v = v as? String { lower[k.lowercased()] = v }
        }
        return Response(status: http.statusCode, headers: lower, body: outcome.data ?? Data())
    }

    func check(_ r: Response, _ fullKey: String?) throws {
        if (200..<300).contains(r.status) { return }
        throw makeError(r, fullKey)
    }

    func errorCode(_ r: Response) -> String? {
        MiniXML.parse(r.body).flatMap { $0.name == "Error" ? $0["Code"] : nil }
    }

    func makeError(_ r: Response, _ fullKey: String?) -> S3Error {
        if let root = MiniXML.parse(r.body), root.name == "Error" {
            return errorFrom(root, status: r.status, headers: r.headers, fullKey)
        }
        // No XML body (HEAD, or a proxy in the way): name the status.
        let code: String
        switch r.status {
        case 301: code = "PermanentRedirect"
        case 307: code = "TemporaryRedirect"
        case 400: code = "BadRequest"
        case 403: code = "Forbidden"
        case 404: code = fullKey == nil ? "NoSuchBucket" : "NotFound"
        case 412: code = "PreconditionFailed"
        case 416: code = "InvalidRange"
        case 429: code = "TooManyRequests"
        case 500: code = "InternalError"
        case 503: code = "ServiceUnavailable"
        default: code = "HTTP\(r.status)"
        }
        let text = String(decoding: r.body.prefix(200), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return S3Error(status: r.status, code: r.headers["x-amz-error-code"] ?? code,
                       message: r.headers["x-amz-error-message"] ?? text,
                       bucket: location.bucket, key: fullKey, endpoint: location.endpointDescription, region: location.region,
                       bucketRegion: r.headers["x-amz-bucket-region"], requestID: r.headers["x-amz-request-id"])
    }

    func errorFrom(_ root: MiniXML, status: Int, headers: [String: String], _ fullKey: String?) -> S3Error {
        S3Error(status: status, code: root["Code"] ?? "HTTP\(status)", message: root["Message"] ?? "",
                bucket: location.bucket, key: fullKey, endpoint: location.endpointDescription, region: location.region,
                bucketRegion: headers["x-amz-bucket-region"] ?? root["Region"],
                requestID: root["RequestId"] ?? headers["x-amz-request-id"])
    }

    private func transportError(_ error: Error, _ fullKey: String?) -> S3Error {
        let endpoint = location.endpointDescription
        var code = S3Error.networkError
        var message = "\(error.localizedDescription)"
        if let u = error as? URLError {
            switch u.code {
            case .timedOut:
                code = S3Error.timeout
                message = "no response from \(endpoint) within \(Int(timeout.rounded())) s"
            case .cannotConnectToHost:
                code = S3Error.connectionFailed
                message = "cannot connect to \(endpoint) (connection refused)"
            case .cannotFindHost, .dnsLookupFailed:
                code = S3Error.connectionFailed
                message = "cannot connect to \(endpoint) (host not found)"
            case .networkConnectionLost:
                code = S3Error.connectionFailed
                message = "the connection to \(endpoint) was lost"
            case .notConnectedToInternet:
                code = S3Error.connectionFailed
                message = "cannot connect to \(endpoint) (no network)"
            case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate,
                 .serverCertificateNotYetValid, .serverCertificateHasUnknownRoot, .clientCertificateRejected,
                 .clientCertificateRequired:
                code = S3Error.tlsError
                message = "secure connection to \(endpoint) failed"
            default:
                message = "\(u.localizedDescription) (URLError \(u.code.rawValue))"
            }
        }
        return S3Error(status: 0, code: code, message: message, bucket: location.bucket, key: fullKey,
                       endpoint: endpoint, region: location.region)
    }

    // MARK: Listing

    struct ListPage {
        var objects: [S3Object]
        var truncated: Bool
        var nextToken: String?
    }

    private func parseListing(_ body: Data, fullPrefix: String) throws -> ListPage {
        guard let root = MiniXML.parse(body), root.name == "ListBucketResult" else {
            throw S3Error(status: 200, code: "MalformedResponse", message: "ListObjectsV2 did not return a ListBucketResult",
                          bucket: location.bucket, key: fullPrefix, endpoint: location.endpointDescription, region: location.region)
        }
        return S3Client.listPage(root)
    }

    static func listPage(_ root: MiniXML) -> ListPage {
        let objects = root.children("Contents").compactMap { c -> S3Object? in
            guard let key = c["Key"] else { return nil }
            return S3Object(key: key, size: Int64(c["Size"] ?? "") ?? 0,
                            lastModified: parseISO8601(c["LastModified"] ?? "") ?? Date(timeIntervalSince1970: 0))
        }
        let truncated = root["IsTruncated"] == "true"
        let token = root["NextContinuationToken"].flatMap { $0.isEmpty ? nil : $0 }
        return ListPage(objects: objects, truncated: truncated, nextToken: truncated ? token : nil)
    }

    /// `2009-10-12T17:50:30.000Z` (fraction optional).
    static func parseISO8601(_ s: String) -> Date? {
        let u = Array(s.utf8)
        func num(_ a: Int, _ n: Int) -> Int? {
            guard a + n <= u.count else { return nil }
            var v = 0
            for c in u[a..<a + n] {
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            return v
        }
        guard u.count >= 19, let y = num(0, 4), let mo = num(5, 2), let d = num(8, 2),
              let h = num(11, 2), let mi = num(14, 2), let sec = num(17, 2) else { return nil }
        var t = tm()
        t.tm_year = Int32(y - 1900); t.tm_mon = Int32(mo - 1); t.tm_mday = Int32(d)
        t.tm_hour = Int32(h); t.tm_min = Int32(mi); t.tm_sec = Int32(sec)
        var seconds = Double(timegm(&t))
        if u.count > 20, u[19] == UInt8(ascii: ".") {
            var j = 20, scale = 0.1
            while j < u.count, u[j] >= 48, u[j] <= 57 { seconds += Double(u[j] - 48) * scale; scale /= 10; j += 1 }
        }
        return Date(timeIntervalSince1970: seconds)
    }
}

/// Refuses every redirect URLSession would follow on its own, so the 3xx answer comes back to `send`.
private final class RedirectRefuser: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
        completionHandler(nil)
    }
}
