import Foundation
import MLOpsBasics
import Lineage
import Workspace

/// `cmd:` checks: commands a committed mlops.yaml names. None runs until the user has trusted that
/// exact command line (`git mlops checks trust`), which records it in their own git config as
/// `mlops.trustedCheck`, in `.git/config` or, with `--global`, for all their repositories. An untrusted
/// command is reported as not run, with the command that trusts it, and fails validation only when
/// the user asked for strictness (`mlops.checks.strict`). See docs/security.md.
public enum CommandChecks {
    static let trustKey = "mlops.trustedCheck"

    /// Commands the user trusts (every level of their git config).
    public static func trusted(in repo: Repo) throws -> Set<String> {
        let r = try ProcessRunner.capture(["git", "config", "--get-all", trustKey], cwd: repo.root)
        return Set(r.stdout.split(separator: "\n").map(String.init))
    }

    /// The `cmd:` checks of the working tree's mlops.yaml, with whether each is trusted.
    public static func listed(in repo: Repo) throws -> [(cmd: String, trusted: Bool)] {
        let all = try trusted(in: repo)
        var seen = Set<String>()
        return try ValidationSpec.load(root: repo.root).checks.compactMap(\.cmd).filter { seen.insert($0).inserted }.map { ($0, all.contains($0)) }
    }

    /// Records `commands` as trusted; returns those newly trusted.
    @discardableResult
    public static func trust(_ commands: [String], in repo: Repo, global: Bool) throws -> [String] {
        let scope = global ? "--global" : "--local"
        let listed = try ProcessRunner.capture(["git", "config", scope, "--get-all", trustKey], cwd: repo.root)
        let have = Set(listed.stdout.split(separator: "\n").map(String.init))
        var added: [String] = []
        for c in commands where !have.contains(c) && !added.contains(c) {
            guard !c.contains("\n") else { throw MLOpsError("a command to trust spans lines", hint: "trust one command line at a time") }
            let r = try ProcessRunner.capture(["git", "config", scope, "--add", trustKey, c], cwd: repo.root)
            guard r.status == 0 else {
                throw MLOpsError("cannot record the command as trusted: \(r.stderr.trimmingCharacters(in: .whitespacesAndNewlines))",
                                 hint: global ? "fix your global git config, or trust it for this repository only (without --global)" : "check .git/config")
            }
            added.append(c)
        }
        return added
    }

    /// Forgets trusted commands (all when `commands` is empty) at one level of the config.
    public static func untrust(_ commands: [String], in repo: Repo, global: Bool) throws {
        let scope = global ? "--global" : "--local"
        let listed = try ProcessRunner.capture(["git", "config", scope, "--get-all", trustKey], cwd: repo.root)
        let keep = listed.stdout.split(separator: "\n").map(String.init).filter { !commands.isEmpty && !commands.contains($0) }
        _ = try ProcessRunner.capture(["git", "config", scope, "--unset-all", trustKey], cwd: repo.root)
        for c in keep { _ = try ProcessRunner.capture(["git", "config", scope, "--add", trustKey, c], cwd: repo.root) }
    }

    /// How to trust `cmd`, quoted for a shell.
    public static func trustCommand(_ cmd: String) -> String {
        "git mlops checks trust '" + cmd.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// Runs a trusted check in the repository root with the data's paths in the environment; its exit
    /// status decides. Returns the status and the last line of its output.
    static func run(_ cmd: String, repo: Repo, data: String, path: String, id: ObjectID) throws -> (status: Int32, output: String) {
        var env = ProcessInfo.processInfo.environment
        env["GIT_MLOPS_DATA"] = data
        env["GIT_MLOPS_DATA_PATH"] = path
        env["GIT_MLOPS_DATA_ID"] = "sha256:" + id.hex
        let r = try ProcessRunner.capture(["/bin/sh", "-c", cmd], cwd: repo.root, env: env)
        let text = (r.stdout + "\n" + r.stderr).split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return (r.status, text.last.map { String($0.prefix(300)) } ?? "")
    }
}
