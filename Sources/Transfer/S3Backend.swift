import Foundation
import MLOpsBasics
import S3

/// An S3-compatible bucket prefix as a remote. Credentials come from the environment or the AWS
/// profile files, never from git-mlops settings.
final class S3Backend: RemoteBackend, @unchecked Sendable {
    let client: S3Client
    var url: String { client.location.url }

    init(spec: RemoteSpec, environment: [String: String]) throws {
        let location = try S3Location(url: spec.url, endpoint: spec.endpoint, region: spec.region)
        client = S3Client(location: location, credentials: try S3Credentials.resolve(environment: environment))
    }

    func list(prefix: String) throws -> [RemoteFile] {
        try client.list(prefix: prefix).map { RemoteFile(name: $0.key, size: $0.size, modified: $0.lastModified) }
    }

    func get(_ name: String) throws -> [UInt8] { try client.get(name) }
    func get(_ name: String, range: Range<Int64>) throws -> [UInt8] { try client.get(name, range: range) }
    func put(_ name: String, bytes: [UInt8]) throws { try client.put(name, bytes: bytes) }
    func putFile(_ name: String, from path: String) throws { try client.putFile(name, path: path) }
    func delete(_ name: String) throws { try client.delete(name) }

    func isRetriable(_ error: Error) -> Bool { (error as? S3Error)?.isRetriable ?? false }

    func abortIncompleteUploads(prefix: String, startedBefore cutoff: Date, dryRun: Bool) throws -> Int {
        let stale = try client.incompleteUploads(prefix: prefix).filter { $0.initiated < cutoff }
        if !dryRun { for u in stale { try client.abort(u) } }
        return stale.count
    }
}
