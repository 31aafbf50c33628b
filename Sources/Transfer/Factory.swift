import Foundation
import MLOpsBasics
import S3

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

    /// Whether `name` can name a remote. It becomes a directory (`.git/mlops/remotes/NAME`), so it is
    /// one path component that is not `.` or `..`: letters, digits, '.', '_' and '-', starting with a
    /// letter or digit.
    public static func isValidName(_ name: String) -> Bool {
        name.range(of: "^[A-Za-z0-9][A-Za-z0-9._-]*$", options: .regularExpression) != nil
    }

    public static let nameRule = "use letters, digits, '.', '_' and '-', starting with a letter or digit"

    /// `scheme://host:port` of an endpoint: the server credentials go to. Nil if it is not usable.
    public static func origin(ofEndpoint endpoint: String) -> String? { S3Location.origin(ofEndpoint: endpoint) }

    /// The first setting that cannot be used (`url`, `endpoint` or `region`) and why: the form of the
    /// URL and, for S3, the bucket name and prefix, the endpoint (http or https, nothing but a host,
    /// port and path) and the region (it becomes part of the AWS host name).
    public func invalidSetting() -> (key: String, error: Error)? {
        if isS3 {
            do { _ = try S3Location(url: url, endpoint: nil, region: nil) } catch { return ("url", error) }
            do { _ = try S3Location(url: url, endpoint: endpoint, region: nil) } catch { return ("endpoint", error) }
            do { _ = try S3Location(url: url, endpoint: nil, region: region) } catch { return ("region", error) }
            return nil
        }
        if url.contains("://") && !url.hasPrefix("file://") {
            return ("url", MLOpsError("unsupported remote URL \(url)", hint: "use a directory path, file:///path, or s3://BUCKET/PREFIX"))
        }
        if let endpoint, !(endpoint.hasPrefix("http://") || endpoint.hasPrefix("https://")) {
            return ("endpoint", MLOpsError("endpoint \(endpoint) is not an http(s) URL", hint: "e.g. --endpoint http://127.0.0.1:8333"))
        }
        return nil
    }

    /// Checks the settings' form (not whether the remote is reachable).
    public func validate() throws {
        if let (_, error) = invalidSetting() { throw error }
    }

    /// Opens the backend. Relative directory paths are relative to `base` (the repository root).
    public func backend(base: String, environment: [String: String]) throws -> RemoteBackend {
        try validate()
        if isS3 { return try S3Backend(spec: self, environment: environment) }
        var path = url.hasPrefix("file://") ? String(url.dropFirst(7)) : url
        if path.hasPrefix("~/") { path = (environment["HOME"] ?? "") + path.dropFirst(1) }
        if !path.hasPrefix("/") { path = base + "/" + path }
        return try DirectoryBackend(root: path)
    }
}
