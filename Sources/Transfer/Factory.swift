import Foundation
import MLOpsBasics

/// How to reach a remote: its URL and, for S3-compatible stores, endpoint and region.
public struct RemoteSpec: Sendable, Equatable {
    public var name: String
    public var url: String
    public var endpoint: String?
    public var region: String?

    public init(name: String, url: String, endpoint: String? = nil, region: String? = nil) {
        self.name = name; self.url = url; self.endpoint = endpoint; self.region = region
    }

    public var isS3: Bool { url.hasPrefix("s3://") }

    /// Checks the URL's form (not whether the remote is reachable).
    public func validate() throws {
        if isS3 {
            let rest = url.dropFirst(5)
            guard let bucket = rest.split(separator: "/").first, !bucket.isEmpty else {
                throw MLOpsError("remote URL \(url) names no bucket", hint: "use s3://BUCKET or s3://BUCKET/PREFIX")
            }
        } else if url.contains("://") && !url.hasPrefix("file://") {
            throw MLOpsError("unsupported remote URL \(url)", hint: "use a directory path, file:///path, or s3://BUCKET/PREFIX")
        }
        if let endpoint, !(endpoint.hasPrefix("http://") || endpoint.hasPrefix("https://")) {
            throw MLOpsError("endpoint \(endpoint) is not an http(s) URL", hint: "e.g. --endpoint http://127.0.0.1:8333")
        }
    }

    /// Opens the backend. Relative directory paths are relative to `base` (the repository root).
    public func backend(base: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> RemoteBackend {
        try validate()
        if isS3 { return try S3Backend(spec: self, environment: environment) }
        var path = url.hasPrefix("file://") ? String(url.dropFirst(7)) : url
        if path.hasPrefix("~/") { path = (environment["HOME"] ?? "") + path.dropFirst(1) }
        if !path.hasPrefix("/") { path = base + "/" + path }
        return try DirectoryBackend(root: path)
    }
}
