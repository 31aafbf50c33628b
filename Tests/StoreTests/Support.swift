import Foundation
import MLOpsBasics
@testable import Store
@_exported import TestSupport

/// float32 values from a rough normal distribution: what model weights look like.
func floatBytes(_ count: Int, seed: UInt64) -> [UInt8] {
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

func csvBytes(rows: Int, seed: UInt64) -> [UInt8] {
    let r = randomBytes(rows * 4, seed: seed)
    var s = "id,category,price,label\n"
    let cats = ["books", "garden", "toys", "music"]
    for i in 0..<rows {
        s += "\(i),\(cats[Int(r[i * 4]) % 4],),\(Double(r[i * 4 + 1]) / 7.0),cls_\(r[i * 4 + 2] % 8)\n"
    }
    return Array(s.utf8)
}

func write(_ bytes: [UInt8], to path: String) {
    try! FS.mkdirs(dirname(path))
    try! FS.writeAtomic(path, bytes, durable: false)
}
