import Foundation
import MLOpsBasics
import ObjectStore

/// A remote's packs as this process sees them: names, sizes, ages, and their indexes (downloaded once
/// and cached locally: an index never changes once written).
///
/// Remote layout (format 1): `mlops-remote` (the text `git-mlops remote 1`), `packs/NAME.pack`,
/// `packs/NAME.idx`, and `trash/NAME.idx` for packs gc has retired but not yet deleted. A pack whose
/// index is not in `packs/` is invisible: that is how a push makes a pack appear all at once.
public final class RemoteStore: @unchecked Sendable {
    public let backend: RemoteBackend
    public let retry: RetryPolicy
    let cacheDir: String
    let parallelism: Int

    public static let marker = "mlops-remote"
    public static let markerText = "git-mlops remote 1\n"

    public struct Pack: Sendable {
        public var name: String
        public var size: Int64
        public var modified: Date
        public var entries: [IndexEntry]
    }

    /// `cacheDir` keeps downloaded indexes (e.g. `.git/mlops/remotes/NAME`), when it can be written:
    /// the copies only save downloads, so a push from a read-only cache works without them. Listings
    /// are filtered to the names git-mlops makes (`RemoteNameFilter`).
    public init(backend: RemoteBackend, cacheDir: String, retry: RetryPolicy = RetryPolicy(), parallelism: Int = 4) throws {
        self.backend = backend is RemoteNameFilter ? backend : RemoteNameFilter(backend)
        self.cacheDir = cacheDir
        self.retry = retry
        self.parallelism = parallelism
        try? FS.mkdirs(cacheDir)
    }

    /// Checks the remote's format marker; writes it when `create` and the remote is empty.
    public func checkFormat(create: Bool) throws {
        let listing = try retry.run(backend, "list", "") { try backend.list(prefix: RemoteStore.marker) }
        if listing.contains(where: { $0.name == RemoteStore.marker }) {
            let text = String(decoding: try retry.run(backend, "read", RemoteStore.marker) { try backend.get(RemoteStore.marker) }, as: UTF8.self)
            guard text == RemoteStore.markerText else {
                throw MLOpsError("\(backend.url) holds data in an unknown format (\(text.trimmingCharacters(in: .whitespacesAndNewlines)))",
                                 hint: "upgrade git-mlops, or point the remote at another location")
            }
        } else if create {
            try retry.run(backend, "write", RemoteStore.marker) { try backend.put(RemoteStore.marker, bytes: Array(RemoteStore.markerText.utf8)) }
        }
    }

    /// Every visible pack with its index. Missing indexes are downloaded (in parallel) and checked
    /// before they are cached.
    public func packs() throws -> [Pack] {
        let files = try retry.run(backend, "list", "packs/") { try backend.list(prefix: "packs/") }
        let byName = Dictionary(files.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let names = files.compactMap { f -> String? in
            guard f.name.hasSuffix(".idx") else { return nil }
            let n = String(f.name.dropFirst("packs/".count).dropLast(4))
            return byName["packs/\(n).pack"] != nil ? n : nil
        }
        var found = [Pack?](repeating: nil, count: names.count)
        let lock = NSLock()
        try parallel(names.count, width: parallelism) { [self] i in
            let pack = byName["packs/\(names[i]).pack"]!
            let entries = try index(of: names[i], packSize: pack.size).entries
            lock.lock()
            found[i] = Pack(name: names[i], size: pack.size, modified: pack.modified, entries: entries)
            lock.unlock()
        }
        // Forget cached indexes of packs that are gone.
        let keep = Set(names.map { $0 + ".idx" })
        for e in (try? FS.listDirectory(cacheDir)) ?? [] where e.name.hasSuffix(".idx") && !keep.contains(e.name) {
            try? FS.remove("\(cacheDir)/\(e.name)")
        }
        return found.map { $0! }
    }

    /// Pack `name`'s index: the cached copy, else downloaded, checked row by row and against the
    /// pack's listed size, and only then cached. A cached copy is checked again too (caches of older
    /// versions were not), and replaced when it fails.
    private func index(of name: String, packSize: Int64) throws -> PackIndexFile {
        let local = "\(cacheDir)/\(name).idx"
        if FS.exists(local), let cached = try? PackIndexFile(path: local), cached.packSize == packSize { return cached }
        let remoteName = "packs/\(name).idx"
        let bytes = try retry.run(backend, "download", remoteName) { try backend.get(remoteName) }
        let index: PackIndexFile
        do {
            index = try PackIndexFile(bytes: bytes, checksum: true)
        } catch let e as IndexFormatError {
            throw e.error("\(backend.url)/\(remoteName)", damagedHint: "nothing was stored; run `git mlops gc --remote` from a clone that has the data to rebuild it, or delete that pack on the remote")
        }
        guard index.packSize == packSize else {
            throw MLOpsError("\(backend.url)/packs/\(name).pack is \(packSize) bytes but its index says \(index.packSize)",
                             hint: "the pack is damaged; push again from a clone that has the data, then run `git mlops gc --remote`")
        }
        try? FS.writeAtomic(local, bytes, durable: false)
        return index
    }

    /// Where each of `ids` is on the remote. Scans every index once; memory stays proportional to `ids`.
    public func locate(_ ids: Set<ObjectID>, in packs: [Pack]) -> [ObjectID: (pack: String, entry: IndexEntry)] {
        var out: [ObjectID: (String, IndexEntry)] = [:]
        for p in packs {
            for e in p.entries where ids.contains(e.id) && out[e.id] == nil { out[e.id] = (p.name, e) }
        }
        return out
    }
}

/// A pack index read into memory (remote indexes are small and read once), every row checked.
struct PackIndexFile {
    let entries: [IndexEntry]
    let packSize: Int64

    init(bytes: [UInt8], checksum: Bool) throws {
        let (count, size) = try bytes.withUnsafeBytes { try IndexFormat.check($0, checksum: checksum, rows: true) }
        packSize = size
        entries = bytes.withUnsafeBytes { p in (0..<count).map { IndexFormat.entry(p.baseAddress!, $0) } }
    }

    init(path: String) throws {
        do {
            try self.init(bytes: try FS.readFile(path), checksum: false)
        } catch let e as IndexFormatError {
            throw e.error(path, damagedHint: "delete it; it is downloaded again")
        }
    }
}
