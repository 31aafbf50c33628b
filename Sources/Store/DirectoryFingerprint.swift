import MLOpsBasics

/// What the stat cache remembers of a directory instead of its files: an order-independent
/// fingerprint of the stat of every file a walk found (two 64-bit sums of mixed hashes), with the
/// count, total size and newest mtime/ctime. Taken from one walk, no file read: an unchanged
/// directory of a million files costs a walk, not a manifest rebuild.
struct DirectoryFingerprint {
    var fp: (UInt64, UInt64)
    var files: Int
    var size: Int64
    /// Newest mtime or ctime of any file: the cache's racy-clean rule applies to it.
    var newest: Int64

    init(_ walk: [FileWalk.Entry]) {
        var a: UInt64 = 0, b: UInt64 = 0, size: Int64 = 0, newest: Int64 = 0
        for f in walk {
            var h1 = fnv1a(f.relPath), h2 = h1 ^ 0x9E3779B97F4A7C15
            for v in [UInt64(bitPattern: f.stat.size), UInt64(bitPattern: f.stat.mtimeNs), UInt64(bitPattern: f.stat.ctimeNs),
                      f.stat.inode, UInt64(f.stat.mode)] {
                h1 = DirectoryFingerprint.mix(h1 ^ v)
                h2 = DirectoryFingerprint.mix(h2 &+ v &* 0xBF58476D1CE4E5B9)
            }
            a = a &+ h1
            b ^= DirectoryFingerprint.mix(h2)
            size += f.stat.size
            newest = max(newest, f.stat.mtimeNs, f.stat.ctimeNs)
        }
        fp = (a, b)
        files = walk.count
        self.size = size
        self.newest = newest
    }

    /// splitmix64's finalizer.
    @inline(__always) static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E3779B97F4A7C15
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }
}

extension StatCache {
    /// The cached directory id when the fingerprint of its files' stats still matches.
    func lookupDirectory(_ relPath: String, _ f: DirectoryFingerprint) -> DirState? {
        lookupDirectory(relPath, fingerprint: f.fp, files: f.files, size: f.size)
    }

    func recordDirectory(_ relPath: String, _ f: DirectoryFingerprint, id: ObjectID) {
        recordDirectory(relPath, .init(fingerprint: f.fp, files: f.files, size: f.size, newest: f.newest, id: id))
    }
}
