#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Budgets for the documents a repository brings with it (params, metrics, `mlops.yaml`, run records,
/// `.gitmlops`): any of them may come from a stranger's clone, so a parser stops at these bounds
/// instead of growing without limit (docs/security.md, "Parsers and budgets").
public enum DocumentLimits {
    /// Bytes of one YAML or JSON document, and of one run-record line.
    public static let maxBytes = 8 << 20
    /// Bytes of one git note (run records of one commit, one per line).
    public static let maxNoteBytes = 64 << 20
    /// Nodes of one YAML document once its aliases are expanded.
    public static let maxNodes = 1_000_000
    /// Bytes of scalar text of one YAML document once its aliases are expanded.
    public static let maxExpandedBytes = 32 << 20
    /// Nesting of lists and mappings (YAML) or arrays and objects (JSON).
    public static let maxDepth = 128
    /// Characters of one JSON number: enough for any double written out in full.
    public static let maxNumberLength = 400

    /// `8 MiB`, `64 KiB`: a limit as people read it.
    public static func describe(bytes n: Int) -> String {
        n >= 1 << 20 && n % (1 << 20) == 0 ? "\(n >> 20) MiB" : n >= 1 << 10 && n % (1 << 10) == 0 ? "\(n >> 10) KiB" : "\(n) bytes"
    }
}

extension FS {
    /// Reads a small file that may come from a stranger's repository: a regular file (a symlink is
    /// followed, unless `followSymlink` is false), at most `limit` bytes. A FIFO or a device is refused
    /// without blocking on it. `name` (repository-relative) and `fix` go into the error.
    public static func readBounded(_ path: String, name: String, limit: Int = DocumentLimits.maxBytes,
                                   followSymlink: Bool = true, fix: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | (followSymlink ? 0 : O_NOFOLLOW))
        guard fd >= 0 else {
            if errno == ELOOP { throw MLOpsError.malformed(name, "is a symbolic link, not a file", fix: fix) }
            throw SystemError("open", path, errno: errno)
        }
        return try readBounded(FileDescriptor(fd: fd, path: path), name: name, limit: limit, fix: fix)
    }

    /// Reads a small file of the working tree by its repository-relative path `rel`, opening every
    /// directory on the way from `root` without following a symlink: a committed symlink (the file, or
    /// a directory above it) cannot make git-mlops read, and record in a note, a file outside the
    /// repository. Otherwise as `readBounded`.
    public static func readBounded(root: String, _ rel: String, limit: Int = DocumentLimits.maxBytes, fix: String) throws -> [UInt8] {
        let path = try RepoPath(rel)
        var dir = try Directory.open(root)
        var walked = ""
        for name in path.string.split(separator: "/").dropLast().map(String.init) {
            walked += (walked.isEmpty ? "" : "/") + name
            if dir.lstat(name)?.isSymlink == true {
                throw MLOpsError.malformed(rel, "is reached through the symbolic link \(walked)", fix: fix)
            }
            guard let sub = try dir.subdirectory(name, create: false) else { throw SystemError("open", root + "/" + rel, errno: ENOENT) }
            dir = sub
        }
        let fd = openat(dir.fd, path.name, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else {
            if errno == ELOOP { throw MLOpsError.malformed(rel, "is a symbolic link, not a file", fix: fix) }
            throw SystemError("open", root + "/" + rel, errno: errno)
        }
        return try readBounded(FileDescriptor(fd: fd, path: root + "/" + rel), name: rel, limit: limit, fix: fix)
    }

    private static func readBounded(_ file: FileDescriptor, name: String, limit: Int, fix: String) throws -> [UInt8] {
        guard let st = file.stat(), st.isRegular else {
            throw MLOpsError.malformed(name, "is not a regular file", fix: fix)
        }
        let tooLarge = MLOpsError.malformed(name, "is larger than \(DocumentLimits.describe(bytes: limit)), the limit for this file", fix: fix)
        guard st.size <= Int64(limit) else { throw tooLarge }
        // The size may change between fstat and read: read one byte past the limit to see.
        var out = [UInt8](repeating: 0, count: Int(st.size) + 1)
        var n = try out.withUnsafeMutableBytes { try file.readFully(into: $0.baseAddress!, count: $0.count) }
        while n == out.count {
            guard out.count <= limit else { throw tooLarge }
            out += [UInt8](repeating: 0, count: min(out.count, limit + 1 - out.count))
            n += try out.withUnsafeMutableBytes { try file.readFully(into: $0.baseAddress! + n, count: $0.count - n) }
        }
        out.removeLast(out.count - n)
        return out
    }
}
