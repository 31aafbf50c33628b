#if canImport(Glibc)
import Glibc
#endif

/// Walks a directory the way `add` stores it: every regular file, symlinks to files followed, `.git`
/// and checkout temporaries skipped, and whatever cannot be stored or checked out reported.
public enum FileWalk {
    /// A file found under a walked directory.
    public struct Entry: Sendable {
        /// Relative to the walked directory, `/`-separated.
        public var relPath: String
        public var absPath: String
        public var stat: FileStat
        public init(relPath: String, absPath: String, stat: FileStat) {
            self.relPath = relPath; self.absPath = absPath; self.stat = stat
        }
    }

    /// Every regular file under `root` (symlinks to files followed; `.git` and checkout temporaries
    /// skipped), sorted by path. Whatever else it passes over (symlinks to directories, FIFOs, devices,
    /// sockets, names that cannot be checked out) goes to `skipped`, with why.
    public static func files(under root: String, sorted: Bool = true,
                             skipped: ((_ relPath: String, _ why: String) -> Void)? = nil) throws -> [Entry] {
        var out: [Entry] = []
        var stack: [String] = [""]
        while let rel = stack.popLast() {
            let dir = rel.isEmpty ? root : root + "/" + rel
            for e in try FS.listDirectory(dir, statFiles: true) {
                if e.name == ".git" { continue }
                if e.name.hasPrefix(".") && e.name.hasSuffix(RepoPath.tempSuffix) { continue }
                let r = rel.isEmpty ? e.name : rel + "/" + e.name
                if let why = RepoPath.nameProblem(e.name) {
                    skipped?(r, "a name that cannot be checked out: \(why)")
                    continue
                }
                let abs = root + "/" + r
                switch e.kind {
                case .directory: stack.append(r)
                case .file:
                    if let st = e.stat { out.append(Entry(relPath: r, absPath: abs, stat: st)) }
                case .symlink:
                    if let st = FS.stat(abs), st.isRegular { out.append(Entry(relPath: r, absPath: abs, stat: st)) }
                    else if let skipped { skipped(r, FS.stat(abs).map { "a symlink to \(kindName($0))" } ?? "a broken symlink") }
                case .other:
                    if let skipped { skipped(r, FS.lstat(abs).map(kindName) ?? "gone") }
                }
            }
        }
        if sorted { out.sort { pathLess($0.relPath, $1.relPath) } }
        return out
    }

    /// Total size of a file, or of every file a walk of a directory finds (0 when absent).
    public static func size(of path: String) -> Int64 {
        guard let st = FS.lstat(path) else { return 0 }
        if !st.isDirectory { return st.size }
        return (try? files(under: path, sorted: false).reduce(Int64(0)) { $0 + $1.stat.size }) ?? 0
    }

    static func kindName(_ st: FileStat) -> String {
        switch st.mode & UInt32(S_IFMT) {
        case UInt32(S_IFDIR): return "a directory"
        case UInt32(S_IFIFO): return "a FIFO"
        case UInt32(S_IFCHR), UInt32(S_IFBLK): return "a device"
        case UInt32(S_IFSOCK): return "a socket"
        case UInt32(S_IFREG): return "a regular file"
        default: return "not a regular file"
        }
    }
}

/// Byte-order comparison of paths (Swift's `<` on String uses Unicode ordering, which is not stable
/// across normalisations).
public func pathLess(_ a: String, _ b: String) -> Bool {
    let fast = a.utf8.withContiguousStorageIfAvailable { pa in
        b.utf8.withContiguousStorageIfAvailable { pb -> Bool in
            let n = min(pa.count, pb.count)
            let c = n == 0 ? 0 : memcmp(pa.baseAddress!, pb.baseAddress!, n)
            return c != 0 ? c < 0 : pa.count < pb.count
        }
    }
    if let r = fast ?? nil { return r }
    return a.utf8.lexicographicallyPrecedes(b.utf8)
}
