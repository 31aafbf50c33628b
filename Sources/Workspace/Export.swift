import Foundation
import MLOpsBasics
import Store

extension Repo {
    public struct ExportReport: Sendable {
        public var bytes: Int64
        public var files: Int
        /// Whether objects had to come from the default remote.
        public var fetched: Bool
    }

    /// Writes the stored file or directory a pointer names to `dest`, a path outside the tracked layout
    /// (`model get -o`). Only the objects it needs are fetched, from the default remote, when the cache
    /// lacks them; every file is checked against its id; the result appears all at once (written under a
    /// temporary name beside `dest`, then renamed) and nothing that exists is replaced.
    public func export(_ pointer: Pointer, to dest: String, progress: Bool = Terminal.stdoutIsTTY) throws -> ExportReport {
        guard FS.lstat(dest) == nil else {
            throw MLOpsError("\(dest) exists", hint: "remove it or choose another output path")
        }
        let fetched = !store.closure(of: [pointer.id]).missing.isEmpty
        try ensureObjects([pointer.id])
        let lock = try lockStore()
        defer { lock.release() }
        let parent = dirname(dest)
        try FS.mkdirs(parent.isEmpty ? "." : parent)
        let mat = Materializer(store: store)
        mat.durable = true
        switch pointer.kind {
        case .file:
            if progress { mat.progress = ProgressMeter("Writing", totalBytes: pointer.size) }
            _ = try mat.write(.init(id: pointer.id, size: pointer.size, executable: pointer.executable, dest: dest))
            mat.progress?.finish()
            FS.syncDirectory(parent)
            return ExportReport(bytes: pointer.size, files: 1, fetched: fetched)
        case .dir:
            let manifest = try store.directory(pointer.id)
            // Listings come from anyone's clone: every entry becomes a checked path first.
            let paths = try manifest.entries.map { e -> RepoPath in
                do { return try RepoPath(e.path) } catch {
                    throw MLOpsError("the listing of \(pointer.id.short) names an unsafe path: \(error)",
                                     hint: "it was not made by git-mlops; run `git mlops fsck`")
                }
            }
            // Built under a staging name beside `dest` and renamed into place whole.
            let parentDir = try Directory.open(parent.isEmpty ? "." : parent)
            let name = basename(dest), stage = Materializer.tempName(for: name)
            try parentDir.remove(stage)
            try parentDir.makeDirectory(stage)
            guard let root = try parentDir.subdirectory(stage, create: false) else { throw SystemError("open", parentDir.display(stage), errno: ENOENT) }
            let tree = WorkTree(root: root)
            let jobs = zip(manifest.entries, paths).map { e, p in
                Materializer.Job(id: e.id, size: e.size, executable: e.executable, tree: tree, directory: p.parent, name: p.name, direct: true)
            }
            if progress { mat.progress = ProgressMeter("Writing", totalBytes: jobs.reduce(0) { $0 + $1.size }) }
            do {
                _ = try mat.write(jobs)
            } catch {
                try? parentDir.remove(stage)
                throw error
            }
            mat.progress?.finish()
            FS.syncDirectory(parentDir.display(stage))
            guard parentDir.lstat(name) == nil else {
                try? parentDir.remove(stage)
                throw MLOpsError("\(dest) appeared while it was being written", hint: "remove it or choose another output path")
            }
            try parentDir.rename(stage, to: name)
            FS.syncDirectory(parent)
            return ExportReport(bytes: jobs.reduce(0) { $0 + $1.size }, files: jobs.count, fetched: fetched)
        }
    }
}
