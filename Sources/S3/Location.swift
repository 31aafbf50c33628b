import Foundation
import MLOpsBasics

/// Where a remote lives: a bucket, a key prefix inside it, and the server.
///
/// With no `endpoint`, requests go to AWS in virtual-host style
/// (`https://BUCKET.s3.REGION.amazonaws.com/KEY`; path style on `s3.REGION.amazonaws.com` for
/// bucket names with dots, which the wildcard TLS certificate does not cover). With an
/// `endpoint` (MinIO, SeaweedFS, Ceph, R2...), requests are path style:
/// `ENDPOINT/BUCKET/KEY`.
public struct S3Location: Sendable, Equatable, CustomStringConvertible {
    public var bucket: String
    /// Key prefix without leading or trailing `/`; empty for the bucket root.
    public var prefix: String
    /// nil for AWS itself.
    public var endpoint: URL?
    public var region: String

    public static let defaultRegion = "us-east-1"

    public init(bucket: String, prefix: String = "", endpoint: URL? = nil, region: String = S3Location.defaultRegion) {
        self.bucket = bucket
        self.prefix = S3Location.trimSlashes(prefix)
        self.endpoint = endpoint
        self.region = region
    }

    /// Parses `s3://bucket` or `s3://bucket/some/prefix`; `endpoint` like `http://127.0.0.1:8333`
    /// (nil or empty for AWS); `region` nil or empty for `us-east-1`.
    public init(url: String, endpoint: String?, region: String?) throws {
        let text = url.trimmingCharacters(in: .whitespaces)
        guard text.lowercased().hasPrefix("s3://") else {
            throw MLOpsError("'\(url)' is not an S3 URL", hint: "write it as s3://BUCKET or s3://BUCKET/PREFIX")
        }
        let rest = text.dropFirst(5)
        let bucket = String(rest.prefix { $0 != "/" })
        let prefix = String(rest.dropFirst(bucket.count))
        if let problem = S3Location.bucketNameProblem(bucket) {
            throw MLOpsError("'\(url)': bucket name '\(bucket)' \(problem)",
                             hint: "S3 bucket names are 3-63 characters of a-z, 0-9, '.' and '-', starting and ending with a letter or digit")
        }
        let trimmedPrefix = S3Location.trimSlashes(prefix)
        if trimmedPrefix.contains("//") || trimmedPrefix.split(separator: "/").contains(where: { $0 == "." || $0 == ".." }) {
            throw MLOpsError("'\(url)': the prefix has an empty, '.' or '..' segment", hint: "write the prefix as plain names separated by single '/'")
        }
        var endpointURL: URL?
        if let e = endpoint?.trimmingCharacters(in: .whitespaces), !e.isEmpty {
            guard let u = S3Location.endpointURL(e) else {
                throw MLOpsError("'\(e)' is not a usable S3 endpoint", hint: "write it as http://HOST:PORT or https://HOST (no user, query or fragment)")
            }
            endpointURL = u
        }
        let r = region?.trimmingCharacters(in: .whitespaces) ?? ""
        if !r.isEmpty, let problem = S3Location.regionProblem(r) {
            throw MLOpsError("region '\(r)' \(problem)", hint: "write a region name such as us-east-1 or eu-west-2")
        }
        self.init(bucket: bucket, prefix: trimmedPrefix, endpoint: endpointURL, region: r.isEmpty ? S3Location.defaultRegion : r)
    }

    /// `s3://bucket/prefix`.
    public var url: String { prefix.isEmpty ? "s3://\(bucket)" : "s3://\(bucket)/\(prefix)" }

    /// `s3://bucket/prefix`, and the endpoint when it is not AWS.
    public var description: String { endpoint == nil ? url : "\(url) at \(endpointDescription)" }

    /// The server, as a user would write it: the endpoint, or `https://s3.REGION.amazonaws.com`.
    public var endpointDescription: String {
        guard let endpoint else { return "https://s3.\(region).amazonaws.com" }
        var s = endpoint.absoluteString
        while s.hasSuffix("/") { s.removeLast() }
        return s
    }

    /// The object key for a key relative to the prefix.
    public func fullKey(_ key: String) -> String {
        prefix.isEmpty ? key : prefix + "/" + key
    }

    /// `s3://bucket/full/key`, for messages.
    public func display(fullKey: String?) -> String {
        guard let fullKey, !fullKey.isEmpty else { return url }
        return "s3://\(bucket)/\(fullKey)"
    }

    /// An endpoint as a URL: http or https, a host, no user, query or fragment (a `user@` part would
    /// make the real host something other than what a reader sees).
    public static func endpointURL(_ text: String) -> URL? {
        guard let u = URL(string: text), let scheme = u.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = u.host, !host.isEmpty, u.user == nil, u.password == nil, u.query == nil, u.fragment == nil,
              !text.contains("@") else { return nil }
        return u
    }

    /// `scheme://host:port` of an endpoint (lower-cased, the port always written): where credentials
    /// go, whatever the path. Nil when `text` is not a usable endpoint.
    public static func origin(ofEndpoint text: String) -> String? {
        endpointURL(text.trimmingCharacters(in: .whitespaces)).flatMap { origin($0) }
    }

    static func origin(_ u: URL) -> String? {
        guard let scheme = u.scheme?.lowercased(), let host = u.host?.lowercased(), !host.isEmpty else { return nil }
        let port = u.port ?? (scheme == "https" ? 443 : 80)
        let bracketed = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        return "\(scheme)://\(bracketed):\(port)"
    }

    /// The origin a redirect's `Location` points at, for messages.
    static func origin(of location: String, relativeTo base: URL) -> String? {
        URL(string: location, relativeTo: base).flatMap { origin($0.absoluteURL) }
    }

    /// Why `region` cannot be used, or nil. Without an endpoint it becomes part of the AWS host name
    /// (`BUCKET.s3.REGION.amazonaws.com`), so only lower-case letters, digits and single dashes.
    public static func regionProblem(_ region: String) -> String? {
        guard region.utf8.count <= 32,
              region.range(of: "^[a-z0-9]+(-[a-z0-9]+)*$", options: .regularExpression) != nil else {
            return "is not a region name (lower-case letters, digits and '-', at most 32 characters)"
        }
        return nil
    }

    /// Why `name` is not a valid S3 bucket name, or nil when it is.
    public static func bucketNameProblem(_ name: String) -> String? {
        if name.isEmpty { return "is missing" }
        if name.count < 3 || name.count > 63 { return "must be 3 to 63 characters long" }
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789.-")
        if !name.allSatisfy({ allowed.contains($0) }) { return "may only contain a-z, 0-9, '.' and '-'" }
        let alnum = Set("abcdefghijklmnopqrstuvwxyz0123456789")
        if !alnum.contains(name.first!) || !alnum.contains(name.last!) { return "must start and end with a letter or digit" }
        if name.contains("..") { return "must not contain '..'" }
        if name.contains(".-") || name.contains("-.") { return "must not have '-' next to '.'" }
        if name.split(separator: ".").count == 4 && name.split(separator: ".").allSatisfy({ UInt8($0) != nil }) {
            return "must not look like an IP address"
        }
        return nil
    }

    // MARK: Requests

    /// What a request needs to address an object (`fullKey` non-nil) or the bucket itself.
    struct Target {
        var url: URL
        /// The `host` header value curl will send: host, plus `:port` unless it is the default.
        var hostHeader: String
        var canonicalURI: String

        /// The path is encoded once, as it is signed; the query is sent in the same encoding it is
        /// signed in, a bare name for an empty value.
        init(scheme: String, hostHeader: String, path: String, query: [(String, String)]) {
            canonicalURI = SigV4.canonicalURI(path: path)
            let queryText = query.map { $0.1.isEmpty ? SigV4.uriEncode($0.0) : SigV4.uriEncode($0.0) + "=" + SigV4.uriEncode($0.1) }
                .joined(separator: "&")
            url = URL(string: "\(scheme)://\(hostHeader)\(canonicalURI)" + (queryText.isEmpty ? "" : "?" + queryText))!
            self.hostHeader = hostHeader
        }
    }

    func target(fullKey: String?, query: [(String, String)]) -> Target {
        let scheme: String, host: String, port: Int?, basePath: String
        var path: String
        if let endpoint {
            scheme = endpoint.scheme?.lowercased() ?? "https"
            host = endpoint.host ?? "localhost"
            port = endpoint.port
            basePath = S3Location.trimSlashes(endpoint.path)
            path = (basePath.isEmpty ? "" : "/" + basePath) + "/" + bucket
            if let fullKey { path += "/" + fullKey }
        } else if bucket.contains(".") {
            (scheme, host, port, basePath) = ("https", "s3.\(region).amazonaws.com", nil, "")
            path = "/" + bucket + (fullKey.map { "/" + $0 } ?? "")
        } else {
            (scheme, host, port, basePath) = ("https", "\(bucket).s3.\(region).amazonaws.com", nil, "")
            path = "/" + (fullKey ?? "")
        }
        let bracketed = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        let defaultPort = scheme == "https" ? 443 : 80
        let hostHeader = port.map { $0 == defaultPort ? bracketed : "\(bracketed):\($0)" } ?? bracketed
        return Target(scheme: scheme, hostHeader: hostHeader, path: path, query: query)
    }

    /// Where a redirect from `from` leads when it stays on the same scheme, host and port: the
    /// target (its path encoded the way it is signed) and its query. Nil for any other host.
    func sameOriginTarget(_ location: String, from: Target) -> (Target, [(String, String)])? {
        guard let next = URL(string: location, relativeTo: from.url)?.absoluteURL,
              let o = S3Location.origin(next), o == S3Location.origin(from.url),
              let parts = URLComponents(url: next, resolvingAgainstBaseURL: false),
              let path = parts.percentEncodedPath.removingPercentEncoding else { return nil }
        let query = (parts.queryItems ?? []).map { ($0.name, $0.value ?? "") }
        return (Target(scheme: from.url.scheme ?? "https", hostHeader: from.hostHeader, path: path, query: query), query)
    }

    static func trimSlashes(_ s: String) -> String {
        var sub = Substring(s)
        while sub.hasPrefix("/") { sub = sub.dropFirst() }
        while sub.hasSuffix("/") { sub = sub.dropLast() }
        return String(sub)
    }
}
