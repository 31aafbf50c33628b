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

extension ObjectDatabase {
    /// Adopts a complete, verified pack file (downloaded from a remote) with its index: durable first,
    /// then visible, exactly like a sealed local pack.
    ///
    /// The name and the index are checked first (they may come from a remote): a pack name other than
    /// 32 hex digits, an index that does not describe this file, or a bad row is refused before
    /// anything is stored.
    public func installPack(name: String, from packPath: String, index: [UInt8]) throws {
        guard PackFormat.isPackName(name) else {
            throw MLOpsError("'\(name)' is not a pack name", hint: "packs are named with 32 hex digits; nothing was stored")
        }
        let pfd = try FileDescriptor.open(packPath, O_RDONLY)
        defer { pfd.close() }
        let described: (count: Int, packSize: Int64)
        do {
            described = try index.withUnsafeBytes { try IndexFormat.check($0, checksum: true, rows: true) }
        } catch let e as IndexFormatError {
            throw e.error("the index of pack \(name)", damagedHint: "nothing was stored; fetch again")
        }
        guard pfd.stat()?.size == described.packSize else {
            throw MLOpsError("pack \(name) is not the size its index says (\(described.packSize) bytes)", hint: "nothing was stored; fetch again")
        }
        try pfd.sync()
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
