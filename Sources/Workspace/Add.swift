import GitBridge
import MLOpsBasics
import Store

public struct AddResult: Sendable {
    public var path: String
    public var pointer: Pointer
    /// Bytes this add wrote to the cache (0 when everything was already there).
    public var bytesStored: Int64
}

extension Repo {
    /// Stores files and directories in the cache, writes `PATH.mlops` beside each and ignores PATH in git.
    /// Data is durable before any pointer names it; an interrupted add leaves no pointer and resumes.
    public func add(_ userPaths: [String], cwd: String = FS.currentDirectory, progress: Bool = Terminal.stdoutIsTTY) throws -> [AddResult] {
        let rels = try userPaths.map { try relativePath($0, cwd: cwd) }
        let existing = try workspacePointers()
        let staged = try git.indexFiles(endingWith: "").map(\.path)
        for (u, rel) in zip(userPaths, rels) {
            guard let st = FS.lstat(absolute(rel)) else {
                throw MLOpsError("\(u): no such file or directory", hint: "check the path")
            }
            if st.isSymlink {
                throw MLOpsError("\(u) is a symlink", hint: "add the file or directory it points to instead")
            }
            guard st.isRegular || st.isDirectory else { throw MLOpsError("\(u) is not a regular file or directory", hint: "add files or directories only") }
            if rel.hasSuffix(Pointer.suffix) {
                throw MLOpsError("\(u) is a git-mlops pointer", hint: "add the data path `\(Pointer.dataPath(forPointer: u))` instead")
            }
            if let outer = existing.first(where: { $0.pointer.kind == .dir && rel.hasPrefix($0.path + "/") }) {
                throw MLOpsError("\(u) is inside \(outer.path), which is already tracked", hint: "run `git mlops add \(outer.path)` to record its changes")
            }
            if let inner = existing.first(where: { $0.path.hasPrefix(rel + "/") }) {
                throw MLOpsError("\(u) contains \(inner.path), which is tracked on its own",
                                 hint: "remove \(inner.pointerPath) first (`git rm \(inner.pointerPath)`), then add the directory")
            }
            if staged.contains(where: { $0 == rel || $0.hasPrefix(rel + "/") }) {
                throw MLOpsError("\(u) is tracked by git itself", hint: "run `git rm -r --cached \(rel)` first, then `git mlops add \(rel)`")
            }
            _ = try gitignoreText(beside: rel)
        }

        let storeLock = try lockStore()
        defer { storeLock.release() }
        let ingester = Ingester(store: store, statCache: statCache)
        var records: [(String, Pointer)] = []
        do {
            if progress {
                ingester.progress = ProgressMeter("Adding", totalBytes: rels.reduce(Int64(0)) { $0 + FileWalk.size(of: absolute($1)) })
            }
            let targets: [FileHasher.Target] = rels.map { rel in
                let abs = absolute(rel)
                return FS.lstat(abs)!.isDirectory ? .directory(path: abs, keyPrefix: rel) : .file(path: abs, key: rel)
            }
            for (rel, result) in zip(rels, try ingester.ingest(targets)) {
                switch result {
                case .directory(let id, let manifest):
                    records.append((rel, Pointer(id: id, size: manifest.totalSize, kind: .dir, files: manifest.entries.count)))
                case .file(let r):
                    records.append((rel, Pointer(id: r.id, size: r.size, kind: .file, executable: r.executable)))
                }
            }
            try ingester.finish()
            ingester.progress?.finish()
            Repo.warnSkipped(ingester.skipped)
        } catch {
            ingester.abandon()
            try? statCache.save()
            throw error
        }

        let wsLock = try lockWorkspace()
        defer { wsLock.release() }
        var results: [AddResult] = []
        for (rel, pointer) in records {
            var p = pointer
            if let old = existing.first(where: { $0.path == rel }) { p.extra = old.pointer.extra }
            try FS.writeAtomic(absolute(Pointer.pointerPath(forData: rel)), p.encode())
            try ignoreInGit(rel)
            results.append(AddResult(path: rel, pointer: p, bytesStored: 0))
        }
        if let last = results.indices.last { results[last].bytesStored = ingester.bytesWritten }
        try statCache.save()
        // What was just recorded is what the user wants: no longer an interrupted checkout.
        let marker = PendingCheckout(self)
        let pending = marker.load()
        let added = pending.filter { p in records.contains { $0.0 == p.string } }
        if !added.isEmpty { try marker.save(pending.subtracting(added)) }
        return results
    }

    /// One warning line for what directory walks passed over, naming the first few.
    static func warnSkipped(_ skipped: [(path: String, why: String)]) {
        guard !skipped.isEmpty else { return }
        let named = skipped.sorted { pathLess($0.path, $1.path) }.prefix(5).map { "\(displayPath($0.path)) (\($0.why))" }.joined(separator: ", ")
        let more = skipped.count > 5 ? " and \(skipped.count - 5) more" : ""
        Terminal.warn("skipped \(skipped.count) entr\(skipped.count == 1 ? "y" : "ies") that \(skipped.count == 1 ? "is" : "are") not regular files or cannot be checked out: \(named)\(more); only regular files (and symlinks to them) are stored")
    }

    /// Adds `/NAME` to the `.gitignore` beside `rel`, unless it is already there.
    func ignoreInGit(_ rel: String) throws {
        let dir = dirname(rel)
        let file = absolute(dir.isEmpty ? ".gitignore" : dir + "/.gitignore")
        let line = "/" + basename(rel)
        let text = try gitignoreText(beside: rel)
        if text.split(separator: "\n").contains(where: { $0.trimmingCharacters(in: .whitespaces) == line }) { return }
        let sep = text.isEmpty || text.hasSuffix("\n") ? "" : "\n"
        try FS.writeAtomic(file, text + sep + line + "\n")
    }

    /// The `.gitignore` beside `rel` ("" when there is none). Anyone may have committed it: it is read
    /// only as a regular file, never through a symlink.
    func gitignoreText(beside rel: String) throws -> String {
        guard let parent = try workTree().directory(try RepoPath(rel).parent, create: false), parent.lstat(".gitignore") != nil else { return "" }
        return String(decoding: try parent.openRegularFile(".gitignore").readAll(), as: UTF8.self)
    }
}
