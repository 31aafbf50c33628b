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
            guard let u = URL(string: e), let scheme = u.scheme?.lowercased(), scheme == "http" || scheme == "https",
                  let host = u.host, !host.isEmpty, u.query == nil else {
                throw MLOpsError("'\(e)' is not a usable S3 endpoint", hint: "write it as http://HOST:PORT or https://HOST")
            }
            endpointURL = u
        }
        let r = region?.trimmingCharacters(in: .whitespaces) ?? ""
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

    /// Why `name` is not a valid S3 bucket name, or nil when it is.
    public static func bucketNameProblem(_ name: String) -> String? {
        if name.isEmpty { return "is missing" }
        if name.count < 3 || name.count > 63 { return "must be 3 to 63 characters long" }
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789.-")
        if !name.allSatisfy({ allowed.contains($0) }) { return "may only contain a-z, 0-9, '.' and '-'" }
        let alnum = Set("abcdefghijklmnopqrstuvwxyz0123456789")
        if !alnum.contains(name.first!) || !alnum.contains(name.last!) { return "must start and end with a letter or digit" }
        if name.contains("..") { return "must not contain '..'" }
        return nil
    }

    // MARK: Requests

    /// What a request needs to address an object (`fullKey` non-nil) or the bucket itself.
    struct Target {
        var url: URL
        /// The `host` header value curl will send: host, plus `:port` unless it is the default.
        var hostHeader: String
        var canonicalURI: String
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
        let canonicalURI = SigV4.canonicalURI(path: path)
        // The query is sent in the same encoding it is signed in; a bare name for an empty value.
        let queryText = query.map { $0.1.isEmpty ? SigV4.uriEncode($0.0) : SigV4.uriEncode($0.0) + "=" + SigV4.uriEncode($0.1) }
            .joined(separator: "&")
        let urlText = "\(scheme)://\(hostHeader)\(canonicalURI)" + (queryText.isEmpty ? "" : "?" + queryText)
        return Target(url: URL(string: urlText)!, hostHeader: hostHeader, canonicalURI: canonicalURI)
    }

    static func trimSlashes(_ s: String) -> String {
        var sub = Substring(s)
        while sub.hasPrefix("/") { sub = sub.dropFirst() }
        while sub.hasSuffix("/") { sub = sub.dropLast() }
        return String(sub)
    }
}
