import GitBridge
import MLOpsBasics

/// Catalog tags a push will fail to create because the remote has a different tag of that name: two
/// clones registered the same version, or promoted at the same counter. Git refuses the second push
/// ("already exists"); the pre-push hook adds how to recover.
public enum CatalogPush {
    /// Lines for stderr, one error and one hint per conflicting tag. `input` is the pre-push hook's
    /// stdin: `<local ref> <local sha> <remote ref> <remote sha>` lines.
    public static func conflicts(_ input: String, git: GitRepository, remote: String) -> [String] {
        let zero = String(repeating: "0", count: 40)
        var out: [String] = []
        for line in input.split(separator: "\n") {
            let f = line.split(separator: " ").map(String.init)
            guard f.count == 4, f[2].hasPrefix("refs/tags/"), f[3] != zero, f[1] != zero, f[1] != f[3] else { continue }
            let tag = String(f[2].dropFirst(10))
            guard let n = CatalogTagName(tag) else { continue }
            let commit = (try? git.annotatedTag(tag))?.target.short ?? "COMMIT"
            let quoted = tag.contains("#") ? "'\(tag)'" : tag
            switch n.action {
            case .register:
                out.append("git-mlops: \(remote) already has tag \(tag): another clone registered \(n.artifact) \(n.versionText ?? "") first, so git refuses yours")
                out.append("hint: keep theirs and register your commit as the next version: git tag -d \(quoted) && git fetch \(remote) tag \(quoted) && git mlops model register \(n.artifact) --bump patch \(commit)")
            default:
                out.append("git-mlops: \(remote) already has tag \(tag): another clone tagged \(n.artifact) at the same counter first, so git refuses yours")
                out.append("hint: take theirs and tag again: git tag -d \(quoted) && git fetch \(remote) --tags && run your `git mlops model` command again")
            }
        }
        return out
    }
}
