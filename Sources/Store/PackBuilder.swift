import MLOpsBasics

/// Writes a standalone pack (and its index) from records copied out of other packs, for a remote.
/// Nothing becomes visible in the local store.
public final class PackBuilder {
    public let name: String
    public let path: String
    private let fd: FileDescriptor
    public private(set) var size: Int64
    public private(set) var entries: [IndexEntry] = []

    public init(directory: String) throws {
        name = PackWriter.newPackName()
        path = "\(directory)/\(name).pack"
        fd = try FileDescriptor.open(path, O_RDWR | O_CREAT | O_EXCL, mode: 0o644)
        try fd.writeAll(PackFormat.header())
        size = Int64(PackFormat.headerSize)
    }

    /// Appends a whole record (header and stored bytes) as read from a pack.
    public func append(record: [UInt8], entry: IndexEntry) throws {
        try fd.writeAll(record)
        var e = entry
        e.offset = size
        entries.append(e)
        size += Int64(record.count)
    }

    /// Closes the pack and returns its index bytes.
    public func finish() throws -> [UInt8] {
        fd.close()
        return IndexFormat.encode(entries, packSize: size)
    }

    public func discard() {
        fd.close()
        try? FS.remove(path)
    }
}

extension Store {
    /// Adopts a complete, verified pack file (downloaded from a remote) with its index: durable first,
    /// then visible, exactly like a sealed local pack.
    public func installPack(name: String, from packPath: String, index: [UInt8]) throws {
        let pfd = try FileDescriptor.open(packPath, O_RDONLY)
        try pfd.sync()
        pfd.close()
        let idxTmp = "\(tmpDir)/\(name).idx.tmp"
        try FS.writeAtomic(idxTmp, index)
        chmod(packPath, 0o444)
        try FS.rename(packPath, "\(packsDir)/\(name).pack")
        try FS.rename(idxTmp, "\(packsDir)/\(name).idx")
        FS.syncDirectory(packsDir)
        try reload()
        try maintainMultiIndex()
    }

    /// Whether `name` is a pack of this store.
    public func hasPack(_ name: String) -> Bool { FS.exists("\(packsDir)/\(name).idx") }

    public func packPath(_ name: String) -> String { "\(packsDir)/\(name).pack" }
}

#if canImport(Glibc)
import Glibc
#endif
