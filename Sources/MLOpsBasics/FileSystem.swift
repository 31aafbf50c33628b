#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What `lstat` says about a path: the fields the stat cache keys on, plus its type.
public struct FileStat: Equatable, Sendable {
    public var size: Int64
    public var mtimeNs: Int64
    public var ctimeNs: Int64
    public var inode: UInt64
    public var mode: UInt32

    public var isRegular: Bool { mode & UInt32(S_IFMT) == UInt32(S_IFREG) }
    public var isDirectory: Bool { mode & UInt32(S_IFMT) == UInt32(S_IFDIR) }
    public var isSymlink: Bool { mode & UInt32(S_IFMT) == UInt32(S_IFLNK) }
    public var isExecutable: Bool { mode & 0o100 != 0 }

    public init(size: Int64, mtimeNs: Int64, ctimeNs: Int64, inode: UInt64, mode: UInt32) {
        self.size = size; self.mtimeNs = mtimeNs; self.ctimeNs = ctimeNs; self.inode = inode; self.mode = mode
    }

    init(_ st: stat) {
        #if canImport(Glibc)
        let m = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
        let c = Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec)
        #else
        let m = Int64(st.st_mtimespec.tv_sec) * 1_000_000_000 + Int64(st.st_mtimespec.tv_nsec)
        let c = Int64(st.st_ctimespec.tv_sec) * 1_000_000_000 + Int64(st.st_ctimespec.tv_nsec)
        #endif
        self.init(size: Int64(st.st_size), mtimeNs: m, ctimeNs: c, inode: UInt64(st.st_ino), mode: UInt32(st.st_mode))
    }
}

func emptyStat() -> stat { stat() }
func cStat(_ path: String, _ st: inout stat) -> Int32 { stat(path, &st) }

/// Thin, throwing wrappers over the POSIX calls the store needs. Paths are plain strings.
public enum FS {
    public static func lstat(_ path: String) -> FileStat? {
        var st = emptyStat()
        guard Glibc.lstat(path, &st) == 0 else { return nil }
        return FileStat(st)
    }

    public static func stat(_ path: String) -> FileStat? {
        var st = emptyStat()
        guard cStat(path, &st) == 0 else { return nil }
        return FileStat(st)
    }

    /// The device a path lives on, to tell whether a rename between two paths can be atomic.
    public static func device(_ path: String) -> UInt64? {
        var st = emptyStat()
        guard cStat(path, &st) == 0 else { return nil }
        return UInt64(st.st_dev)
    }

    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 || lstat(path) != nil }

    public static func isDirectory(_ path: String) -> Bool { stat(path)?.isDirectory ?? false }

    public static func mkdirs(_ path: String, mode: mode_t = 0o755) throws {
        if isDirectory(path) { return }
        let parent = dirname(path)
        if parent != path, !parent.isEmpty { try mkdirs(parent, mode: mode) }
        if mkdir(path, mode) != 0 && errno != EEXIST {
            throw SystemError("mkdir", path, errno: errno)
        }
    }

    public static func readFile(_ path: String) throws -> [UInt8] {
        let fd = try FileDescriptor.open(path, O_RDONLY)
        defer { fd.close() }
        return try fd.readAll()
    }

    public static func readText(_ path: String) throws -> String {
        String(decoding: try readFile(path), as: UTF8.self)
    }

    /// Writes `bytes` so that readers see the old file or the new one, never half of it:
    /// temp file beside the target, fsync, rename, fsync of the directory.
    public static func writeAtomic(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644, durable: Bool = true) throws {
        let tmp = tempName(for: path)
        let fd = try FileDescriptor.open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode: mode)
        do {
            try fd.writeAll(bytes)
            if durable { try fd.sync() }
            fd.close()
            try rename(tmp, path)
            if durable { syncDirectory(dirname(path)) }
        } catch {
            fd.close()
            unlink(tmp)
            throw error
        }
    }

    public static func writeAtomic(_ path: String, _ text: String, mode: mode_t = 0o644, durable: Bool = true) throws {
        try writeAtomic(path, Array(text.utf8), mode: mode, durable: durable)
    }

    /// A unique temporary name in the same directory, so that the final rename is atomic.
    public static func tempName(for path: String) -> String {
        let dir = dirname(path)
        let base = basename(path)
        let rnd = UInt32.random(in: 0...UInt32.max)
        return (dir.isEmpty ? "" : dir + "/") + ".\(base).tmp-\(getpid())-\(String(rnd, radix: 16))"
    }

    public static func rename(_ from: String, _ to: String) throws {
        if Glibc.rename(from, to) != 0 { throw SystemError("rename", "\(from) -> \(to)", errno: errno) }
    }

    public static func remove(_ path: String) throws {
        if unlink(path) != 0 && errno != ENOENT { throw SystemError("unlink", path, errno: errno) }
    }

    /// Removes a file or a whole tree; missing is fine. Symlinks inside are removed, never followed
    /// (see `Directory.remove`).
    public static func removeTree(_ path: String) throws {
        var p = path
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        guard lstat(p) != nil else { return }
        let parent = dirname(p)
        try Directory.open(parent.isEmpty ? "." : parent).remove(basename(p))
    }

    public static func syncDirectory(_ path: String) {
        let fd = open(path.isEmpty ? "." : path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 { fsync(fd); close(fd) }
    }

    public enum EntryKind: Sendable { case file, directory, symlink, other }

    public struct DirEntry: Sendable {
        public var name: String
        public var kind: EntryKind
        /// With `statFiles`, a regular file's lstat (nil when it went away meanwhile).
        public var stat: FileStat? = nil
    }

    /// Names in a directory (without `.` and `..`), unsorted, with their type from `d_type` where known.
    /// With `statFiles`, regular files come with their lstat, taken relative to the open directory:
    /// one name to look up instead of the whole path (a directory walk stats thousands of files).
    public static func listDirectory(_ path: String, statFiles: Bool = false) throws -> [DirEntry] {
        guard let dir = opendir(path) else { throw SystemError("opendir", path, errno: errno) }
        defer { closedir(dir) }
        var entries = readEntries(dir) { lstat(path + "/" + $0) }
        if statFiles {
            let fd = dirfd(dir)
            for i in entries.indices where entries[i].kind == .file {
                var st = emptyStat()
                if fstatat(fd, entries[i].name, &st, AT_SYMLINK_NOFOLLOW) == 0 { entries[i].stat = FileStat(st) }
            }
        }
        return entries
    }

    /// The entries of an open directory stream; `lstat` answers for names whose `d_type` is unknown.
    static func readEntries(_ dir: OpaquePointer, lstat: (String) -> FileStat?) -> [DirEntry] {
        var out: [DirEntry] = []
        while let ent = readdir(dir) {
            let name = withUnsafePointer(to: &ent.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name == "." || name == ".." { continue }
            let kind: EntryKind
            switch Int32(ent.pointee.d_type) {
            case Int32(DT_REG): kind = .file
            case Int32(DT_DIR): kind = .directory
            case Int32(DT_LNK): kind = .symlink
            case Int32(DT_UNKNOWN):
                let st = lstat(name)
                kind = st.map { $0.isDirectory ? .directory : $0.isRegular ? .file : $0.isSymlink ? .symlink : .other } ?? .other
            default: kind = .other
            }
            out.append(DirEntry(name: name, kind: kind))
        }
        return out
    }

    public static func realpath(_ path: String) -> String? {
        guard let p = Glibc.realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }

    public static func readlink(_ path: String) -> String? {
        var buf = [CChar](repeating: 0, count: 4097)
        let n = Glibc.readlink(path, &buf, 4096)
        guard n >= 0 else { return nil }
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public static var currentDirectory: String {
        var buf = [CChar](repeating: 0, count: 4096)
        guard getcwd(&buf, 4096) != nil else { return "." }
        return String(cString: buf)
    }

    public static func setExecutable(_ path: String, _ on: Bool) {
        guard let st = stat(path) else { return }
        let m = on ? (st.mode | ((st.mode & 0o444) >> 2)) : (st.mode & ~0o111)
        chmod(path, mode_t(m & 0o7777))
    }
}

/// Path string helpers; paths inside the store and pointers always use `/`.
public func dirname(_ path: String) -> String {
    guard let i = path.lastIndex(of: "/") else { return "" }
    if i == path.startIndex { return "/" }
    return String(path[..<i])
}

public func basename(_ path: String) -> String {
    guard let i = path.lastIndex(of: "/") else { return path }
    return String(path[path.index(after: i)...])
}

public func joinPath(_ a: String, _ b: String) -> String {
    if a.isEmpty || a == "." { return b }
    if b.isEmpty { return a }
    if b.hasPrefix("/") { return b }
    return a.hasSuffix("/") ? a + b : a + "/" + b
}

/// An owned file descriptor with the few calls the store needs. Not thread-safe except `pread`.
public final class FileDescriptor: @unchecked Sendable {
    public let fd: Int32
    public let path: String
    private var closed = false

    public init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    public static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o644) throws -> FileDescriptor {
        let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
        guard fd >= 0 else { throw SystemError("open", path, errno: errno) }
        return FileDescriptor(fd: fd, path: path)
    }

    /// O_DIRECT, which Swift's Glibc module does not export.
    #if arch(x86_64) || arch(i386)
    public static let directFlag: Int32 = 0o40000
    #else
    public static let directFlag: Int32 = 0o200000
    #endif

    deinit { close() }

    public func close() {
        if !closed { closed = true; Glibc.close(fd) }
    }

    /// Reads up to `count` bytes; returns 0 at end of file.
    public func read(into buf: UnsafeMutableRawPointer, count: Int) throws -> Int {
        while true {
            let n = Glibc.read(fd, buf, count)
            if n >= 0 { return n }
            if errno != EINTR { throw SystemError("read", path, errno: errno) }
        }
    }

    /// Fills `count` bytes unless the file ends first; returns how many were read.
    public func readFully(into buf: UnsafeMutableRawPointer, count: Int) throws -> Int {
        var done = 0
        while done < count {
            let n = try read(into: buf + done, count: count - done)
            if n == 0 { break }
            done += n
        }
        return done
    }

    public func pread(into buf: UnsafeMutableRawPointer, count: Int, offset: Int64) throws -> Int {
        var done = 0
        while done < count {
            let n = Glibc.pread(fd, buf + done, count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError("pread", path, errno: errno)
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    public func pread(count: Int, offset: Int64) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        let n = try out.withUnsafeMutableBytes { try pread(into: $0.baseAddress!, count: count, offset: offset) }
        if n < count { out.removeLast(count - n) }
        return out
    }

    public func readAll() throws -> [UInt8] {
        var out: [UInt8] = []
        let size = Int(FileStat.fstat(fd)?.size ?? 0)
        out.reserveCapacity(size + 1)
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = try buf.withUnsafeMutableBytes { try read(into: $0.baseAddress!, count: $0.count) }
            if n == 0 { break }
            out.append(contentsOf: buf[0..<n])
        }
        return out
    }

    public func write(_ buf: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < buf.count {
            let n = Glibc.write(fd, buf.baseAddress! + done, buf.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError("write", path, errno: errno)
            }
            done += n
        }
    }

    /// Writes all of `buf` at `offset`, leaving the file position alone (safe from several threads).
    public func pwrite(_ buf: UnsafeRawBufferPointer, offset: Int64) throws {
        var done = 0
        while done < buf.count {
            let n = Glibc.pwrite(fd, buf.baseAddress! + done, buf.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError("pwrite", path, errno: errno)
            }
            done += n
        }
    }

    /// copy_file_range(2), which Swift's Glibc module does not export; looked up once (glibc 2.27+).
    private typealias CopyFileRange = @convention(c) (Int32, UnsafeMutablePointer<Int64>?, Int32, UnsafeMutablePointer<Int64>?, Int, UInt32) -> Int
    private static let copyFileRange: CopyFileRange? = dlsym(nil, "copy_file_range").map { unsafeBitCast($0, to: CopyFileRange.self) }

    /// Copies the rest of this file into `dst` from both current positions. The kernel copies (and
    /// clones, where the file system can), so a local remote's push neither moves the bytes through
    /// this process nor pays for two page-cache copies; a file system that cannot (another device, an
    /// old kernel) gets read and write through a buffer.
    public func copyRest(to dst: FileDescriptor) throws {
        while true {
            guard let copyFileRange = FileDescriptor.copyFileRange else { break }
            let n = copyFileRange(fd, nil, dst.fd, nil, 1 << 30, 0)
            if n > 0 { continue }
            if n == 0 { return }
            if errno == EINTR { continue }
            guard [EXDEV, EINVAL, ENOSYS, EOPNOTSUPP, EBADF].contains(errno) else { throw SystemError("copy", "\(path) to \(dst.path)", errno: errno) }
            break
        }
        let cap = 4 << 20
        let buf = UnsafeMutableRawPointer.allocate(byteCount: cap, alignment: 64)
        defer { buf.deallocate() }
        while true {
            let n = try read(into: buf, count: cap)
            if n == 0 { return }
            try dst.write(UnsafeRawBufferPointer(start: buf, count: n))
        }
    }

    public func writeAll(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    public func sync() throws {
        if fsync(fd) != 0 { throw SystemError("fsync", path, errno: errno) }
    }

    public func stat() -> FileStat? { FileStat.fstat(fd) }

    public func seekEnd() -> Int64 { Int64(lseek(fd, 0, SEEK_END)) }

    public func truncate(_ size: Int64) throws {
        if ftruncate(fd, off_t(size)) != 0 { throw SystemError("ftruncate", path, errno: errno) }
    }

    public func adviseSequential() {
        #if canImport(Glibc)
        posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_SEQUENTIAL))
        #endif
    }
}

extension FileStat {
    public static func fstat(_ fd: Int32) -> FileStat? {
        var st = emptyStat()
        guard Glibc.fstat(fd, &st) == 0 else { return nil }
        return FileStat(st)
    }
}

/// An advisory `flock` held until released or the process exits (so `kill -9` never leaves it stuck).
public final class FileLock: @unchecked Sendable {
    private let fd: Int32
    public let path: String
    /// The lock file could not be opened for writing (a read-only cache): the lock was taken on a
    /// read-only descriptor, or not at all when the file does not exist and cannot be created.
    public let readOnly: Bool

    /// Whether an errno means "this file system or directory cannot be written".
    public static func isReadOnlyError(_ e: Int32) -> Bool { e == EROFS || e == EACCES || e == EPERM }

    /// Waits for the lock. `shared` lets many holders in at once; exclusive waits for all of them.
    /// With `allowReadOnly`, a lock file that cannot be opened for writing is locked through a
    /// read-only descriptor (`flock` does not care), or skipped when it cannot be created.
    public init(path: String, shared: Bool = false, wait: Bool = true, allowReadOnly: Bool = false) throws {
        self.path = path
        var f = Glibc.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        var ro = false
        if f < 0 && allowReadOnly && FileLock.isReadOnlyError(errno) {
            ro = true
            f = Glibc.open(path, O_RDONLY | O_CLOEXEC)
            if f < 0 && errno == ENOENT {
                fd = -1
                readOnly = true
                held = false
                return
            }
        }
        fd = f
        readOnly = ro
        guard fd >= 0 else { let e = errno; held = false; throw SystemError("open", path, errno: e) }
        var op = shared ? LOCK_SH : LOCK_EX
        if !wait { op |= LOCK_NB }
        while flock(fd, op) != 0 {
            if errno == EINTR { continue }
            let e = errno
            // deinit runs after a throw from a fully initialised class: it must not close fd again.
            held = false
            Glibc.close(fd)
            if e == EWOULDBLOCK {
                throw MLOpsError("\(path) is locked by another git-mlops process", hint: "wait for it to finish and try again")
            }
            throw SystemError("flock", path, errno: e)
        }
    }

    private var held = true

    public func release() {
        if held { held = false; Glibc.close(fd) }
    }

    deinit { release() }
}
