import Foundation
import MLOpsBasics

/// A fresh temporary directory, removed when the value is released.
public final class TempDir {
    public let path: String
    public init() {
        path = NSTemporaryDirectory() + "mlops-test-" + UUID().uuidString
        try! FS.mkdirs(path)
    }
    deinit { try? FS.removeTree(path) }
}

/// Deterministic pseudo-random bytes (xorshift), so tests are repeatable.
public func randomBytes(_ n: Int, seed: UInt64) -> [UInt8] {
    var x = (seed &+ 1) &* 0x9E3779B97F4A7C15 | 1
    var out = [UInt8](repeating: 0, count: n)
    var i = 0
    while i < n {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17
        var v = x
        for _ in 0..<8 where i < n { out[i] = UInt8(truncatingIfNeeded: v); v >>= 8; i += 1 }
    }
    return out
}
