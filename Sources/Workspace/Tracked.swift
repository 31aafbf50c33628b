import GitBridge
import MLOpsBasics
import Store

/// A tracked path and its pointer.
public struct Tracked: Sendable, Equatable {
    /// Repository-relative path of the data (`data/train.csv`).
    public var path: String
    public var pointer: Pointer
    public var pointerPath: String { Pointer.pointerPath(forData: path) }
}

extension Repo {
    /// Pointers in the working tree (tracked by git or not yet added), parsed. A malformed one is an error.
    public func workspacePointers() throws -> [Tracked] {
        try git.worktreeFiles(endingWith: Pointer.suffix).map { p in
            let text = try FS.readText(absolute(p))
            return Tracked(path: Pointer.dataPath(forPointer: p), pointer: try Pointer.decode(text, path: p))
        }
    }

    /// Pointers in a commit. `strict: false` skips malformed ones (history cannot be fixed), warning once each.
    public func pointers(at commit: GitOID, strict: Bool = true) throws -> [Tracked] {
        var out: [Tracked] = []
        for f in try git.files(endingWith: Pointer.suffix, in: commit) {
            let text = String(decoding: try git.readBlob(f.blob), as: UTF8.self)
            do {
                out.append(Tracked(path: Pointer.dataPath(forPointer: f.path), pointer: try Pointer.decode(text, path: "\(commit.short):\(f.path)")))
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
    func currentState(of t: Tracked, hasher: Ingester) throws -> (id: ObjectID, manifest: DirManifest?)? {
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

    /// Every object id mentioned in a text (`sha256:<hex>`): roots kept by gc from notes and run records.
    static func objectIDs(in text: String) -> [ObjectID] {
        var out: [ObjectID] = []
        var rest = Substring(text)
        while let r = rest.range(of: "sha256:") {
            let after = rest[r.upperBound...]
            if let id = ObjectID(hex: after.prefix(64)) { out.append(id) }
            rest = after
        }
        return out
    }
}
