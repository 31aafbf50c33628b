import Foundation
import MLOpsBasics
import Profiling

/// `unique` and `allowed` decided by reading a column's values, when the profile cannot decide them.
/// Memory stays bounded: uniqueness is found by 64-bit hashes, in as many passes as needed to keep
/// at most `hashesPerPass` of them at a time, and every repeated hash is confirmed on the values
/// themselves (so a hash collision is never reported as a duplicate).
enum ExactAnswer {
    static let hashesPerPass = 8 << 20

    /// Nil when every non-null value is unique; else the first repeated value and two of its lines.
    static func firstDuplicate(file: String, name: String, column: String, values nonNull: Int64, perPass: Int = hashesPerPass) throws -> String? {
        let passes = max(1, Int((nonNull + Int64(perPass) - 1) / Int64(perPass)))
        var candidates = Set<UInt64>()
        for pass in 0..<passes {
            var hashes: [UInt64] = []
            hashes.reserveCapacity(Int(min(nonNull / Int64(passes) + 1024, Int64(perPass) + 1024)))
            try TableScan.values(file: file, name: name, column: column) { _, v in
                guard let v else { return }
                let h = hash(v)
                if Int(h % UInt64(passes)) == pass { hashes.append(h) }
            }
            hashes.sort()
            for i in hashes.indices.dropFirst() where hashes[i] == hashes[i - 1] {
                candidates.insert(hashes[i])
                if candidates.count >= 1024 { break }
            }
            if !candidates.isEmpty { break }
        }
        guard !candidates.isEmpty else { return nil }
        // Confirm on the values: the first occurrence of each candidate hash, then a later equal value.
        var first: [UInt64: [(bytes: [UInt8], line: Int64)]] = [:]
        var found: String?
        try TableScan.values(file: file, name: name, column: column) { line, v in
            guard found == nil, let v else { return }
            let h = hash(v)
            guard candidates.contains(h) else { return }
            let bytes = Array(v)
            if let earlier = first[h]?.first(where: { $0.bytes == bytes }) {
                found = "\"\(displayPath(String(decoding: bytes.prefix(200), as: UTF8.self)))\" on lines \(earlier.line) and \(line)"
            } else {
                first[h, default: []].append((bytes, line))
            }
        }
        return found
    }

    /// The values not in `allowed`: how many, and the first few with their lines.
    static func disallowed(file: String, name: String, column: String, allowed: [String]) throws -> (count: Int64, examples: [String]) {
        let set = Set(allowed.map { Array($0.utf8) })
        var count: Int64 = 0
        var examples: [String] = []
        try TableScan.values(file: file, name: name, column: column) { line, v in
            guard let v else { return }
            let bytes = Array(v)
            guard !set.contains(bytes) else { return }
            count += 1
            if examples.count < 3 { examples.append("\"\(displayPath(String(decoding: bytes.prefix(200), as: UTF8.self)))\" (line \(line))") }
        }
        return (count, examples)
    }

    /// A 64-bit hash of a value; Swift's seeded SipHash (the seed is fixed within a process, which is
    /// all the passes above need).
    static func hash(_ v: UnsafeRawBufferPointer) -> UInt64 {
        var h = Hasher()
        h.combine(bytes: v)
        return UInt64(bitPattern: Int64(h.finalize()))
    }
}
