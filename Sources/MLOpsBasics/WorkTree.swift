import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A directory held open by descriptor. Every call names one entry in it and never follows a symlink
/// there: files are created with O_EXCL|O_NOFOLLOW, subdirectories opened with O_NOFOLLOW|O_DIRECTORY,
/// entries renamed with renameat and removed with unlinkat. A symlink committed where git-mlops writes,
/// or a directory swapped for one while it works, can neither redirect a write nor a removal.
public final class Directory: @unchecked Sendable {
    public let fd: Int32
    /// For messages.
    public let path: String

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    deinit { close(fd) }

    /// Opens a directory the caller trusts by path (the work tree's root, a scratch directory).
    public static func open(_ path: String) throws -> Directory {
        let fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw SystemError("open", path, errno: errno) }
        return Directory(fd: fd, path: path)
    }

    public func display(_ name: String) -> String { path + "/" + name }

    /// What is at `name` itself (a symlink is reported as one).
    public func lstat(_ name: String) -> FileStat? {
        var st = emptyStat()
        guard fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else { return nil }
        return FileStat(st)
    }

    /// The subdirectory `name`, never reached through a symlink (that throws). When it is absent, or
    /// a file, returns nil; with `create` makes it when absent and throws when it is a file.
    public func subdirectory(_ name: String, create: Bool) throws -> Directory? {
        for attempt in 0..<2 {
            let sub = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if sub >= 0 { return Directory(fd: sub, path: display(name)) }
            let e = errno
            guard let st = lstat(name) else {
                guard create else { return nil }
                if mkdirat(fd, name, 0o755) != 0 && (errno != EEXIST || attempt == 1) {
                    throw SystemError("mkdir", display(name), errno: errno)
                }
                continue
            }
            if st.isSymlink {
                throw MLOpsError("refusing to write through \(display(name)): it is a symlink",
                                 hint: "remove the symlink or move the data; git-mlops never writes through symlinks")
            }
            if !st.isDirectory {
                guard create else { return nil }
                throw MLOpsError("cannot write below \(display(name)): it is a file, not a directory",
                                 hint: "move that file away, then run the command again")
            }
            throw SystemError("open", display(name), errno: e)
        }
        throw SystemError("open", display(name), errno: ENOENT)
    }

    /// Creates `name` for writing; fails if anything (a symlink included) is there already.
    public func create(_ name: String, mode: mode_t) throws -> FileDescriptor {
        let f = openat(fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard f >= 0 else { throw SystemError("open", display(name), errno: errno) }
        return FileDescriptor(fd: f, path: display(name))
    }

    /// Creates a temporary whose name git-mlops owns: a leftover there (from a crash, or committed by
    /// someone else) is unlinked, never opened, and the name created afresh.
    public func createTemporary(_ name: String, mode: mode_t) throws -> FileDescriptor {
        do {
            return try create(name, mode: mode)
        } catch let e as SystemError where e.errno == EEXIST {
            try remove(name)
            return try create(name, mode: mode)
        }
    }

    /// Makes the directory `name`; fails if anything is there.
    public func makeDirectory(_ name: String) throws {
        if mkdirat(fd, name, 0o755) != 0 { throw SystemError("mkdir", display(name), errno: errno) }
    }

    /// Renames `name` to `newName` in `dest` (default: here). What was at `newName` is replaced, not followed.
    public func rename(_ name: String, to newName: String, in dest: Directory? = nil) throws {
        let to = dest ?? self
        if renameat(fd, name, to.fd, newName) != 0 {
            throw SystemError("rename", "\(display(name)) -> \(to.display(newName))", errno: errno)
        }
    }

    /// Removes `name` whatever it is (a directory with everything in it); missing is fine. Symlinks are
    /// removed, never followed, even one that replaces a directory while this runs.
    public func remove(_ name: String) throws {
        for _ in 0..<3 {
            guard let st = lstat(name) else { return }
            if st.isDirectory {
                if let sub = try? subdirectory(name, create: false) {
                    for e in try sub.entries() { try sub.remove(e.name) }
                }
                if unlinkat(fd, name, AT_REMOVEDIR) == 0 || errno == ENOENT { return }
                // Replaced by something else meanwhile: look again.
                if errno != ENOTDIR { throw SystemError("rmdir", display(name), errno: errno) }
            } else {
                if unlinkat(fd, name, 0) == 0 || errno == ENOENT { return }
                if errno != EISDIR && errno != EPERM { throw SystemError("unlink", display(name), errno: errno) }
            }
        }
        throw MLOpsError("cannot remove \(display(name)): it keeps changing", hint: "stop whatever writes there, then run the command again")
    }

    /// The entries here (without `.` and `..`), unsorted, with their kind (symlinks not followed).
    public func entries() throws -> [FS.DirEntry] {
        // A descriptor of its own: a dup would share (and move) this one's read position.
        let own = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard own >= 0, let dir = fdopendir(own) else {
            let e = errno
            if own >= 0 { close(own) }
            throw SystemError("opendir", path, errno: e)
        }
        defer { closedir(dir) }
        return FS.readEntries(dir) { self.lstat($0) }
    }

    /// Opens the regular file `name` for reading; a symlink, FIFO or device there is refused.
    public func openRegularFile(_ name: String) throws -> FileDescriptor {
        let f = openat(fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard f >= 0 else {
            let e = errno
            if lstat(name)?.isSymlink == true {
                throw MLOpsError("\(display(name)) is a symlink; git-mlops reads it only as a regular file", hint: "replace it with a regular file")
            }
            throw SystemError("open", display(name), errno: e)
        }
        let file = FileDescriptor(fd: f, path: display(name))
        guard file.stat()?.isRegular == true else {
            throw MLOpsError("\(display(name)) is not a regular file", hint: "replace it with a regular file")
        }
        return file
    }

    /// Sets or clears the executable bits of the regular file `name` (as `chmod +x` would by the read bits).
    public func setExecutable(_ name: String, _ on: Bool) throws {
        let file = try openRegularFile(name)
        guard let st = file.stat() else { return }
        let m = on ? (st.mode | ((st.mode & 0o444) >> 2)) : (st.mode & ~0o111)
        if fchmod(file.fd, mode_t(m & 0o7777)) != 0 { throw SystemError("chmod", display(name), errno: errno) }
    }

    /// Removes the empty directories below this one (not itself), deepest first.
    public func removeEmptyDirectories() {
        guard let list = try? entries() else { return }
        for e in list where e.kind == .directory {
            guard let sub = try? subdirectory(e.name, create: false) else { continue }
            sub.removeEmptyDirectories()
            if (try? sub.entries())?.isEmpty == true { unlinkat(fd, e.name, AT_REMOVEDIR) }
        }
    }
}

/// The directories below a root, each opened component by component from it without following
/// symlinks, and kept open for one operation (so a deep tree costs one `openat` per directory, not
/// per file). Paths are `RepoPath`s: nothing unchecked is ever resolved here. Thread-safe.
public final class WorkTree: @unchecked Sendable {
    public let path: String
    private var rootDirectory: Directory?
    private var opened: [RepoPath: Directory] = [:]
    private let lock = NSLock()
    /// At most this many directories stay open; past it the cache starts over (callers keep what they hold).
    static let maxOpen = 256

    public init(root: Directory) {
        path = root.path
        rootDirectory = root
    }

    /// A root the caller trusts, opened on first use.
    public init(path: String) { self.path = path }

    public func display(_ p: RepoPath) -> String { path + "/" + p.string }

    /// The directory at `p` (the root when nil). Absent, or a file: nil, unless `create` (then made, or
    /// an error for a file). A symlink on the way is always an error.
    public func directory(_ p: RepoPath?, create: Bool) throws -> Directory? {
        lock.lock()
        defer { lock.unlock() }
        return try open(p, create)
    }

    private func open(_ p: RepoPath?, _ create: Bool) throws -> Directory? {
        guard let p else {
            if let r = rootDirectory { return r }
            let r = try Directory.open(path)
            rootDirectory = r
            return r
        }
        if let d = opened[p] { return d }
        guard let parent = try open(p.parent, create), let d = try parent.subdirectory(p.name, create: create) else { return nil }
        if opened.count >= WorkTree.maxOpen { opened.removeAll() }
        opened[p] = d
        return d
    }

    /// What is at `p` itself; nil when it or a directory above it is absent.
    public func lstat(_ p: RepoPath) throws -> FileStat? {
        try directory(p.parent, create: false)?.lstat(p.name)
    }

    /// Removes whatever is at `p` (see `Directory.remove`).
    public func remove(_ p: RepoPath) throws {
        guard let parent = try directory(p.parent, create: false) else { return }
        if parent.lstat(p.name)?.isDirectory == true {
            lock.lock()
            opened = opened.filter { $0.key != p && !p.contains($0.key) }
            lock.unlock()
        }
        try parent.remove(p.name)
    }
}
