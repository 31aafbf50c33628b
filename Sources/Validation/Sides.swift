import Foundation
import GitBridge
import Lineage
import MLOpsBasics
import Workspace

/// Where a validation reads pointers, mlops.yaml and metrics files.
public enum ValidationSide: Sendable, Equatable {
    /// The working tree.
    case workspace
    /// What `git commit` is about to record: the index (the one git names in `GIT_INDEX_FILE`, as in a
    /// pre-commit hook of `git commit -a`) for pointers and metrics files, the working tree for mlops.yaml.
    case staged
    case commit(GitOID)
}

/// A tracked path and its pointer, at a side.
public struct TrackedData: Sendable, Equatable {
    public var path: String
    public var pointer: Pointer
}

/// Reads what a side holds. Files from commits and the index may come from anyone: sizes are bounded
/// and paths checked before use.
final class SideReader {
    let repo: Repo
    let side: ValidationSide
    /// Largest metrics file, schema or mlops.yaml read.
    static let maxFile = 16 << 20

    init(repo: Repo, side: ValidationSide) {
        self.repo = repo
        self.side = side
    }

    var label: String {
        switch side {
        case .workspace: return "the workspace"
        case .staged: return "the staged changes"
        case .commit(let c): return c.short
        }
    }

    var commit: GitOID? { if case .commit(let c) = side { return c }; return nil }

    /// Where `previous` baselines start: HEAD for what is not committed yet, the first parent of a commit.
    var previousStart: GitOID? {
        switch side {
        case .workspace, .staged: return repo.git.head
        case .commit(let c): return (try? repo.git.commitInfo(c).parents.first) ?? nil
        }
    }

    // MARK: The index

    /// Index entries by path (blob ids), read with git so that `GIT_INDEX_FILE` is honoured.
    private(set) lazy var index: [String: GitOID] = {
        guard let r = try? ProcessRunner.capture(["git", "ls-files", "-s", "-z"], cwd: repo.root), r.status == 0 else { return [:] }
        var out: [String: GitOID] = [:]
        for rec in r.stdout.split(separator: "\0") {
            // <mode> SP <object> SP <stage> TAB <path>
            guard let tab = rec.firstIndex(of: "\t") else { continue }
            let meta = rec[..<tab].split(separator: " ")
            guard meta.count == 3, meta[2] == "0", let oid = GitOID(hex: String(meta[1])) else { continue }
            out[String(rec[rec.index(after: tab)...])] = oid
        }
        return out
    }()

    /// Paths that change: staged (index against HEAD; all of the index before the first commit), or,
    /// for a commit, changed from its first parent.
    func changedPaths() throws -> Set<String> {
        let argv: [String]
        switch side {
        case .workspace, .staged:
            guard repo.git.head != nil else { return Set(index.keys) }
            argv = ["git", "diff-index", "--cached", "--no-renames", "-z", "--name-only", "HEAD", "--"]
        case .commit(let c):
            let parent = try repo.git.commitInfo(c).parents.first
            argv = ["git", "diff-tree", "-r", "--no-renames", "-z", "--name-only"] + (parent.map { [$0.hex, c.hex] } ?? ["--root", c.hex]) + ["--"]
        }
        let r = try ProcessRunner.capture(argv, cwd: repo.root)
        guard r.status == 0 else {
            throw MLOpsError("\(argv[0]) \(argv[1]) failed: \(r.stderr.trimmingCharacters(in: .whitespacesAndNewlines))", hint: "check the repository with `git status`")
        }
        return Set(r.stdout.split(separator: "\0").map(String.init))
    }

    // MARK: Reading

    /// Tracked data at this side.
    func pointers() throws -> [TrackedData] {
        switch side {
        case .workspace:
            return try repo.workspacePointers().map { TrackedData(path: $0.path, pointer: $0.pointer) }
        case .commit(let c):
            return try repo.pointers(at: c, strict: false).map { TrackedData(path: $0.path, pointer: $0.pointer) }
        case .staged:
            var out: [TrackedData] = []
            for (p, blob) in index where p.hasSuffix(Pointer.suffix) {
                let data = Pointer.dataPath(forPointer: p)
                guard RepoPath.problem(data) == nil, !data.hasSuffix(Pointer.suffix) else {
                    throw MLOpsError.malformed(displayPath(p), "is a staged pointer naming an unsafe path", fix: "remove it with `git rm --cached`")
                }
                let bytes = try repo.git.readBlob(blob)
                guard bytes.count <= 1024 else { throw MLOpsError.malformed(p, "is not a pointer (over 1 KiB)", fix: "remove it with `git rm --cached`") }
                out.append(TrackedData(path: data, pointer: try Pointer.decode(String(decoding: bytes, as: UTF8.self), path: p)))
            }
            return out.sorted { $0.path < $1.path }
        }
    }

    /// The bytes of a file git keeps (a metrics file, a schema), nil when absent.
    func file(_ path: String) throws -> [UInt8]? {
        let bytes: [UInt8]?
        switch side {
        case .workspace:
            bytes = try SideReader.workspaceFile(repo, path)
        case .staged:
            if let blob = index[path] { bytes = try repo.git.readBlob(blob) } else { bytes = try SideReader.workspaceFile(repo, path) }
        case .commit(let c):
            bytes = try repo.git.file(path, in: c)
        }
        if let bytes, bytes.count > SideReader.maxFile {
            throw MLOpsError.malformed(path, "is \(formatBytes(Int64(bytes.count))), more than the \(formatBytes(Int64(SideReader.maxFile))) read here", fix: "keep metrics and schema files small")
        }
        return bytes
    }

    /// A regular file of the working tree, read without following a symlink at its name.
    static func workspaceFile(_ repo: Repo, _ path: String) throws -> [UInt8]? {
        let p = try RepoPath(path)
        guard let dir = try repo.workTree().directory(p.parent, create: false), let st = dir.lstat(p.name), st.isRegular else { return nil }
        guard st.size <= Int64(maxFile) else {
            throw MLOpsError.malformed(path, "is \(formatBytes(st.size)), more than the \(formatBytes(Int64(maxFile))) read here", fix: "keep metrics and schema files small")
        }
        let fd = try dir.openRegularFile(p.name)
        defer { fd.close() }
        return try fd.readAll()
    }

    /// The checks and gates in force: mlops.yaml of the commit, or of the working tree.
    func spec() throws -> ValidationSpec {
        guard let c = commit else { return try ValidationSpec.load(root: repo.root) }
        guard let bytes = try repo.git.file(Pipeline.fileName, in: c) else { return ValidationSpec() }
        return try ValidationSpec.parse(String(decoding: bytes, as: UTF8.self), path: "\(c.short):\(Pipeline.fileName)")
    }

    /// The pipeline in force (nil when none).
    func pipeline() throws -> Pipeline? {
        guard let c = commit else { return try Pipeline.load(root: repo.root) }
        guard let bytes = try repo.git.file(Pipeline.fileName, in: c) else { return nil }
        return try Pipeline.parse(String(decoding: bytes, as: UTF8.self), path: "\(c.short):\(Pipeline.fileName)")
    }
}
