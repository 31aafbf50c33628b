import Foundation
import GitBridge
import MLOpsBasics

/// Installs git hooks that call `git mlops hook NAME`, chaining to any hook already there.
///
/// An existing hook that is not ours is moved aside to `NAME.mlops-chained` and run after ours, with the
/// same arguments and standard input; nothing is ever overwritten. Installing twice changes nothing;
/// an older git-mlops hook is replaced. Uninstalling puts the chained hook back.
public enum Hooks {
    public static let marker = "# git-mlops hook v1"
    /// Every hook git-mlops knows how to install.
    public static let all = ["pre-push", "post-commit", "post-checkout"]

    public enum Outcome: String, Sendable { case installed, chained, updated, unchanged, removed, restored, absent }

    /// The hook directory git uses: `core.hooksPath` if set, else `hooks` in the common git dir.
    public static func directory(_ repo: Repo) -> String {
        if let cfg = try? repo.git.config(), let p = cfg.string("core.hooksPath"), !p.isEmpty {
            let expanded = p.hasPrefix("~/") ? (repo.environment["HOME"] ?? "") + p.dropFirst(1) : p
            return expanded.hasPrefix("/") ? expanded : repo.root + "/" + expanded
        }
        return repo.git.commonDir + "/hooks"
    }

    /// Hooks whose standard input carries data (git feeds pre-push the refs being pushed).
    static let readsStdin: Set<String> = ["pre-push", "post-rewrite", "pre-receive"]

    static func script(_ name: String) -> String {
        let stdin = readsStdin.contains(name)
        var s = """
            #!/bin/sh
            \(marker)
            # Installed by `git mlops hooks install`; `git mlops hooks uninstall` removes it and puts back
            # any hook it chained (kept beside this file as \(name).mlops-chained).
            if ! command -v git-mlops >/dev/null 2>&1; then
                echo "git-mlops is not on PATH: the \(name) hook cannot run (install git-mlops, or run \\`git mlops hooks uninstall\\`)" >&2
                exit 1
            fi

            """
        if stdin {
            s += """
                input=$(cat)
                printf '%s\\n' "$input" | git mlops hook \(name) "$@" || exit $?
                chained="$(dirname "$0")/\(name).mlops-chained"
                if [ -x "$chained" ]; then printf '%s\\n' "$input" | "$chained" "$@" || exit $?; fi

                """
        } else {
            s += """
                git mlops hook \(name) "$@" || exit $?
                chained="$(dirname "$0")/\(name).mlops-chained"
                if [ -x "$chained" ]; then "$chained" "$@" || exit $?; fi

                """
        }
        return s
    }

    public static func install(_ names: [String], in repo: Repo) throws -> [(String, Outcome)] {
        let dir = directory(repo)
        try FS.mkdirs(dir)
        return try names.map { name in
            guard all.contains(name) else {
                throw MLOpsError("unknown hook '\(name)'", hint: "choose from: \(all.joined(separator: ", "))")
            }
            let path = dir + "/" + name
            let want = script(name)
            if let text = try? FS.readText(path) {
                if text == want { return (name, .unchanged) }
                if text.contains("# git-mlops hook v") {
                    try FS.writeAtomic(path, want, mode: 0o755)
                    return (name, .updated)
                }
                let chained = path + ".mlops-chained"
                guard !FS.exists(chained) else {
                    throw MLOpsError("\(path) is not a git-mlops hook and \(chained) already exists",
                                     hint: "merge the two by hand, then run `git mlops hooks install` again")
                }
                try FS.rename(path, chained)
                try FS.writeAtomic(path, want, mode: 0o755)
                return (name, .chained)
            }
            try FS.writeAtomic(path, want, mode: 0o755)
            return (name, .installed)
        }
    }

    public static func uninstall(_ names: [String], in repo: Repo) throws -> [(String, Outcome)] {
        let dir = directory(repo)
        return try names.map { name in
            let path = dir + "/" + name
            guard let text = try? FS.readText(path), text.contains("# git-mlops hook v") else { return (name, .absent) }
            let chained = path + ".mlops-chained"
            if FS.exists(chained) {
                try FS.rename(chained, path)
                return (name, .restored)
            }
            try FS.remove(path)
            return (name, .removed)
        }
    }
}
