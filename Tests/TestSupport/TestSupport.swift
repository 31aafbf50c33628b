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

/// float32 values from a rough normal distribution: what model weights look like.
public func floatBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    let r = randomBytes(count * 8, seed: seed)
    var out = [UInt8]()
    out.reserveCapacity(count * 4)
    for i in 0..<count {
        var s: Float = 0
        for k in 0..<8 { s += Float(r[i * 8 + k]) / 255 }
        let v = (s - 4) * 0.7
        withUnsafeBytes(of: v) { out.append(contentsOf: $0) }
    }
    return out
}

public func csvBytes(rows: Int, seed: UInt64) -> [UInt8] {
    let r = randomBytes(rows * 4, seed: seed)
    var s = "id,category,price,label\n"
    let cats = ["books", "garden", "toys", "music"]
    for i in 0..<rows {
        s += "\(i),\(cats[Int(r[i * 4]) % 4],),\(Double(r[i * 4 + 1]) / 7.0),cls_\(r[i * 4 + 2] % 8)\n"
    }
    return Array(s.utf8)
}
