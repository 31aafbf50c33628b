import CLibGit2
import MLOpsBasics

/// A file found in a commit's tree.
public struct TreeFile: Sendable, Equatable {
    public var path: String
    public var blob: GitOID
}

public struct CommitInfo: Sendable {
    public var id: GitOID
    public var tree: GitOID
    public var parents: [GitOID]
    public var summary: String
    public var time: Int64
    public var author: String
}

extension GitRepository {
    public func readBlob(_ oid: GitOID) throws -> [UInt8] {
        var o = oid.raw
        var blob: OpaquePointer?
        try check(git_blob_lookup(&blob, handle, &o), "git_blob_lookup \(oid)")
        defer { git_blob_free(blob) }
        let n = Int(git_blob_rawsize(blob))
        guard n > 0, let p = git_blob_rawcontent(blob) else { return [] }
        return Array(UnsafeRawBufferPointer(start: p, count: n))
    }

    /// The blob's bytes when it has at most `limit` of them, else nil, read without loading it: a
    /// blob from a stranger's clone (a pointer, a note) may be of any size.
    public func readBlob(_ oid: GitOID, atMost limit: Int) throws -> [UInt8]? {
        var odb: OpaquePointer?
        try check(git_repository_odb(&odb, handle), "git_repository_odb")
        defer { git_odb_free(odb) }
        var o = oid.raw
        var size = 0
        var type = GIT_OBJECT_INVALID
        try check(git_odb_read_header(&size, &type, odb, &o), "git_odb_read_header \(oid)")
        guard size <= limit else { return nil }
        return try readBlob(oid)
    }

    public func commitInfo(_ oid: GitOID) throws -> CommitInfo {
        var o = oid.raw
        var c: OpaquePointer?
        try check(git_commit_lookup(&c, handle, &o), "git_commit_lookup \(oid)")
        defer { git_commit_free(c) }
        let parents = (0..<git_commit_parentcount(c)).map { GitOID(git_commit_parent_id(c, $0)) }
        let author = git_commit_author(c).map { String(cString: $0.pointee.name) } ?? ""
        return CommitInfo(id: oid, tree: GitOID(git_commit_tree_id(c)), parents: parents,
                          summary: git_commit_summary(c).map { String(cString: $0) } ?? "",
                          time: Int64(git_commit_time(c)), author: author)
    }

    /// The blob at `path` in `commit`, nil when absent.
    public func file(_ path: String, in commit: GitOID) throws -> [UInt8]? {
        let tree = try commitInfo(commit).tree
        var t = tree.raw
        var treeObj: OpaquePointer?
        try check(git_tree_lookup(&treeObj, handle, &t), "git_tree_lookup")
        defer { git_tree_free(treeObj) }
        var entry: OpaquePointer?
        guard git_tree_entry_bypath(&entry, treeObj, path) == 0 else { return nil }
        defer { git_tree_entry_free(entry) }
        guard git_tree_entry_type(entry) == GIT_OBJECT_BLOB else { return nil }
        return try readBlob(GitOID(git_tree_entry_id(entry)))
    }

    /// Every blob in `commit`'s tree whose name ends with `suffix`.
    public func files(endingWith suffix: String, in commit: GitOID) throws -> [TreeFile] {
        var out: [TreeFile] = []
        var seen: Set<GitOID>? = nil
        try walk(tree: try commitInfo(commit).tree, prefix: "", suffix: suffix, seenTrees: &seen) { out.append($0) }
        return out.sorted { $0.path < $1.path }
    }

    /// Blobs ending with `suffix` in all `commits`, each subtree read once however many commits share it.
    public func files(endingWith suffix: String, inAll commits: [GitOID], visit: (GitOID, TreeFile) -> Void) throws {
        var seen: Set<GitOID>? = []
        for c in commits {
            try walk(tree: try commitInfo(c).tree, prefix: "", suffix: suffix, seenTrees: &seen) { visit(c, $0) }
        }
    }

    private func walk(tree: GitOID, prefix: String, suffix: String, seenTrees: inout Set<GitOID>?, visit: (TreeFile) -> Void) throws {
        if seenTrees != nil {
            if seenTrees!.contains(tree) { return }
            seenTrees!.insert(tree)
        }
        var t = tree.raw
        var obj: OpaquePointer?
        try check(git_tree_lookup(&obj, handle, &t), "git_tree_lookup \(tree)")
        defer { git_tree_free(obj) }
        for i in 0..<git_tree_entrycount(obj) {
            guard let e = git_tree_entry_byindex(obj, i) else { continue }
            let name = String(cString: git_tree_entry_name(e))
            let id = GitOID(git_tree_entry_id(e))
            switch git_tree_entry_type(e) {
            case GIT_OBJECT_TREE:
                try walk(tree: id, prefix: prefix + name + "/", suffix: suffix, seenTrees: &seenTrees, visit: visit)
            case GIT_OBJECT_BLOB where name.hasSuffix(suffix):
                visit(TreeFile(path: prefix + name, blob: id))
            default: continue
            }
        }
    }

    /// Commits reachable from `tips` but not from `hiding`, newest first.
    public func commits(reachableFrom tips: [GitOID], hiding: [GitOID] = [], limit: Int? = nil) throws -> [GitOID] {
        var walk: OpaquePointer?
        try check(git_revwalk_new(&walk, handle), "git_revwalk_new")
        defer { git_revwalk_free(walk) }
        git_revwalk_sorting(walk, GIT_SORT_TIME.rawValue | GIT_SORT_TOPOLOGICAL.rawValue)
        for t in tips {
            var o = t.raw
            try check(git_revwalk_push(walk, &o), "git_revwalk_push \(t)")
        }
        for h in hiding {
            var o = h.raw
            // A commit the remote has but we do not is simply not hidden.
            _ = git_revwalk_hide(walk, &o)
        }
        var out: [GitOID] = []
        var o = git_oid()
        while git_revwalk_next(&o, walk) == 0 {
            out.append(GitOID(o))
            if let limit, out.count >= limit { break }
        }
        return out
    }

    /// References whose name starts with one of `prefixes`, with the commit each points at (tags peeled).
    public func references(prefixes: [String] = ["refs/"]) throws -> [(name: String, commit: GitOID)] {
        var it: OpaquePointer?
        try check(git_reference_iterator_new(&it, handle), "git_reference_iterator_new")
        defer { git_reference_iterator_free(it) }
        var out: [(String, GitOID)] = []
        var ref: OpaquePointer?
        while git_reference_next(&ref, it) == 0 {
            defer { git_reference_free(ref) }
            let name = String(cString: git_reference_name(ref))
            guard prefixes.contains(where: { name.hasPrefix($0) }) else { continue }
            var peeled: OpaquePointer?
            guard git_reference_peel(&peeled, ref, GIT_OBJECT_COMMIT) == 0 else { continue }
            out.append((name, GitOID(git_object_id(peeled))))
            git_object_free(peeled)
        }
        return out.sorted { $0.0 < $1.0 }
    }

    /// Tracked files in the index whose path ends with `suffix`, with their staged blob.
    public func indexFiles(endingWith suffix: String) throws -> [TreeFile] {
        var index: OpaquePointer?
        try check(git_repository_index(&index, handle), "git_repository_index")
        defer { git_index_free(index) }
        var out: [TreeFile] = []
        for i in 0..<git_index_entrycount(index) {
            guard let e = git_index_get_byindex(index, i) else { continue }
            let path = String(cString: e.pointee.path)
            if path.hasSuffix(suffix) {
                var id = e.pointee.id
                out.append(TreeFile(path: path, blob: GitOID(withUnsafePointer(to: &id) { $0 })))
            }
        }
        return out
    }

    /// Files in the working tree ending with `suffix` that git sees (tracked, or untracked and not ignored).
    public func worktreeFiles(endingWith suffix: String) throws -> [String] {
        var opts = git_status_options()
        git_status_options_init(&opts, UInt32(GIT_STATUS_OPTIONS_VERSION))
        opts.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR
        opts.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED.rawValue | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS.rawValue
            | GIT_STATUS_OPT_INCLUDE_UNMODIFIED.rawValue | GIT_STATUS_OPT_EXCLUDE_SUBMODULES.rawValue
        let pattern = strdup("*" + suffix)
        defer { free(pattern) }
        var strings: [UnsafeMutablePointer<CChar>?] = [pattern]
        var list: OpaquePointer?
        let rc = strings.withUnsafeMutableBufferPointer { buf -> Int32 in
            opts.pathspec = git_strarray(strings: buf.baseAddress, count: 1)
            return git_status_list_new(&list, handle, &opts)
        }
        try check(rc, "git_status_list_new")
        defer { git_status_list_free(list) }
        var out: [String] = []
        for i in 0..<git_status_list_entrycount(list) {
            guard let e = git_status_byindex(list, i) else { continue }
            let s = e.pointee.status.rawValue
            if s & GIT_STATUS_WT_DELETED.rawValue != 0 { continue }
            let delta = e.pointee.index_to_workdir ?? e.pointee.head_to_index
            guard let d = delta, let p = d.pointee.new_file.path else { continue }
            if s & GIT_STATUS_INDEX_DELETED.rawValue != 0 && e.pointee.index_to_workdir == nil { continue }
            let path = String(cString: p)
            if path.hasSuffix(suffix), FS.lstat(workdir + "/" + path)?.isRegular == true { out.append(path) }
        }
        return Array(Set(out)).sorted()
    }

    /// Paths (relative) of tracked files that differ between HEAD, the index and the working tree.
    public func changedTrackedFiles() throws -> [String] {
        var opts = git_status_options()
        git_status_options_init(&opts, UInt32(GIT_STATUS_OPTIONS_VERSION))
        opts.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR
        opts.flags = GIT_STATUS_OPT_EXCLUDE_SUBMODULES.rawValue
        var list: OpaquePointer?
        try check(git_status_list_new(&list, handle, &opts), "git_status_list_new")
        defer { git_status_list_free(list) }
        var out: [String] = []
        for i in 0..<git_status_list_entrycount(list) {
            guard let e = git_status_byindex(list, i) else { continue }
            let delta = e.pointee.index_to_workdir ?? e.pointee.head_to_index
            if let d = delta, let p = d.pointee.new_file.path ?? d.pointee.old_file.path { out.append(String(cString: p)) }
        }
        return out.sorted()
    }

    /// Absolute paths of the other worktrees of this repository (linked worktrees), existing ones only.
    public func linkedWorktrees() -> [String] {
        var arr = git_strarray()
        guard git_worktree_list(&arr, handle) == 0 else { return [] }
        defer { git_strarray_dispose(&arr) }
        var out: [String] = []
        for i in 0..<arr.count {
            guard let name = arr.strings[i] else { continue }
            var wt: OpaquePointer?
            guard git_worktree_lookup(&wt, handle, name) == 0 else { continue }
            defer { git_worktree_free(wt) }
            if let p = git_worktree_path(wt) {
                let path = String(cString: p)
                if FS.isDirectory(path) { out.append(path) }
            }
        }
        return out
    }

    /// Whether a commit object exists locally.
    public func hasCommit(_ oid: GitOID) -> Bool {
        var o = oid.raw
        var c: OpaquePointer?
        guard git_commit_lookup(&c, handle, &o) == 0 else { return false }
        git_commit_free(c)
        return true
    }

    /// Whether `path` is ignored by git's rules (.gitignore, info/exclude, core.excludesFile).
    public func isIgnored(_ path: String) -> Bool {
        var v: Int32 = 0
        return git_ignore_path_is_ignored(&v, handle, path) == 0 && v == 1
    }

    /// The blob id git would give these bytes.
    public static func blobID(_ bytes: [UInt8]) -> GitOID {
        var o = git_oid()
        bytes.withUnsafeBytes { _ = git_odb_hash(&o, $0.baseAddress, $0.count, GIT_OBJECT_BLOB) }
        return GitOID(o)
    }
}

#if canImport(Glibc)
import Glibc
#endif
