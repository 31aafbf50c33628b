import GitBridge
import MLOpsBasics
import Store

/// A tracked path and its pointer.
public struct Tracked: Sendable, Equatable {
    /// Repository-relative path of the data (`data/train.csv`), checked: see `RepoPath`.
    public let location: RepoPath
    public var pointer: Pointer
    public var path: String { location.string }
    public var pointerPath: String { Pointer.pointerPath(forData: path) }

    /// The data path of the pointer file at `pointerPath` (named as `source` in errors), checked.
    init(pointerPath: String, pointer: Pointer, source: String? = nil) throws {
        let data = Pointer.dataPath(forPointer: pointerPath)
        let fix = "nothing was written; remove it (`git rm --cached \(pointerPath)`) and ask whoever committed it"
        do {
            location = try RepoPath(data)
        } catch let e as UnsafePathError {
            throw MLOpsError.malformed(displayPath(source ?? pointerPath), "names an \(e)", fix: fix)
        }
        if data.hasSuffix(Pointer.suffix) {
            throw MLOpsError.malformed(displayPath(source ?? pointerPath), "names '\(data)', itself a pointer file", fix: fix)
        }
        self.pointer = pointer
    }

    init(_ location: RepoPath, pointer: Pointer) {
        self.location = location
        self.pointer = pointer
    }
}

extension Repo {
    /// Pointers in the working tree (tracked by git or not yet added), parsed. A malformed one, or one
    /// that names a path git-mlops may not write, is an error.
    public func workspacePointers() throws -> [Tracked] {
        let tree = workTree()
        let all = try git.worktreeFiles(endingWith: Pointer.suffix).map { p in
            let location: RepoPath
            do { location = try RepoPath(p) } catch {
                throw MLOpsError.malformed(displayPath(p), "is a pointer file at an \(error)", fix: "remove it with `git rm --cached`")
            }
            guard let dir = try tree.directory(location.parent, create: false) else {
                throw MLOpsError("\(p): cannot be read", hint: "check that the directory holding it exists")
            }
            let fd = try dir.openRegularFile(location.name)
            // A pointer is under 200 bytes: one byte more is enough for `Pointer.decode` to say it is too large.
            let bytes = try fd.pread(count: Pointer.maxBlobBytes + 1, offset: 0)
            fd.close()
            return try Tracked(pointerPath: p, pointer: try Pointer.decode(String(decoding: bytes, as: UTF8.self), path: p))
        }
        try Tracked.checkNesting(all)
        return all
    }

    /// Pointers in a commit. `strict: false` skips malformed ones (history cannot be fixed), warning once each.
    public func pointers(at commit: GitOID, strict: Bool = true) throws -> [Tracked] {
        var out: [Tracked] = []
        for f in try git.files(endingWith: Pointer.suffix, in: commit) {
            let blob = try git.readBlob(f.blob, atMost: Pointer.maxBlobBytes)
            let source = "\(commit.short):\(f.path)"
            do {
                out.append(try Tracked(pointerPath: f.path, pointer: try Pointer.decode(blob: blob, path: source), source: source))
            } catch {
                if strict { throw error }
                Terminal.warn("\(error)")
            }
        }
        return out
    }

    /// The tracked items that `userPaths` select: a data path, its pointer, or a directory containing them.
    /// No paths selects everything.
    public func select(_ all: [Tracked], _ userPaths: [String], cwd: String) throws -> [Tracked] {
        guard !userPaths.isEmpty else { return all }
        var out: [Tracked] = []
        for u in userPaths {
            var rel = try relativePathAllowingRoot(u, cwd: cwd)
            if rel.hasSuffix(Pointer.suffix) { rel = Pointer.dataPath(forPointer: rel) }
            let hits = all.filter { rel.isEmpty || $0.path == rel || $0.path.hasPrefix(rel + "/") }
            guard !hits.isEmpty else {
                throw MLOpsError("\(u) is not tracked by git-mlops", hint: "`git mlops status` lists tracked paths; `git mlops add \(u)` tracks it")
            }
            for h in hits where !out.contains(h) { out.append(h) }
        }
        return out
    }

    func relativePathAllowingRoot(_ u: String, cwd: String) throws -> String {
        let abs = u.hasPrefix("/") ? u : joinPath(cwd, u)
        if let r = FS.realpath(abs), r == root { return "" }
        return try relativePath(u, cwd: cwd)
    }

    /// The current id of workspace data (stat cache first, hashing what changed), nil when absent.
    /// A directory's listing is included only when it differs from the pointer.
    func currentState(of t: Tracked, hasher: FileHasher) throws -> (id: ObjectID, manifest: DirManifest?)? {
        let abs = absolute(t.path)
        guard let st = FS.lstat(abs) else { return nil }
        switch t.pointer.kind {
        case .file:
            guard st.isRegular else { return nil }
            return (try hasher.file(at: abs, key: t.path).id, nil)
        case .dir:
            guard st.isDirectory else { return nil }
            let quick = try hasher.directoryID(at: abs, keyPrefix: t.path)
            if quick.id == t.pointer.id { return (quick.id, nil) }
            let r = try hasher.directory(at: abs, keyPrefix: t.path)
            return (r.id, r.manifest)
        }
    }
}

extension Tracked {
    /// Refuses tracked paths inside one another (`a.mlops` with `a/b.mlops`): checking one out would
    /// overwrite or remove the other's pointer. `git mlops add` never makes such pairs.
    static func checkNesting(_ all: [Tracked]) throws {
        let paths = Set(all.map(\.location))
        for t in all {
            var up = t.location.parent
            while let u = up {
                if paths.contains(u) {
                    throw MLOpsError("\(t.pointerPath) is inside \(u.string), which \(Pointer.pointerPath(forData: u.string)) tracks as a whole",
                                     hint: "remove one of the two pointers (`git rm --cached`), then run the command again")
                }
                up = u.parent
            }
        }
    }
}

extension GitRepository {
    /// The pointer in a blob of history, nil when it is not one (history cannot be fixed; the
    /// commands that must report a bad pointer read it with `Pointer.decode(blob:path:)`).
    func pointer(blob: GitOID, path: String) -> Pointer? {
        try? Pointer.decode(blob: try readBlob(blob, atMost: Pointer.maxBlobBytes), path: path)
    }
}
