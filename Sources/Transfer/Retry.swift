import Foundation
import MLOpsBasics

/// Retries retriable failures with exponential backoff and jitter, then gives up with an error that
/// names the remote and the object.
public struct RetryPolicy: Sendable {
    public var attempts: Int
    public var baseDelay: TimeInterval

    /// `attempts` comes from the repository's `Tuning` (`GIT_MLOPS_RETRIES`).
    public init(attempts: Int = Tuning.defaultRetries, baseDelay: TimeInterval = 0.5) {
        self.attempts = attempts
        self.baseDelay = baseDelay
    }

    public func run<T>(_ backend: RemoteBackend, _ what: String, _ name: String, _ body: () throws -> T) throws -> T {
        var attempt = 0
        while true {
            do { return try body() } catch {
                attempt += 1
                guard backend.isRetriable(error) else { throw error }
                guard attempt < attempts else {
                    throw MLOpsError("\(backend.url): \(what) \(name) failed after \(attempts) attempts (\(error))",
                                     hint: "check that the remote is reachable, then run the command again: finished packs are kept, so it resumes")
                }
                let delay = baseDelay * pow(2, Double(attempt - 1)) * Double.random(in: 0.75...1.25)
                Thread.sleep(forTimeInterval: delay)
            }
        }
    }
}
