import Foundation
import MLOpsBasics

/// A git command that exited non-zero: what ran, how it ended and what it said, with what to do.
public struct GitCommandError: Error, CustomStringConvertible, Sendable {
    public let arguments: [String]
    public let status: Int32
    /// What it printed (stderr, then stdout), on one line.
    public let output: String
    public let hint: String?

    public var description: String {
        let said = output.isEmpty ? "" : ": \(output)"
        let fix = hint.map { "; \($0)" } ?? ""
        return "`git \(arguments.joined(separator: " "))` failed (exit \(status))\(said)\(fix)"
    }
}

/// The one place that starts the git binary, for what libgit2 does not do as git does (worktrees,
/// config scopes, notes merges, pushes and fetches through the user's transports and credentials).
public struct GitCommand: Sendable {
    public let directory: String
    /// The environment git runs with; nil inherits this process's.
    public let environment: [String: String]?

    public init(in directory: String, environment: [String: String]? = nil) {
        self.directory = directory
        self.environment = environment
    }

    /// Runs git (with `input` on its stdin) and returns how it ended, for callers that read a failure
    /// (a missing ref, a rejected push, a bad signature).
    public func output(_ arguments: [String], input: String? = nil) throws -> ProcessRunner.Output {
        try ProcessRunner.capture(["git"] + arguments, cwd: directory, env: environment, stdin: input)
    }

    /// Runs git and returns its stdout; throws `GitCommandError` unless it exits 0.
    @discardableResult
    public func run(_ arguments: [String], input: String? = nil, hint: String? = nil) throws -> String {
        let r = try output(arguments, input: input)
        guard r.status == 0 else { throw GitCommand.failure(arguments, r, hint: hint) }
        return r.stdout
    }

    /// The error for a finished command that failed.
    public static func failure(_ arguments: [String], _ r: ProcessRunner.Output, hint: String? = nil) -> GitCommandError {
        let said = (r.stderr + r.stdout).split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }.joined(separator: " / ")
        return GitCommandError(arguments: arguments, status: r.status, output: said, hint: hint)
    }
}
