import Foundation
import MLOpsBasics
import ObjectStore
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
    /// with unsaved content would be overwritten or removed (unless `force`), when data is missing
    /// from the cache (unless `skipMissing`: then those paths are left alone and listed in the report),
    /// or when a pointer or listing names something it may not (see `RepoPath`).
    /// Every write and removal goes through a `WorkTree`: by descriptor, never through a symlink.
    public func checkout(_ userPaths: [String] = [], force: Bool = false, cwd: String = FS.currentDirectory,
                         progress: Bool = Terminal.stdoutIsTTY, skipMissing: Bool = false) throws -> CheckoutReport {
        let tracked = try select(try workspacePointers(), userPaths, cwd: cwd)
        let lock = try lockStore()
        defer { lock.release() }
        // One checkout at a time per worktree: temporaries have fixed names.
        let wsLock = try lockWorkspace()
        defer { wsLock.release() }
        let tree = workTree()
        let hasher = fileHasher()
        var plan = CheckoutPlan(tree: tree)
        for t in tracked { try plan.add(t, repo: self, hasher: hasher) }

        func list(_ names: [String]) -> String {
            names.prefix(5).map(displayPath).joined(separator: ", ") + (names.count > 5 ? " and \(names.count - 5) more" : "")
        }
        if !plan.missing.isEmpty && !skipMissing {
            throw MLOpsError("data for \(list(plan.missing)) is not in the cache", hint: "run `git mlops pull` to fetch it from a remote")
        }
        if !force && !plan.unsaved.isEmpty {
            throw MLOpsError("checkout would overwrite unsaved changes in \(list(plan.unsaved))",
                             hint: "save them with `git mlops add`, or run `git mlops checkout --force` to discard them")
        }

        // Until this checkout ends, status calls these paths interrupted, not modified. A read-only
        // cache (its per-worktree state included) cannot hold the marker: checkout goes on without it.
        let marker = PendingCheckout(self)
        let keepsMarker = !wsLock.readOnly
        let pendingBefore = marker.load()
        if keepsMarker && !plan.changing.isSubset(of: pendingBefore) { try marker.save(pendingBefore.union(plan.changing)) }

        var report = CheckoutReport()
        report.unchanged = plan.unchanged
        report.missing = plan.missing
        for p in plan.removals {
            try tree.remove(p)
            report.filesRemoved += 1
        }
        for p in plan.replaced { try tree.remove(p) }
        // A tracked directory absent from the workspace is built under a staging name and renamed into
        // place whole: its files are written straight, with no per-file rename, and a crash leaves only
        // the (invisible, reused) staging directory.
        struct Staging { var parent: Directory; var name: String; var tree: WorkTree }
        var staging: [RepoPath: Staging] = [:]
        for d in plan.freshDirectories {
            guard let parent = try tree.directory(d.parent, create: true) else { throw SystemError("mkdir", tree.display(d), errno: ENOENT) }
            let name = Materializer.tempName(for: d.name)
            try parent.remove(name)
            try parent.makeDirectory(name)
            guard let dir = try parent.subdirectory(name, create: false) else { throw SystemError("open", parent.display(name), errno: ENOENT) }
            staging[d] = Staging(parent: parent, name: name, tree: WorkTree(root: dir))
        }
        let jobs = plan.writes.map { w -> Materializer.Job in
            if let d = w.stagedUnder, let s = staging[d], let inner = w.path.relative(to: d) {
                return .init(id: w.id, size: w.size, executable: w.executable, tree: s.tree, directory: inner.parent,
                             name: inner.name, direct: true, origin: w.origin)
            }
            return .init(id: w.id, size: w.size, executable: w.executable, tree: tree, directory: w.path.parent,
                         name: w.path.name, origin: w.origin)
        }
        let mat = Materializer(store: store)
        mat.durable = config.bool("core.fsyncWorkspace", default: false)
        if progress && !jobs.isEmpty { mat.progress = ProgressMeter("Checking out", totalBytes: jobs.reduce(0) { $0.addingSaturated($1.size) }) }
        let stats = try mat.write(jobs)
        mat.progress?.finish()
        for (d, s) in staging {
            guard s.parent.lstat(d.name) == nil else {
                throw MLOpsError("\(d) appeared while it was being checked out", hint: "move it away and run `git mlops checkout` again")
            }
            try s.parent.rename(s.name, to: d.name)
        }
        for (w, st) in zip(plan.writes, stats) {
            statCache.record(w.path.string, st, w.id)
            report.filesWritten += 1
            report.bytesWritten = report.bytesWritten.addingSaturated(w.size)
        }
        for d in plan.directories { try tree.directory(d, create: false)?.removeEmptyDirectories() }
        try statCache.save()
        let pendingAfter = pendingBefore.union(plan.changing).subtracting(tracked.map(\.location))
        if keepsMarker && (pendingAfter != pendingBefore || !plan.changing.isEmpty) { try marker.save(pendingAfter) }
        return report
    }
}

extension Int64 {
    /// For totals of sizes that came from outside: never traps.
    func addingSaturated(_ x: Int64) -> Int64 {
        let (s, over) = addingReportingOverflow(x)
        return over ? (x < 0 ? .min : .max) : s
    }
}

/// Tracked paths a checkout started changing and did not finish: `checkout-pending` in the
/// per-worktree state, one path a line. Saved before a checkout changes anything and rewritten without
/// the paths it completed, so after a crash or a failure `status` says the checkout was interrupted
/// instead of calling the half-old data modified (and `git mlops add` recording it).
struct PendingCheckout {
    let path: String

    init(_ repo: Repo) { path = repo.worktreeState + "/checkout-pending" }

    func load() -> Set<RepoPath> {
        guard let text = try? FS.readText(path) else { return [] }
        return Set(text.split(separator: "\n").compactMap { try? RepoPath(String($0)) })
    }

    func save(_ paths: Set<RepoPath>) throws {
        if paths.isEmpty { try FS.remove(path); return }
        try FS.writeAtomic(path, paths.sorted().map { $0.string + "\n" }.joined())
    }
}

/// What a checkout will do, decided before anything is touched.
struct CheckoutPlan {
    struct Write {
        var path: RepoPath; var id: ObjectID; var size: Int64; var executable: Bool
        /// The tracked directory this file is staged under, when that directory is written whole.
        var stagedUnder: RepoPath? = nil
        /// The pointer that names it, for errors.
        var origin: String
    }
    let tree: WorkTree
    var writes: [Write] = []
    /// Tracked directories absent from the workspace: built under a staging name, renamed in whole.
    var freshDirectories: [RepoPath] = []
    var removals: [RepoPath] = []
    /// Directories (or files) in the way of what is written, removed first.
    var replaced: [RepoPath] = []
    /// Workspace paths whose content is not in the cache and would be lost.
    var unsaved: [String] = []
    /// Tracked paths whose data is absent from the cache.
    var missing: [String] = []
    var directories: [RepoPath] = []
    var unchanged = 0
    /// Tracked paths this checkout writes or removes something in.
    var changing = Set<RepoPath>()

    init(tree: WorkTree) { self.tree = tree }

    mutating func add(_ t: Tracked, repo: Repo, hasher: FileHasher) throws {
        let store = repo.store
        // Throws when a directory on the way is a symlink: nothing is read or written through one.
        let st = try tree.lstat(t.location)
        let abs = repo.absolute(t.path)
        let before = writes.count + removals.count + replaced.count
        defer { if writes.count + removals.count + replaced.count > before { changing.insert(t.location) } }
        switch t.pointer.kind {
        case .file:
            if let st, st.isRegular, (try? hasher.file(at: abs, key: t.path, known: st).id) == t.pointer.id {
                if st.isExecutable != t.pointer.executable { try setExecutable(t.location, t.pointer.executable) }
                unchanged += 1
                return
            }
            guard store.closure(of: [t.pointer.id]).missing.isEmpty else { missing.append(t.path); return }
            try checkSize(t, store: store)
            try plan(t.location, id: t.pointer.id, size: t.pointer.size, exec: t.pointer.executable, st: st,
                     origin: t.pointerPath, repo: repo, hasher: hasher)
        case .dir:
            // Already matching: nothing to read, even if the cache lacks the data.
            if st?.isDirectory == true {
                let current = try hasher.directoryID(at: abs, keyPrefix: t.path)
                if current.id == t.pointer.id {
                    unchanged += current.files
                    return
                }
            }
            guard store.contains(t.pointer.id), let manifest = try listing(t, store: store) else { missing.append(t.path); return }
            // A file is absent when its object is, or, for a file of several chunks, one of its chunks.
            let absent = manifest.entries.filter { e in
                guard let loc = store.locate(e.id) else { return true }
                return loc.entry.kind == .fileManifest && !store.closure(of: [e.id]).missing.isEmpty
            }
            if !absent.isEmpty { missing.append("\(t.path) (\(counted(absent.count, "file")))"); return }
            directories.append(t.location)
            guard let st else {
                freshDirectories.append(t.location)
                for e in manifest.entries {
                    writes.append(Write(path: t.location.appending(try RepoPath(e.path)), id: e.id, size: e.size,
                                        executable: e.executable, stagedUnder: t.location, origin: t.pointerPath))
                }
                return
            }
            if !st.isDirectory {
                if !isSaved(abs, key: t.path, repo: repo, hasher: hasher) { unsaved.append(t.path) }
                replaced.append(t.location)
            }
            var present = Set<RepoPath>()
            if st.isDirectory {
                for e in try FileWalk.files(under: abs, sorted: false) { present.insert(try RepoPath(e.relPath)) }
            }
            for e in manifest.entries {
                let inner = try RepoPath(e.path)
                present.remove(inner)
                let p = t.location.appending(inner)
                try plan(p, id: e.id, size: e.size, exec: e.executable, st: st.isDirectory ? try tree.lstat(p) : nil,
                         origin: t.pointerPath, repo: repo, hasher: hasher)
            }
            for inner in present.sorted() {
                let p = t.location.appending(inner)
                if !isSaved(repo.absolute(p.string), key: p.string, repo: repo, hasher: hasher) { unsaved.append(p.string) }
                removals.append(p)
            }
        }
    }

    /// The listing a directory pointer names, checked to be one tree and to agree with the pointer;
    /// nil when part of it is not in the cache. Any other problem is an error naming the pointer.
    private func listing(_ t: Tracked, store: Store) throws -> DirManifest? {
        let manifest: DirManifest
        do {
            manifest = try store.directory(t.pointer.id)
        } catch is MissingObjectError {
            return nil
        } catch let e as MLOpsError {
            throw MLOpsError("\(t.pointerPath): \(e.message)", hint: e.hint)
        } catch {
            throw MLOpsError("\(t.pointerPath): \(error)")
        }
        if let why = manifest.structureProblem() {
            throw MLOpsError("\(t.pointerPath): the listing of \(t.path) (\(t.pointer.id.short)) cannot be checked out: \(why)",
                             hint: "it was not made by git-mlops; do not check it out")
        }
        if let files = t.pointer.files, files != manifest.entries.count {
            throw wrongPointer(t, "says \(files) files, but its listing has \(manifest.entries.count)")
        }
        if t.pointer.size != manifest.totalSize {
            throw wrongPointer(t, "says \(t.pointer.size) bytes, but its listing adds up to \(manifest.totalSize)")
        }
        return manifest
    }

    /// A file pointer's size against the data stored under its id: a pointer that lies is named, and
    /// the cache is not blamed.
    private func checkSize(_ t: Tracked, store: Store) throws {
        do {
            let stored = try store.fileSize(of: t.pointer.id)
            if stored != t.pointer.size {
                throw wrongPointer(t, "says \(t.path) has \(t.pointer.size) bytes, but its data (sha256:\(t.pointer.id.hex)) has \(stored)")
            }
        } catch let e as NotAFileError {
            throw wrongPointer(t, "says type file, but sha256:\(t.pointer.id.hex) is a \(e.kind)")
        }
    }

    private func wrongPointer(_ t: Tracked, _ what: String) -> MLOpsError {
        MLOpsError("\(t.pointerPath): \(what)",
                   hint: "the pointer is wrong, not the cache; restore it with `git checkout -- \(t.pointerPath)`, or re-create it with `git mlops add \(t.path)`")
    }

    private func setExecutable(_ p: RepoPath, _ on: Bool) throws {
        try tree.directory(p.parent, create: false)?.setExecutable(p.name, on)
    }

    private mutating func plan(_ p: RepoPath, id: ObjectID, size: Int64, exec: Bool, st: FileStat?, origin: String,
                               repo: Repo, hasher: FileHasher) throws {
        let abs = repo.absolute(p.string)
        if let st {
            if st.isRegular, let cur = try? hasher.file(at: abs, key: p.string, known: st).id, cur == id {
                if st.isExecutable != exec { try setExecutable(p, exec) }
                unchanged += 1
                return
            }
            if st.isDirectory {
                if (try? FileWalk.files(under: abs))?.contains(where: { !isSaved($0.absPath, key: p.string + "/" + $0.relPath, repo: repo, hasher: hasher) }) ?? true {
                    unsaved.append(p.string)
                }
                replaced.append(p)
            } else if !isSaved(abs, key: p.string, repo: repo, hasher: hasher) {
                unsaved.append(p.string)
            }
        }
        writes.append(Write(path: p, id: id, size: size, executable: exec, origin: origin))
    }

    /// Whether losing the workspace file loses nothing: its content is in the cache.
    private func isSaved(_ abs: String, key: String, repo: Repo, hasher: FileHasher) -> Bool {
        guard let st = FS.lstat(abs) else { return true }
        if st.isSymlink { return true }
        guard st.isRegular, let id = try? hasher.file(at: abs, key: key).id else { return false }
        return repo.store.contains(id)
    }
}
