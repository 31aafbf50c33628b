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
            for e in manifest.entries where !isSafeRelativePath(e.path) {
                throw MLOpsError("the listing of \(pointer.id.short) names the unsafe path '\(e.path)'",
                                 hint: "it was not made by git-mlops; run `git mlops fsck`")
            }
            let stage = Materializer.tempPath(for: dest)
            try FS.removeTree(stage)
            try FS.mkdirs(stage)
            var made = Set<String>([stage])
            var jobs: [Materializer.Job] = []
            for e in manifest.entries {
                let path = stage + "/" + e.path
                let d = dirname(path)
                if !made.contains(d) { try FS.mkdirs(d); made.insert(d) }
                jobs.append(.init(id: e.id, size: e.size, executable: e.executable, dest: path, direct: true))
            }
            if progress { mat.progress = ProgressMeter("Writing", totalBytes: jobs.reduce(0) { $0 + $1.size }) }
            do {
                _ = try mat.write(jobs)
            } catch {
                try? FS.removeTree(stage)
                throw error
            }
            mat.progress?.finish()
            for d in made { FS.syncDirectory(d) }
            guard FS.lstat(dest) == nil else {
                try? FS.removeTree(stage)
                throw MLOpsError("\(dest) appeared while it was being written", hint: "remove it or choose another output path")
            }
            try FS.rename(stage, dest)
            FS.syncDirectory(parent)
            return ExportReport(bytes: jobs.reduce(0) { $0 + $1.size }, files: jobs.count, fetched: fetched)
        }
    }
}
