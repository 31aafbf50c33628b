/// An error a user can act on: what failed, and how to fix it.
///
/// Printed as one line, `error: <message>` followed by ` (hint: <fix>)` when there is one.
public struct MLOpsError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public var hint: String?
    /// Process exit status; git uses 1 for a failed operation and 128 for a fatal condition.
    public var exitCode: Int32

    public init(_ message: String, hint: String? = nil, exitCode: Int32 = 1) {
        self.message = message
        self.hint = hint
        self.exitCode = exitCode
    }

    public var description: String {
        guard let hint, !hint.isEmpty else { return message }
        return "\(message); \(hint)"
    }

    /// A malformed input file: names the file, what is wrong and what to do.
    public static func malformed(_ path: String, _ what: String, fix: String) -> MLOpsError {
        MLOpsError("\(path): \(what)", hint: fix)
    }
}

/// An OS call failed; carries the call, the path and errno's text.
public struct SystemError: Error, CustomStringConvertible {
    public let call: String
    public let path: String
    public let errno: Int32

    public init(_ call: String, _ path: String, errno: Int32) {
        self.call = call
        self.path = path
        self.errno = errno
    }

    public var description: String {
        "\(call) \(path): \(String(cString: strerror(errno)))"
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
