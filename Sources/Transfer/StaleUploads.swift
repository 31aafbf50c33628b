import Foundation
import MLOpsBasics

extension Transfer {
    /// Aborts uploads of packs that a killed or failed push left unfinished more than `grace` seconds
    /// ago: S3 keeps the parts of an incomplete multipart upload, unseen by listings and paid for,
    /// until someone aborts it. Younger ones may belong to a push still running and are left alone.
    func abortStaleUploads(grace: TimeInterval, dryRun: Bool) throws -> Int {
        let cutoff = Date().addingTimeInterval(-grace)
        return try remote.retry.run(backend, "clean up incomplete uploads of", "packs/") {
            try backend.abortIncompleteUploads(prefix: "packs/", startedBefore: cutoff, dryRun: dryRun)
        }
    }
}
