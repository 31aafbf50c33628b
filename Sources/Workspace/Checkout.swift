import Foundation
import MLOpsBasics
import Store

public struct CheckoutReport: Sendable {
    public var filesWritten = 0
    public var bytesWritten: Int64 = 0
    public var filesRemoved = 0
    public var unchanged = 0
    /// Tracked paths left alone because their data is not in the cache (with `skipMissing`).
    public var missing: [String] = []
}

extension Repo {
    /// Makes workspace data match the pointers. Plans everything first and changes nothing when a file
    /// with unsaved content would be overwritten or removed (unless `force`), or when data is missing
    /// from the cache (unless `skipMissing`: then those paths are left alone and listed in the report).
    public func checkout(_ userPaths: [String] = [], force: Bool = false, cwd: String = FS.currentDirectory,
                         progress: Bool = Terminal.stdoutIsTTY, skipMissing: Bool = false) throws -> CheckoutReport {
        let tracked = try select(try workspacePointers(), userPaths, cwd: cwd)
        let lock = try lockStore()
        defer { lock.release() }
        // One checkout at a time per worktree: temporaries have fixed names.
        let wsLock = try lockWorkspace()
        defer { wsLock.release() }
        let hasher = Ingester(store: store, statCache: statCache, hashOnly: true)
        var plan = CheckoutPlan()
        for t in tracked { try plan.add(t, repo: self, hasher: hasher) }

        if !plan.missing.isEmpty && !skipMissing {
            let names = plan.missing.prefix(5).joined(separator: ", ") + (plan.missing.count > 5 ? " and \(plan.missing.count - 5) more" : "")
            throw MLOpsError("data for \(names) is not in the cache", hint: "run `git mlops pull` to fetch it from a remote")
        }
        if !force && !plan.unsaved.isEmpty {
            let names = plan.unsaved.prefix(5).joined(separator: ", ") + (plan.unsaved.count > 5 ? " and \(plan.unsaved.count - 5) more" : "")
            throw MLOpsError("checkout would overwrite unsaved changes in \(names)",
                             hint: "save them with `git mlops add`, or run `git mlops checkout --force` to discard them")
        }

        var report = CheckoutReport()
        report.unchanged = plan.unchanged
        report.missing = plan.missing
        for rel in plan.removals {
            try ensureSafeParents(of: rel, create: false)
            try FS.removeTree(absolute(rel))
            report.filesRemoved += 1
        }
        for rel in plan.replacedDirectories { try FS.removeTree(absolute(rel)) }
        // A tracked directory absent from the workspace is built under a staging name and renamed into
        // place whole: its files are written straight, with no per-file rename, and a crash leaves only
        // the (invisible, reused) staging directory.
        var staging: [String: String] = [:]
        var checked = Set<String>()
        for d in plan.freshDirectories {
            try ensureSafeParents(of: d, create: true, checked: &checked)
            let stage = Materializer.tempPath(for: absolute(d))
            try FS.removeTree(stage)
            try FS.mkdirs(stage)
            staging[d] = stage
        }
        var jobs: [Materializer.Job] = []
        var made = Set<String>()
        for w in plan.writes {
            if let d = w.stagedUnder, let stage = staging[d] {
                let dest = stage + "/" + String(w.path.dropFirst(d.count + 1))
                let parent = dirname(dest)
                if !made.contains(parent) { try FS.mkdirs(parent); made.insert(parent) }
                jobs.append(.init(id: w.id, size: w.size, executable: w.executable, dest: dest, direct: true))
            } else {
                try ensureSafeParents(of: w.path, create: true, checked: &checked)
                jobs.append(.init(id: w.id, size: w.size, executable: w.executable, dest: absolute(w.path)))
            }
        }
        let mat = Materializer(store: store)
        mat.durable = config.bool("core.fsyncWorkspace", default: false)
        if progress && !jobs.isEmpty { mat.progress = ProgressMeter("Checking out", totalBytes: jobs.reduce(0) { $0 + $1.size }) }
        let stats = try mat.write(jobs)
        mat.progress?.finish()
        for (d, stage) in staging {
            guard FS.lstat(absolute(d)) == nil else {
                throw MLOpsError("\(d) appeared while it was being checked out", hint: "move it away and run `git mlops checkout` again")
            }
            try FS.rename(stage, absolute(d))
        }
        for (w, job) in zip(plan.writes, jobs) {
            if let st = stats[job.dest] { statCache.record(w.path, st, w.id) }
            report.filesWritten += 1
            report.bytesWritten += w.size
        }
        for d in plan.directories { Repo.removeEmptyDirectories(under: absolute(d)) }
        try statCache.save()
        return report
    }

    /// Removes empty directories below `root` (not `root` itself), deepest first.
    static func removeEmptyDirectories(under root: String) {
        guard let entries = try? FS.listDirectory(root) else { return }
        for e in entries where e.kind == .directory {
            let p = root + "/" + e.name
            removeEmptyDirectories(under: p)
            if (try? FS.listDirectory(p))?.isEmpty == true { rmdir(p) }
        }
    }
}

/// What a checkout will do, decided before anything is touched.
struct CheckoutPlan {
    struct Write {
        var path: String; var id: ObjectID; var size: Int64; var executable: Bool
        /// The tracked directory this file is staged under, when that directory is written whole.
        var stagedUnder: String? = nil
    }
    var writes: [Write] = []
    /// Tracked directories absent from the workspace: built under a staging name, renamed in whole.
    var freshDirectories: [String] = []
    var removals: [String] = []
    var replacedDirectories: [String] = []
    /// Workspace paths whose content is not in the cache and would be lost.
    var unsaved: [String] = []
    /// Tracked paths whose data is absent from the cache.
    var missing: [String] = []
    var directories: [String] = []
    var unchanged = 0

    mutating func add(_ t: Tracked, repo: Repo, hasher: Ingester) throws {
        let store = repo.store
        try repo.ensureSafeParents(of: t.path, create: false)
        let abs = repo.absolute(t.path)
        switch t.pointer.kind {
        case .file:
            if let st = FS.lstat(abs), st.isRegular, (try? hasher.file(at: abs, key: t.path).id) == t.pointer.id {
                if st.isExecutable != t.pointer.executable { FS.setExecutable(abs, t.pointer.executable) }
                unchanged += 1
                return
            }
            guard store.closure(of: [t.pointer.id]).missing.isEmpty else { missing.append(t.path); return }
            try plan(path: t.path, id: t.pointer.id, size: t.pointer.size, exec: t.pointer.executable, repo: repo, hasher: hasher)
        case .dir:
            let st = FS.lstat(abs)
            // Already matching: nothing to read, even if the cache lacks the data.
            if st?.isDirectory == true, try hasher.directoryID(at: abs, keyPrefix: t.path).id == t.pointer.id {
                unchanged += t.pointer.files ?? 0
                return
            }
            guard store.contains(t.pointer.id) else { missing.append(t.path); return }
            // A listing that is there but does not read names itself (a corrupt object: `fsck --repair`).
            let manifest: DirManifest
            do { manifest = try store.directory(t.pointer.id) } catch is MissingObjectError { missing.append(t.path); return }
            // A file is absent when its object is, or, for a file of several chunks, one of its chunks.
            let absent = manifest.entries.filter { e in
                guard let loc = store.locate(e.id) else { return true }
                return loc.entry.kind == .fileManifest && !store.closure(of: [e.id]).missing.isEmpty
            }
            if !absent.isEmpty { missing.append("\(t.path) (\(absent.count) files)"); return }
            directories.append(t.path)
            guard let st else {
                freshDirectories.append(t.path)
                for e in manifest.entries {
                    writes.append(Write(path: t.path + "/" + e.path, id: e.id, size: e.size, executable: e.executable, stagedUnder: t.path))
                }
                return
            }
            if !st.isDirectory {
                if !isSaved(abs, key: t.path, repo: repo, hasher: hasher) { unsaved.append(t.path) }
                replacedDirectories.append(t.path)
            }
            var present: [String: Ingester.WalkEntry] = [:]
            if st.isDirectory {
                for e in try Ingester.walk(abs) { present[e.relPath] = e }
            }
            for e in manifest.entries {
                let rel = t.path + "/" + e.path
                present[e.path] = nil
                try plan(path: rel, id: e.id, size: e.size, exec: e.executable, repo: repo, hasher: hasher)
            }
            for (p, _) in present.sorted(by: { $0.key < $1.key }) {
                let rel = t.path + "/" + p
                if !isSaved(repo.absolute(rel), key: rel, repo: repo, hasher: hasher) { unsaved.append(rel) }
                removals.append(rel)
            }
        }
    }

    private mutating func plan(path: String, id: ObjectID, size: Int64, exec: Bool, repo: Repo, hasher: Ingester) throws {
        let abs = repo.absolute(path)
        if let st = FS.lstat(abs) {
            if st.isRegular, let cur = try? hasher.file(at: abs, key: path).id, cur == id {
                if st.isExecutable != exec { FS.setExecutable(abs, exec) }
                unchanged += 1
                return
            }
            if st.isDirectory {
                if (try? Ingester.walk(abs))?.contains(where: { !isSaved($0.absPath, key: path + "/" + $0.relPath, repo: repo, hasher: hasher) }) ?? true {
                    unsaved.append(path)
                }
                replacedDirectories.append(path)
            } else if !isSaved(abs, key: path, repo: repo, hasher: hasher) {
                unsaved.append(path)
            }
        }
        writes.append(Write(path: path, id: id, size: size, executable: exec))
    }

    /// Whether losing the workspace file loses nothing: its content is in the cache.
    private func isSaved(_ abs: String, key: String, repo: Repo, hasher: Ingester) -> Bool {
        guard let st = FS.lstat(abs) else { return true }
        if st.isSymlink { return true }
        guard st.isRegular, let id = try? hasher.file(at: abs, key: key).id else { return false }
        return repo.store.contains(id)
    }
}
