import Foundation
import GitBridge
import MLOpsBasics
import ObjectStore
import Store

/// A git repository under git-mlops: the git side, the cache, the settings and the workspace paths.
public final class Repo: @unchecked Sendable {
    public let git: GitRepository
    public let store: Store
    /// Working tree root, absolute, symlinks resolved.
    public let root: String
    /// `.git/mlops`, shared by every worktree.
    public let storeRoot: String
    /// Per-worktree state (stat cache, pending runs): `.git/mlops` for the main worktree,
    /// `.git/worktrees/NAME/mlops` for a linked one.
    public let worktreeState: String
    public let config: Settings
    /// The process environment, read once when the repository is opened: tuning, credentials and
    /// endpoints come from here, and nothing below `Workspace` reads the environment itself.
    public let environment: [String: String]
    /// Threads, pack size, direct I/O and retries (`GIT_MLOPS_*`), handed to the store and transfers.
    public let tuning: Tuning

    public static let configFileName = ".gitmlops"

    /// The git binary in this working tree, for what libgit2 does not do as git does.
    public var gitCommand: GitCommand { GitCommand(in: root) }

    /// Opens the repository that contains `cwd`; it must have been set up with `git mlops init`.
    public static func open(from cwd: String = FS.currentDirectory) throws -> Repo {
        let git = try GitRepository.discover(from: cwd)
        let storeRoot = git.commonDir + "/mlops"
        if !FS.exists(storeRoot + "/format") {
            // A clone of a repository that uses git-mlops: its settings are committed, the cache is made here.
            guard FS.exists(git.workdir + "/" + configFileName) else {
                throw MLOpsError("git-mlops is not set up in \(git.workdir)", hint: "run `git mlops init`")
            }
            try Store.create(at: storeRoot)
            try excludeCheckoutTemporaries(commonDir: git.commonDir)
        }
        return try Repo(git: git)
    }

    /// Lists checkout temporaries in `.git/info/exclude`, so an interrupted checkout never shows in `git status`.
    static func excludeCheckoutTemporaries(commonDir: String) throws {
        let path = commonDir + "/info/exclude"
        let line = "*" + Materializer.tempSuffix
        let text = (try? FS.readText(path)) ?? ""
        if text.split(separator: "\n").contains(where: { $0 == line }) { return }
        try FS.mkdirs(commonDir + "/info")
        try FS.writeAtomic(path, text + (text.isEmpty || text.hasSuffix("\n") ? "" : "\n") + line + "\n")
    }

    init(git: GitRepository, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        self.git = git
        self.environment = environment
        tuning = Tuning(environment: environment)
        root = FS.realpath(git.workdir) ?? git.workdir
        storeRoot = git.commonDir + "/mlops"
        worktreeState = git.gitDir == git.commonDir ? storeRoot : git.gitDir + "/mlops"
        store = try Store(root: storeRoot, tuning: tuning)
        config = try Settings(repoFile: root + "/" + Repo.configFileName, git: git)
    }

    /// Sets up `.git/mlops` and `.gitmlops` (idempotent). Returns whether anything was created.
    @discardableResult
    public static func initialize(at cwd: String = FS.currentDirectory) throws -> (repo: Repo, created: Bool) {
        let git = try GitRepository.discover(from: cwd)
        let storeRoot = git.commonDir + "/mlops"
        let created = !FS.exists(storeRoot + "/format")
        try Store.create(at: storeRoot)
        try excludeCheckoutTemporaries(commonDir: git.commonDir)
        let cfg = (FS.realpath(git.workdir) ?? git.workdir) + "/" + configFileName
        if !FS.exists(cfg) {
            try FS.writeAtomic(cfg, """
                # git-mlops settings, shared through git (no secrets here: credentials come from the environment).
                [core]
                \tversion = 1

                """)
        }
        return (try Repo(git: git), created)
    }

    public lazy var statCache = StatCache(path: worktreeState + "/statcache")

    /// Taken shared by every command that reads or writes the cache; gc takes it exclusively. A cache
    /// that cannot be written (a read-only volume, another user's cache) is locked through a read-only
    /// descriptor, or not at all: reading commands work there, and writes fail naming the cause.
    public func lockStore(exclusive: Bool = false) throws -> FileLock {
        try? FS.mkdirs(worktreeState)
        return try writingToCache { try FileLock(path: store.lockPath, shared: !exclusive, allowReadOnly: !exclusive) }
    }

    /// Runs `body`, which writes to the cache (its lock, or objects stored by fetch, gc --remote and
    /// profile fetches under a shared lock): a cache that turns out not to be writable (a read-only
    /// volume, another user's cache) is said in one line, not as the first file that could not be
    /// created. Nothing to write, nothing said.
    public func writingToCache<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as SystemError where FileLock.isReadOnlyError(e.errno) && e.path.hasPrefix(storeRoot + "/") {
            throw MLOpsError.readOnlyCache(storeRoot, e)
        }
    }

    /// Serialises edits of workspace metadata (pointers, .gitignore) between processes.
    public func lockWorkspace() throws -> FileLock {
        try? FS.mkdirs(worktreeState)
        return try FileLock(path: worktreeState + "/workspace.lock", allowReadOnly: true)
    }

    // MARK: Paths

    /// A user-supplied path (relative to `cwd`) as a repository-relative path.
    /// Refuses paths outside the working tree, inside `.git`, or reached through a symlink.
    public func relativePath(_ userPath: String, cwd: String = FS.currentDirectory) throws -> String {
        var p = userPath
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        let abs = p.hasPrefix("/") ? p : joinPath(cwd, p)
        let parent = dirname(abs), name = basename(abs)
        guard let realParent = FS.realpath(parent.isEmpty ? "/" : parent) else {
            throw MLOpsError("\(userPath): no such file or directory", hint: "check the path")
        }
        var full = name == "." ? realParent : joinPath(realParent, name)
        if name == ".." { full = FS.realpath(abs) ?? abs }
        guard full == root || full.hasPrefix(root + "/") else {
            throw MLOpsError("\(userPath) is outside the repository at \(root)", hint: "only paths inside the working tree can be tracked")
        }
        let rel = full == root ? "" : String(full.dropFirst(root.count + 1))
        guard !rel.isEmpty else { throw MLOpsError("cannot track the repository root itself", hint: "name a file or directory inside it") }
        if rel == ".git" || rel.hasPrefix(".git/") {
            throw MLOpsError("\(userPath) is inside .git", hint: "name a file or directory of the working tree")
        }
        if let why = RepoPath.problem(rel) {
            throw MLOpsError("\(displayPath(userPath)) cannot be tracked: it has \(why)", hint: "rename it")
        }
        return rel
    }

    /// Where reads may go; every write goes through `workTree()`.
    public func absolute(_ rel: String) -> String { root + "/" + rel }

    /// The working tree for one operation: writes and removals by descriptor, never through a symlink.
    public func workTree() -> WorkTree { WorkTree(path: root) }

    /// Checks `rel` (see `RepoPath`) and that no directory on the way to it is a symlink or a file, so
    /// writing there stays inside the working tree; creates missing directories when `create`.
    @discardableResult
    public func ensureSafeParents(of rel: String, create: Bool) throws -> RepoPath {
        let p = try RepoPath(rel)
        _ = try workTree().directory(p.parent, create: create)
        return p
    }
}
