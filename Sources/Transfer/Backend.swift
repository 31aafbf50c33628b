import Foundation
import MLOpsBasics

/// A file on a remote (key relative to the remote's root).
public struct RemoteFile: Sendable, Equatable {
    public var name: String
    public var size: Int64
    public var modified: Date
    public init(name: String, size: Int64, modified: Date) { self.name = name; self.size = size; self.modified = modified }
}

/// Where a remote keeps its files: a directory or an S3 prefix (tests add one in memory). Backends only move
/// bytes; retries, parallelism, verification and progress live in `Transfer`.
///
/// Every write is all-or-nothing: a reader sees a complete file or none.
public protocol RemoteBackend: AnyObject, Sendable {
    /// The remote's URL, for messages.
    var url: String { get }
    /// Files whose name starts with `prefix` (e.g. `packs/`).
    func list(prefix: String) throws -> [RemoteFile]
    func get(_ name: String) throws -> [UInt8]
    func get(_ name: String, range: Range<Int64>) throws -> [UInt8]
    func put(_ name: String, bytes: [UInt8]) throws
    /// Uploads a local file without loading it whole into memory.
    func putFile(_ name: String, from path: String) throws
    func delete(_ name: String) throws
    /// Whether an error is worth retrying (timeouts, 5xx, connection resets).
    func isRetriable(_ error: Error) -> Bool
    /// Removes uploads under `prefix` started before `cutoff` and never finished (an S3 multipart
    /// upload, a directory's temporary file) and returns how many; with `dryRun` only counts them.
    func abortIncompleteUploads(prefix: String, startedBefore cutoff: Date, dryRun: Bool) throws -> Int
    /// Copies the whole file `name` into `fd` from its current position when this backend can do so
    /// without moving the bytes through the process (a directory: the kernel copies); false when it
    /// cannot, and the caller reads ranges.
    func getFile(_ name: String, into fd: FileDescriptor) throws -> Bool
}

extension RemoteBackend {
    public func abortIncompleteUploads(prefix: String, startedBefore cutoff: Date, dryRun: Bool) throws -> Int { 0 }
    public func getFile(_ name: String, into fd: FileDescriptor) throws -> Bool { false }
}

/// A remote that is a directory on a mounted file system.
public final class DirectoryBackend: RemoteBackend, @unchecked Sendable {
    public let root: String
    public var url: String { root }
    /// fsync written files (on by default: a remote is where backups live).
    public var durable = true

    public init(root: String, create: Bool = true) throws {
        self.root = root
        if create { try FS.mkdirs(root) }
        guard FS.isDirectory(root) else {
            throw MLOpsError("remote directory \(root) does not exist", hint: "create it, or fix the remote's URL with `git mlops remote add`")
        }
    }

    private func path(_ name: String) -> String { root + "/" + name }

    public func list(prefix: String) throws -> [RemoteFile] {
        let dir = dirname(prefix), start = basename(prefix)
        let full = dir.isEmpty ? root : path(dir)
        guard FS.isDirectory(full) else { return [] }
        return try FS.listDirectory(full).compactMap { e in
            guard e.kind == .file, e.name.hasPrefix(start), !e.name.hasPrefix(".tmp-"),
                  let st = FS.lstat(full + "/" + e.name) else { return nil }
            return RemoteFile(name: (dir.isEmpty ? "" : dir + "/") + e.name, size: st.size,
                              modified: Date(timeIntervalSince1970: Double(st.mtimeNs) / 1e9))
        }.sorted { $0.name < $1.name }
    }

    public func get(_ name: String) throws -> [UInt8] {
        do { return try FS.readFile(path(name)) } catch let e as SystemError where e.errno == ENOENT {
            throw RemoteNotFound(url: url, name: name)
        }
    }

    public func get(_ name: String, range: Range<Int64>) throws -> [UInt8] {
        let fd: FileDescriptor
        do { fd = try FileDescriptor.open(path(name), O_RDONLY) } catch let e as SystemError where e.errno == ENOENT {
            throw RemoteNotFound(url: url, name: name)
        }
        defer { fd.close() }
        let bytes = try fd.pread(count: Int(range.count), offset: range.lowerBound)
        guard bytes.count == range.count else { throw MLOpsError("\(url)/\(name) is shorter than expected", hint: "the remote file is truncated; run `git mlops gc --remote` after restoring it") }
        return bytes
    }

    public func getFile(_ name: String, into fd: FileDescriptor) throws -> Bool {
        let src: FileDescriptor
        do { src = try FileDescriptor.open(path(name), O_RDONLY) } catch let e as SystemError where e.errno == ENOENT {
            throw RemoteNotFound(url: url, name: name)
        }
        defer { src.close() }
        try src.copyRest(to: fd)
        return true
    }

    public func put(_ name: String, bytes: [UInt8]) throws {
        try FS.mkdirs(dirname(path(name)))
        let tmp = dirname(path(name)) + "/.tmp-\(basename(name))-\(UInt32.random(in: 0...UInt32.max))"
        let fd = try FileDescriptor.open(tmp, O_WRONLY | O_CREAT | O_EXCL, mode: 0o444)
        do {
            try fd.writeAll(bytes)
            if durable { try fd.sync() }
            fd.close()
            try FS.rename(tmp, path(name))
        } catch { fd.close(); try? FS.remove(tmp); throw error }
    }

    public func putFile(_ name: String, from source: String) throws {
        try FS.mkdirs(dirname(path(name)))
        let tmp = dirname(path(name)) + "/.tmp-\(basename(name))-\(UInt32.random(in: 0...UInt32.max))"
        let src = try FileDescriptor.open(source, O_RDONLY)
        defer { src.close() }
        let dst = try FileDescriptor.open(tmp, O_WRONLY | O_CREAT | O_EXCL, mode: 0o444)
        do {
            try src.copyRest(to: dst)
            if durable { try dst.sync() }
            dst.close()
            try FS.rename(tmp, path(name))
        } catch { dst.close(); try? FS.remove(tmp); throw error }
    }

    public func delete(_ name: String) throws { try FS.remove(path(name)) }

    public func isRetriable(_ error: Error) -> Bool {
        if let e = error as? SystemError { return [EINTR, EAGAIN, EIO, ETIMEDOUT].contains(e.errno) }
        return false
    }

    /// A writer killed between creating and renaming its `.tmp-` file leaves it behind.
    public func abortIncompleteUploads(prefix: String, startedBefore cutoff: Date, dryRun: Bool) throws -> Int {
        let dir = dirname(prefix).isEmpty ? root : path(dirname(prefix))
        guard FS.isDirectory(dir) else { return 0 }
        var removed = 0
        for e in try FS.listDirectory(dir) where e.kind == .file && e.name.hasPrefix(".tmp-\(basename(prefix))") {
            guard let st = FS.lstat(dir + "/" + e.name), Date(timeIntervalSince1970: Double(st.mtimeNs) / 1e9) < cutoff else { continue }
            if !dryRun { try FS.remove(dir + "/" + e.name) }
            removed += 1
        }
        return removed
    }
}

public struct RemoteNotFound: Error, CustomStringConvertible {
    public let url: String
    public let name: String
    public init(url: String, name: String) { self.url = url; self.name = name }
    public var description: String { "\(url): \(name) does not exist" }
}
