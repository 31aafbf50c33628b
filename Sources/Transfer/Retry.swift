import Foundation
import MLOpsBasics

/// Retries retriable failures with exponential backoff and jitter, then gives up with an error that
/// names the remote and the object.
public struct RetryPolicy: Sendable {
    public var attempts: Int
    public var baseDelay: TimeInterval

    /// `GIT_MLOPS_RETRIES` overrides the default number of attempts.
    public static var defaultAttempts: Int {
        if let v = ProcessInfo.processInfo.environment["GIT_MLOPS_RETRIES"], let n = Int(v), n >= 1 { return n }
        return 5
    }

    public init(attempts: Int = RetryPolicy.defaultAttempts, baseDelay: TimeInterval = 0.5) {
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
