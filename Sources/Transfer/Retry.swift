import Foundation
import MLOpsBasics

/// Retries retriable failures with exponential backoff and jitter, then gives up with an error that
/// names the remote and the object.
public struct RetryPolicy: Sendable {
    public var attempts: Int
    public var baseDelay: TimeInterval

    public init(attempts: Int = 5, baseDelay: TimeInterval = 0.5) {
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

/// Runs `count` jobs on up to `width` threads; the first error stops the rest and is rethrown.
func parallel(_ count: Int, width: Int, _ body: @escaping (Int) throws -> Void) throws {
    guard count > 0 else { return }
    let next = AtomicCounterT()
    let lock = NSLock()
    var firstError: Error?
    DispatchQueue.concurrentPerform(iterations: min(width, count)) { _ in
        while true {
            lock.lock(); let stop = firstError != nil; lock.unlock()
            if stop { return }
            let i = next.increment()
            guard i < count else { return }
            do { try body(i) } catch {
                lock.lock(); if firstError == nil { firstError = error }; lock.unlock()
            }
        }
    }
    if let firstError { throw firstError }
}

final class AtomicCounterT: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func increment() -> Int { lock.lock(); defer { lock.unlock() }; value += 1; return value - 1 }
}
