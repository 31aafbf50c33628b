import CZlib
import CZstd
import Foundation
import MLOpsBasics
@testable import Profiling
@_exported import TestSupport
import Testing

/// A seeded generator for test data (Profiling's SplitMix64).
struct Rng {
    var state: UInt64
    init(_ seed: UInt64) { state = seed }

    mutating func next() -> UInt64 { splitmix(&state) }

    /// Uniform in [0, 1).
    mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }

    mutating func int(_ range: Range<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }

    /// Standard normal (Box-Muller).
    mutating func normal() -> Double {
        let u = max(uniform(), 1e-300), v = uniform()
        return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
    }
}

/// Writes `bytes` to `name` in `dir` and returns the path.
@discardableResult
func put(_ dir: TempDir, _ name: String, _ bytes: [UInt8]) -> String {
    let path = dir.path + "/" + name
    try! FS.mkdirs(dirname(path))
    try! FS.writeAtomic(path, bytes, durable: false)
    return path
}

@discardableResult
func put(_ dir: TempDir, _ name: String, _ text: String) -> String { put(dir, name, Array(text.utf8)) }

/// Profiles `text` written as a file called `name`.
func profileOf(_ text: String, name: String = "t.csv", options: ProfileOptions = ProfileOptions()) throws -> Profile {
    let dir = TempDir()
    return try Profiler.profile(file: put(dir, name, text), name: name, options: options)
}

/// The error message profiling `bytes` as `name` gives (nil when it succeeds).
func profileError(_ bytes: [UInt8], name: String, options: ProfileOptions = ProfileOptions()) -> String? {
    let dir = TempDir()
    do {
        _ = try Profiler.profile(file: put(dir, name, bytes), name: name, options: options)
        return nil
    } catch {
        return "\(error)"
    }
}

/// gzip through zlib (deflate with the gzip wrapper).
func gzipped(_ input: [UInt8]) -> [UInt8] {
    var s = z_stream()
    precondition(deflateInit2_(&s, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK)
    var out = [UInt8](repeating: 0, count: Int(deflateBound(&s, UInt(input.count))) + 64)
    var input = input
    let n: Int = input.withUnsafeMutableBufferPointer { i in
        out.withUnsafeMutableBufferPointer { o in
            s.next_in = i.baseAddress
            s.avail_in = UInt32(i.count)
            s.next_out = o.baseAddress
            s.avail_out = UInt32(o.count)
            precondition(deflate(&s, Z_FINISH) == Z_STREAM_END)
            return o.count - Int(s.avail_out)
        }
    }
    deflateEnd(&s)
    return Array(out[..<n])
}

func zstdCompressed(_ input: [UInt8]) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: ZSTD_compressBound(input.count))
    let n = input.withUnsafeBytes { i in out.withUnsafeMutableBytes { ZSTD_compress($0.baseAddress, $0.count, i.baseAddress, i.count, 3) } }
    precondition(ZSTD_isError(n) == 0)
    return Array(out[..<n])
}

/// python3 with numpy and scipy, for reference values. Tests that need it are skipped with a
/// reason when it is missing, except under scripts/test (GIT_MLOPS_REQUIRE_SCIPY=1), where they fail.
enum Python {
    static let required = ProcessInfo.processInfo.environment["GIT_MLOPS_REQUIRE_SCIPY"] == "1"
    static let available: Bool = {
        guard let r = try? ProcessRunner.capture(["python3", "-c", "import numpy, scipy.stats"]) else { return false }
        return r.status == 0
    }()
    static let shouldRun = available || required

    /// Runs `script` with `args`; its stdout parsed as JSON.
    static func run(_ script: String, _ args: [String] = [], sourceLocation: SourceLocation = #_sourceLocation) throws -> JSON {
        guard available else {
            throw MLOpsError("GIT_MLOPS_REQUIRE_SCIPY=1 but python3 with numpy and scipy is missing", hint: "run scripts/setup")
        }
        let r = try ProcessRunner.capture(["python3", "-c", script] + args)
        guard r.status == 0 else { throw MLOpsError("python3 failed: \(r.stderr)") }
        return try JSON.parse(r.stdout)
    }
}
