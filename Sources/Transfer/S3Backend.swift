import Foundation
import MLOpsBasics

/// An S3-compatible bucket prefix as a remote.
final class S3Backend: RemoteBackend, @unchecked Sendable {
    let url: String
    init(spec: RemoteSpec, environment: [String: String]) throws {
        url = spec.url
        throw MLOpsError("S3 remotes are not available in this build", hint: "use a directory remote")
    }
    func list(prefix: String) throws -> [RemoteFile] { [] }
    func get(_ name: String) throws -> [UInt8] { [] }
    func get(_ name: String, range: Range<Int64>) throws -> [UInt8] { [] }
    func put(_ name: String, bytes: [UInt8]) throws {}
    func putFile(_ name: String, from path: String) throws {}
    func delete(_ name: String) throws {}
    func isRetriable(_ error: Error) -> Bool { false }
}
