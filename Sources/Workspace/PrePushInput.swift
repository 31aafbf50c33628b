/// What the pre-push hook works on: the git remote's name and git's ref lines
/// (`<local ref> <local sha> <remote ref> <remote sha>`).
public struct PrePushInput: Sendable, Equatable {
    public var gitRemote: String
    public var refLines: String

    public init(gitRemote: String, refLines: String) {
        self.gitRemote = gitRemote
        self.refLines = refLines
    }

    /// git passes the remote as the first argument and the refs on stdin. The pre-commit framework
    /// passes no stdin; its `PRE_COMMIT_*` variables name one ref instead (an absent FROM_REF is a new
    /// branch: all zeros), and PRE_COMMIT_REMOTE_NAME the remote when there are no arguments.
    public static func resolve(stdin: String, arguments: [String], environment: [String: String]) -> PrePushInput {
        var refLines = stdin
        var remote = arguments.first
        if stdin.allSatisfy(\.isWhitespace), let to = environment["PRE_COMMIT_TO_REF"] {
            let from = environment["PRE_COMMIT_FROM_REF"] ?? String(repeating: "0", count: 40)
            let local = environment["PRE_COMMIT_LOCAL_BRANCH"] ?? "HEAD"
            let remoteBranch = environment["PRE_COMMIT_REMOTE_BRANCH"] ?? local
            refLines = "\(local) \(to) \(remoteBranch) \(from)\n"
            if remote == nil { remote = environment["PRE_COMMIT_REMOTE_NAME"] }
        }
        return PrePushInput(gitRemote: remote ?? "origin", refLines: refLines)
    }
}
