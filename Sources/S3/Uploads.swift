import Foundation
import MLOpsBasics

/// A multipart upload that was started and neither completed nor aborted. Its parts stay on the
/// bucket (and are paid for) until it is aborted.
public struct IncompleteUpload: Sendable, Equatable {
    /// Relative to the location's prefix.
    public var key: String
    public var uploadID: String
    public var initiated: Date
}

extension S3Client {
    /// Incomplete multipart uploads whose key starts with `prefix` (relative to the location's
    /// prefix), following ListMultipartUploads' key and upload-id markers.
    public func incompleteUploads(prefix: String) throws -> [IncompleteUpload] {
        let fullPrefix = location.fullKey(prefix)
        let strip = location.prefix.isEmpty ? 0 : location.prefix.utf8.count + 1
        var out: [IncompleteUpload] = []
        var markers: (key: String, upload: String)?
        repeat {
            var query = [("uploads", ""), ("prefix", fullPrefix)]
            if let markers { query += [("key-marker", markers.key), ("upload-id-marker", markers.upload)] }
            let r = try send("GET", fullKey: nil, query: query)
            try check(r, fullPrefix)
            guard let root = MiniXML.parse(r.body), root.name == "ListMultipartUploadsResult" else {
                throw S3Error(status: r.status, code: "MalformedResponse", message: "ListMultipartUploads did not return a ListMultipartUploadsResult",
                              bucket: location.bucket, key: fullPrefix, endpoint: location.endpointDescription, region: location.region)
            }
            for u in root.children("Upload") {
                guard let key = u["Key"], key.utf8.starts(with: fullPrefix.utf8), let id = u["UploadId"], !id.isEmpty else { continue }
                out.append(IncompleteUpload(key: String(decoding: key.utf8.dropFirst(strip), as: UTF8.self), uploadID: id,
                                            initiated: S3Client.parseISO8601(u["Initiated"] ?? "") ?? Date()))
            }
            let next = (root["NextKeyMarker"] ?? "", root["NextUploadIdMarker"] ?? "")
            if root["IsTruncated"] == "true" {
                guard !next.0.isEmpty, markers.map({ $0 != next }) ?? true else {
                    throw S3Error(status: r.status, code: "MalformedResponse",
                                  message: "ListMultipartUploads says the listing is truncated but gives no new marker",
                                  bucket: location.bucket, key: fullPrefix, endpoint: location.endpointDescription, region: location.region)
                }
                markers = next
            } else {
                markers = nil
            }
        } while markers != nil
        return out
    }

    /// Aborts an incomplete upload (its parts are deleted); one already gone is not an error.
    public func abort(_ upload: IncompleteUpload) throws {
        do {
            try abortMultipartUpload(try fullKey(upload.key), uploadID: upload.uploadID)
        } catch let e as S3Error where e.code == "NoSuchUpload" {
            return
        }
    }
}
