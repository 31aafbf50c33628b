import Foundation
import MLOpsBasics
import ParserSeeds

/// What every fuzz target shares.
public enum Fuzz {
    /// The input libFuzzer passes, as bytes.
    public static func bytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
        guard let data, size > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: size))
    }

    /// Writes the seeds of `target` (from ParserSeeds, through `transform`) into the directory named by
    /// `GIT_MLOPS_FUZZ_SEEDS`, which scripts/fuzz/run sets to the corpus directory. Files already there
    /// (what earlier runs found) are kept.
    public static func writeSeeds(_ target: String, _ transform: ([UInt8]) -> [UInt8] = { $0 }) {
        guard let dir = ProcessInfo.processInfo.environment["GIT_MLOPS_FUZZ_SEEDS"],
              let seeds = ParserSeeds.targets.first(where: { $0.name == target })?.seeds() else { return }
        try? FS.mkdirs(dir)
        for (i, s) in seeds.enumerated() {
            let path = dir + "/seed-\(i)"
            if !FS.exists(path) { try? FS.writeAtomic(path, transform(s), durable: false) }
        }
    }

    /// A file for parsers that read a path, rewritten for each input.
    public static let scratch: String = {
        let dir = NSTemporaryDirectory() + "mlops-fuzz-\(getpid())"
        try? FS.mkdirs(dir)
        return dir + "/input"
    }()

    public static func writeScratch(_ bytes: [UInt8]) {
        try? FS.remove(scratch)
        try? FS.writeAtomic(scratch, bytes, durable: false)
    }
}
