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
        removeStaleScratch()
        // In fork mode every job starts here: the seeds are made once.
        guard let dir = ProcessInfo.processInfo.environment["GIT_MLOPS_FUZZ_SEEDS"], !FS.exists(dir + "/seed-0"),
              let seeds = ParserSeeds.targets.first(where: { $0.name == target })?.seeds() else { return }
        try? FS.mkdirs(dir)
        for (i, s) in seeds.enumerated() {
            let path = dir + "/seed-\(i)"
            if !FS.exists(path) { try? FS.writeAtomic(path, transform(s), durable: false) }
        }
    }

    /// Removes the scratch directories of processes that are gone (a crash skips the clean-up at exit).
    static func removeStaleScratch() {
        let tmp = NSTemporaryDirectory()
        for e in (try? FS.listDirectory(tmp)) ?? [] where e.name.hasPrefix("mlops-fuzz-") {
            if let pid = Int32(e.name.dropFirst("mlops-fuzz-".count)), kill(pid, 0) != 0, errno == ESRCH { try? FS.removeTree(tmp + e.name) }
        }
    }

    /// A file for parsers that read a path, rewritten for each input, in a directory of this process.
    public static let scratch: String = {
        let dir = NSTemporaryDirectory() + "mlops-fuzz-\(getpid())"
        try? FS.mkdirs(dir)
        atexit { try? FS.removeTree(NSTemporaryDirectory() + "mlops-fuzz-\(getpid())") }
        return dir + "/input"
    }()

    public static func writeScratch(_ bytes: [UInt8]) {
        try? FS.remove(scratch)
        try? FS.writeAtomic(scratch, bytes, durable: false)
    }
}
