import Foundation

/// How hard git-mlops works on this machine: worker threads, pack size, direct I/O, remote retries.
///
/// Read once, where a repository is opened (`Repo`, from the `GIT_MLOPS_*` environment variables),
/// and handed down as one value: the store, transfers and profiles never read the environment
/// themselves. Not a git setting: how many cores to use belongs to the machine and the run, and a
/// committed `.gitmlops` must not choose it for everyone who clones.
public struct Tuning: Sendable, Equatable {
    /// Workers for hashing, compressing and writing files (`GIT_MLOPS_THREADS`; default: one per core).
    public var threads: Int
    /// A pack is sealed once it reaches this many bytes (`GIT_MLOPS_PACK_SIZE`, at least 4096;
    /// default 64 MiB); remotes hold the same packs. Small values exercise many packs in tests.
    public var packSize: Int64
    /// Write full pack blocks past the page cache (`GIT_MLOPS_DIRECT_IO=0` turns it off).
    public var directIO: Bool
    /// Attempts per remote request before giving up (`GIT_MLOPS_RETRIES`; default 5).
    public var retries: Int

    public static let defaultPackSize: Int64 = 64 << 20
    public static let defaultRetries = 5

    public init(threads: Int = ProcessInfo.processInfo.activeProcessorCount, packSize: Int64 = Tuning.defaultPackSize,
                directIO: Bool = true, retries: Int = Tuning.defaultRetries) {
        self.threads = max(1, threads)
        self.packSize = packSize
        self.directIO = directIO
        self.retries = max(1, retries)
    }

    /// The variables above, from `environment`; a value that does not parse or is out of range is ignored.
    public init(environment: [String: String]) {
        self.init()
        if let v = environment["GIT_MLOPS_THREADS"], let n = Int(v), n > 0 { threads = n }
        if let v = environment["GIT_MLOPS_PACK_SIZE"], let n = Int64(v), n >= 4096 { packSize = n }
        if environment["GIT_MLOPS_DIRECT_IO"] == "0" { directIO = false }
        if let v = environment["GIT_MLOPS_RETRIES"], let n = Int(v), n >= 1 { retries = n }
    }
}
