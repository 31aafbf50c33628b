import Foundation
import MLOpsBasics
import ObjectStore
import Store

/// The cache calls the layers above need besides add and checkout (Lineage's run cache, the report):
/// storing copies of files nobody tracks, putting such files back, reading one. They take the store
/// lock and run the ingester or materializer here, so no layer above builds its own.
extension Repo {
    /// Stores copies of workspace files in the cache without tracking them (no pointer, no
    /// `.gitignore` entry, no stat cache): a stage's metrics files, kept so that the run cache can
    /// restore them. One record per path, in order; the data is durable when this returns.
    public func storeCopies(of rels: [String]) throws -> [FileRecord] {
        let lock = try lockStore()
        defer { lock.release() }
        let ingester = Ingester(store: store, statCache: nil)
        do {
            let records = try rels.map { try ingester.file(at: absolute($0), key: nil) }
            try ingester.finish()
            return records
        } catch {
            ingester.abandon()
            throw error
        }
    }

    /// A file to write back from the cache.
    public struct CachedFile: Sendable {
        public var path: String
        public var id: ObjectID
        public var size: Int64
        /// What named the data (a run record), for errors that blame it.
        public var origin: String?
        public init(path: String, id: ObjectID, size: Int64, origin: String? = nil) {
            self.path = path; self.id = id; self.size = size; self.origin = origin
        }
    }

    /// Writes files from the cache into the workspace, replacing what is there. Each is checked
    /// against its id before it appears under its name; the paths are checked like any path from
    /// outside, and written by descriptor (see `WorkTree`).
    public func restore(_ files: [CachedFile]) throws {
        guard !files.isEmpty else { return }
        let lock = try lockStore()
        defer { lock.release() }
        let materializer = Materializer(store: store)
        let tree = workTree()
        for f in files {
            let p = try RepoPath(f.path)
            try tree.remove(p)
            _ = try materializer.write(.init(id: f.id, size: f.size, executable: false, tree: tree, directory: p.parent, name: p.name,
                                             origin: f.origin))
        }
    }

    /// The bytes of the file stored under `id`, verified by its hash on the way (through a private
    /// temporary file, so a damaged object never reaches the caller).
    public func cachedBytes(of id: ObjectID, size: Int64) throws -> [UInt8] {
        let lock = try lockStore()
        defer { lock.release() }
        let tmp = NSTemporaryDirectory() + "/git-mlops-cached-" + UUID().uuidString
        defer { try? FS.remove(tmp) }
        let fd = try FileDescriptor.open(tmp, O_RDWR | O_CREAT | O_EXCL, mode: 0o600)
        defer { fd.close() }
        try Materializer(store: store).stream(id, size: size, to: fd)
        return try FS.readFile(tmp)
    }
}
