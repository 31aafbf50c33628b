import CLibGit2
import MLOpsBasics

/// A git object id (SHA-1, 40 hex digits, as libgit2 1.5 knows only SHA-1 repositories).
public struct GitOID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let hex: String

    public init?(hex: String) {
        guard hex.utf8.count == 40, hex.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }) else { return nil }
        self.hex = hex
    }

    init(_ oid: git_oid) {
        var o = oid
        var buf = [CChar](repeating: 0, count: 41)
        git_oid_fmt(&buf, &o)
        buf[40] = 0
        hex = String(cString: buf)
    }

    init(_ p: UnsafePointer<git_oid>) { self.init(p.pointee) }

    var raw: git_oid {
        var o = git_oid()
        _ = git_oid_fromstr(&o, hex)
        return o
    }

    public var description: String { hex }
    public var short: String { String(hex.prefix(10)) }
    public static func < (a: GitOID, b: GitOID) -> Bool { a.hex < b.hex }
}

/// A libgit2 call failed: the call and libgit2's own message.
public struct GitError: Error, CustomStringConvertible {
    public let call: String
    public let code: Int32
    public let message: String
    public var description: String { message.isEmpty ? "\(call) failed (\(code))" : message }

    /// Reads `git_error_last()` at once, on the failing thread, as libgit2 requires.
    static func last(_ call: String, _ code: Int32) -> GitError {
        let msg = git_error_last().map { String(cString: $0.pointee.message) } ?? ""
        return GitError(call: call, code: code, message: msg)
    }
}

@inline(__always)
func check(_ code: Int32, _ call: String) throws {
    if code < 0 { throw GitError.last(call, code) }
}

enum LibGit2 {
    /// `git_libgit2_init` once per process.
    static let initialized: Bool = {
        git_libgit2_init()
        return true
    }()
}

/// An open repository. The only type in the project that holds libgit2 state.
public final class GitRepository: @unchecked Sendable {
    let handle: OpaquePointer
    /// Working tree root, absolute, without a trailing slash.
    public let workdir: String
    /// This worktree's git directory (`.git`, or `.git/worktrees/NAME` for a linked worktree).
    public let gitDir: String
    /// The directory shared by all worktrees (`.git`).
    public let commonDir: String

    /// Opens the repository containing `path`, as git would from that directory.
    public static func discover(from path: String) throws -> GitRepository {
        _ = LibGit2.initialized
        var buf = git_buf()
        defer { git_buf_dispose(&buf) }
        if git_repository_discover(&buf, path, 0, nil) < 0 {
            throw MLOpsError("not a git repository (or any of the parent directories): \(path)",
                             hint: "run `git init` first, or cd into a repository", exitCode: 128)
        }
        return try GitRepository(path: String(cString: buf.ptr))
    }

    public init(path: String) throws {
        _ = LibGit2.initialized
        var repo: OpaquePointer?
        let code = git_repository_open(&repo, path)
        if code < 0 {
            let error = GitError.last("git_repository_open", code)
            // libgit2 1.5 reports another user's repository as "config value 'safe.directory' was not found".
            if code == GIT_EOWNER.rawValue || error.message.contains("safe.directory") {
                var top = path
                while top.count > 1 && top.hasSuffix("/") { top.removeLast() }
                if basename(top) == ".git" { top = dirname(top) }
                throw MLOpsError("detected dubious ownership in repository at '\(top)': it is owned by someone else",
                                 hint: "if you trust it, mark it safe with `git config --global --add safe.directory \(top)`", exitCode: 128)
            }
            throw error
        }
        handle = repo!
        guard let wd = git_repository_workdir(handle) else {
            git_repository_free(handle)
            throw MLOpsError("\(path) is a bare repository", hint: "run git-mlops in a working tree", exitCode: 128)
        }
        func trim(_ s: String) -> String { s.count > 1 && s.hasSuffix("/") ? String(s.dropLast()) : s }
        workdir = trim(String(cString: wd))
        gitDir = trim(String(cString: git_repository_path(handle)))
        commonDir = trim(String(cString: git_repository_commondir(handle)))
    }

    deinit { git_repository_free(handle) }

    /// The commit `rev` names (`HEAD`, a branch, a tag, `HEAD~2`, an abbreviated id).
    public func resolveCommit(_ rev: String) throws -> GitOID {
        var obj: OpaquePointer?
        if git_revparse_single(&obj, handle, rev) < 0 {
            throw MLOpsError("unknown revision '\(rev)'", hint: "name a commit, branch or tag that exists (see `git log`)", exitCode: 128)
        }
        defer { git_object_free(obj) }
        var commit: OpaquePointer?
        try check(git_object_peel(&commit, obj, GIT_OBJECT_COMMIT), "git_object_peel")
        defer { git_object_free(commit) }
        return GitOID(git_object_id(commit))
    }

    /// HEAD's commit, or nil on an unborn branch.
    public var head: GitOID? { try? resolveCommit("HEAD") }

    /// Name of the current branch (`main`), nil when detached or unborn.
    public var currentBranch: String? {
        var ref: OpaquePointer?
        guard git_repository_head(&ref, handle) == 0 else { return nil }
        defer { git_reference_free(ref) }
        guard git_reference_is_branch(ref) == 1 else { return nil }
        return String(cString: git_reference_shorthand(ref))
    }

    /// The signature for notes and commits: user.name/email when configured, else a stand-in.
    func signature() throws -> OpaquePointer {
        var sig: UnsafeMutablePointer<git_signature>?
        if git_signature_default(&sig, handle) == 0, let sig { return OpaquePointer(sig) }
        try check(git_signature_now(&sig, "git-mlops", "git-mlops@localhost"), "git_signature_now")
        return OpaquePointer(sig!)
    }
}
