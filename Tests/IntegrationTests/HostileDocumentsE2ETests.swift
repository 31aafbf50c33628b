import Foundation
import MLOpsBasics
import Testing

/// YAML and JSON that a stranger's repository brings (issue 9, item 5): alias bombs, alias-heavy keys,
/// deep nesting, huge files and files that are not files. Each is refused with one line naming the
/// file, exit 1, and nothing changed.
@Suite struct HostileDocumentsE2ETests {
    /// `params.yaml` of nine levels of nine aliases: 9^9 values once expanded.
    static let paramsBomb: String = {
        var lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
        for i in 1...8 { lines.append("a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 9).joined(separator: ", ") + "]") }
        lines.append("train: *a8")
        return lines.joined(separator: "\n") + "\n"
    }()

    /// `mlops.yaml` whose stage has keys that are lists holding aliases of 9^5 values each: Yams would
    /// hash every one of them in full.
    static let keyBomb: String = {
        var lines = ["stages:", "  train:", "    cmd: touch ran", "    k0: &k0 [a, b, c, d, e, f, g, h, i]"]
        for i in 1...5 { lines.append("    k\(i): &k\(i) [" + Array(repeating: "*k\(i - 1)", count: 9).joined(separator: ", ") + "]") }
        for j in 0..<40 { lines += ["    ? [*k5, \(j)]", "    : v"] }
        return lines.joined(separator: "\n") + "\n"
    }()

    static let pipeline = "stages:\n  train:\n    cmd: touch ran\n    params: [train]\n    outs: [out.txt]\n"

    /// An attacker's repository with `files` committed on top of a plain pipeline, cloned by the victim.
    func victimClone(_ s: Sandbox, _ files: [String: String], symlinks: [String: String] = [:], initialize: Bool = true) throws -> String {
        let evil = try s.makeRepo("evil")
        try s.write(evil + "/mlops.yaml", HostileDocumentsE2ETests.pipeline)
        try s.write(evil + "/params.yaml", "train: 1\n")
        try s.ok(["git", "add", "-A"], in: evil)
        try s.ok(["git", "commit", "-qm", "pipeline"], in: evil)
        for (path, text) in files { try s.write(evil + "/" + path, text) }
        for (path, target) in symlinks {
            try FS.remove(evil + "/" + path)
            #expect(symlink(target, evil + "/" + path) == 0)
        }
        try s.ok(["git", "add", "-A"], in: evil)
        try s.ok(["git", "commit", "-qm", "hostile"], in: evil)
        try s.ok(["git", "clone", "-q", evil, s.root + "/victim"])
        if initialize { try s.ok(["git", "mlops", "init"], in: s.root + "/victim") }
        return s.root + "/victim"
    }

    /// Everything a command could change: the work tree (symlinks as their targets), git's status,
    /// the cache's run records and the notes ref.
    func state(_ s: Sandbox, _ repo: String) throws -> [String] {
        var out: [String] = []
        func walk(_ rel: String) throws {
            for e in try FS.listDirectory(rel.isEmpty ? repo : repo + "/" + rel) where e.name != ".git" {
                let r = rel.isEmpty ? e.name : rel + "/" + e.name
                switch e.kind {
                case .directory: try walk(r)
                case .symlink: out.append("\(r) -> \(FS.readlink(repo + "/" + r) ?? "?")")
                default: out.append("\(ObjectID.hashing(try FS.readFile(repo + "/" + r)).hex)  \(r)")
                }
            }
        }
        try walk("")
        out.append(try s.ok(["git", "status", "--porcelain", "--ignored"], in: repo).stdout)
        out.append(contentsOf: s.pendingRuns(repo))
        out.append(try s.run(["git", "rev-parse", "-q", "--verify", "refs/notes/mlops"], in: repo).stdout)
        return out.sorted()
    }

    /// Runs `argv` in `repo`, expecting exit 1, exactly `message` on stderr, and no change.
    func refused(_ s: Sandbox, _ repo: String, _ argv: [String], _ message: String,
                 sourceLocation: SourceLocation = #_sourceLocation) throws {
        let before = try state(s, repo)
        let r = try s.run(argv, in: repo)
        #expect(r.status == 1, "\(argv.joined(separator: " ")): \(r)", sourceLocation: sourceLocation)
        #expect(r.stderr == message + "\n", sourceLocation: sourceLocation)
        #expect(try state(s, repo) == before, "\(argv.joined(separator: " ")) changed something", sourceLocation: sourceLocation)
    }

    @Test func aParamsAliasBombIsRefusedBeforeItGrows() throws {
        let s = try Sandbox()
        let repo = try victimClone(s, ["params.yaml": HostileDocumentsE2ETests.paramsBomb])
        let message = "error: params.yaml: line 7: more than 1000000 values once aliases are expanded; use fewer aliases (`*name`) or fewer values"
        try refused(s, repo, ["git", "mlops", "run", "--dry-run"], message)
        try refused(s, repo, ["git", "mlops", "run"], message)
        // From a commit, the file is named with its revision.
        let committed = "error: HEAD:params.yaml: line 7: more than 1000000 values once aliases are expanded; use fewer aliases (`*name`) or fewer values"
        try refused(s, repo, ["git", "mlops", "params", "diff"], committed)
        try refused(s, repo, ["git", "mlops", "params", "diff", "HEAD~1", "HEAD"], committed)
        #expect(!FS.exists(repo + "/ran"))
    }

    @Test func aliasHeavyKeysInMlopsYamlAreRefusedBeforeYamsHashesThem() throws {
        let s = try Sandbox()
        let repo = try victimClone(s, ["mlops.yaml": HostileDocumentsE2ETests.keyBomb])
        let message = "error: mlops.yaml: line 10: a mapping key is a list or a mapping; write keys as plain names"
        try refused(s, repo, ["git", "mlops", "stage", "list"], message)
        try refused(s, repo, ["git", "mlops", "run", "--dry-run"], message)
        try refused(s, repo, ["git", "mlops", "stage", "add", "-n", "other", "-o", "x", "--", "true"], message)
        #expect(!FS.exists(repo + "/ran"))
    }

    @Test func aliasesExpandingToTooMuchTextAreRefused() throws {
        // Few values, but each a long string repeated through aliases.
        let long = String(repeating: "x", count: 1 << 20)
        let text = "s: &s \(long)\nl: &l [" + Array(repeating: "*s", count: 64).joined(separator: ", ") + "]\ntrain: [*l]\n"
        let s = try Sandbox()
        let repo = try victimClone(s, ["params.yaml": text])
        try refused(s, repo, ["git", "mlops", "run", "--dry-run"],
                    "error: params.yaml: line 2: more than 32 MiB of text once aliases are expanded; use fewer aliases (`*name`) or shorter values")
    }

    @Test func deepNestingIsRefusedInYamlAndJson() throws {
        func nested(_ depth: Int) -> String { String(repeating: "[", count: depth) + String(repeating: "]", count: depth) }
        let yaml = "train: " + nested(200) + "\n"
        let json = "{\"a\": " + nested(100_000) + "}\n"
        let s = try Sandbox()
        let repo = try victimClone(s, ["params.yaml": yaml, "cfg.json": json,
                                       "mlops.yaml": "stages:\n  train:\n    cmd: touch ran\n    params: [train, \"cfg.json:a\"]\n"])
        try refused(s, repo, ["git", "mlops", "run", "--dry-run"],
                    "error: params.yaml: line 1: nested more than 128 levels deep; flatten the document")
        // Deeper still, libyaml stops first (at 1000 levels).
        try s.write(repo + "/params.yaml", "train: " + nested(100_000) + "\n")
        try refused(s, repo, ["git", "mlops", "run", "--dry-run"],
                    "error: params.yaml: not valid YAML (line 1, column 9: Maximum nesting level reached, set with yaml_set_max_nest_level())); fix the syntax of params.yaml")
        try s.write(repo + "/params.yaml", "train: 1\n")
        try refused(s, repo, ["git", "mlops", "run", "--dry-run"],
                    "error: cfg.json: not valid JSON (invalid JSON at byte 133: nested more than 128 levels deep); fix the syntax of cfg.json")
    }

    @Test func hugeAndSpecialFilesAreNotRead() throws {
        let s = try Sandbox()
        let huge = "train: 1\n" + String(repeating: "# padding\n", count: 900_000)
        let repo = try victimClone(s, ["params.yaml": huge])
        try refused(s, repo, ["git", "mlops", "run", "--dry-run"],
                    "error: params.yaml: is larger than 8 MiB, the limit for this file; keep params, metrics and mlops.yaml small regular files in the repository, not symlinks")

        // A committed symlink to a device would otherwise be read forever.
        let s2 = try Sandbox()
        let repo2 = try victimClone(s2, [:], symlinks: ["params.yaml": "/dev/zero"])
        try refused(s2, repo2, ["git", "mlops", "run", "--dry-run"],
                    "error: params.yaml: is a symbolic link, not a file; keep params, metrics and mlops.yaml small regular files in the repository, not symlinks")
        try refused(s2, repo2, ["git", "mlops", "params", "diff"],
                    "error: params.yaml: is a symbolic link, not a file; keep params, metrics and mlops.yaml small regular files in the repository, not symlinks")
    }

    /// A committed symlink to a file outside the repository, or to a directory outside it, would put
    /// that file's values into a run record, which is pushed: it is never followed.
    @Test func paramsAndMetricsAreNeverReadThroughASymlink() throws {
        let s = try Sandbox()
        try s.write(s.root + "/secret.yaml", "train: hunter2\n")
        try s.write(s.root + "/outside/params.yaml", "train: hunter2\n")
        let repo = try victimClone(s, ["mlops.yaml": "stages:\n  train:\n    cmd: touch ran\n    params: [\"conf/params.yaml:train\"]\n    metrics: [m.json]\n"],
                                   symlinks: ["params.yaml": "../secret.yaml", "conf": "../outside", "m.json": "../secret.yaml"])
        try refused(s, repo, ["git", "mlops", "run", "--dry-run"],
                    "error: conf/params.yaml: is reached through the symbolic link conf; keep params, metrics and mlops.yaml small regular files in the repository, not symlinks")
        try refused(s, repo, ["git", "mlops", "params", "diff"],
                    "error: params.yaml: is a symbolic link, not a file; keep params, metrics and mlops.yaml small regular files in the repository, not symlinks")
        try s.write(repo + "/mlops.yaml", "stages:\n  train:\n    cmd: touch ran\n    params: [train]\n")
        try refused(s, repo, ["git", "mlops", "run"],
                    "error: params.yaml: is a symbolic link, not a file; keep params, metrics and mlops.yaml small regular files in the repository, not symlinks")
        #expect(!FS.exists(repo + "/ran"))
        // mlops.yaml itself, too.
        try FS.remove(repo + "/mlops.yaml")
        #expect(symlink("../secret.yaml", repo + "/mlops.yaml") == 0)
        try refused(s, repo, ["git", "mlops", "stage", "list"],
                    "error: mlops.yaml: is a symbolic link, not a file; keep params, metrics and mlops.yaml small regular files in the repository, not symlinks")
    }

    @Test func aCommittedGitmlopsCannotIncludeOtherFilesNorCrashTheReader() throws {
        let s = try Sandbox()
        // libgit2 would follow the include and block on the FIFO forever.
        #expect(mkfifo(s.root + "/fifo", 0o600) == 0)
        let repo = try victimClone(s, [".gitmlops": "[core]\n\tversion = 1\n[include]\n\tpath = ../fifo\n"], initialize: false)
        let message = "error: .gitmlops: line 3: [include] and [includeIf] sections are not allowed in a committed file; remove the section; put local settings in .git/config (`git config mlops.KEY VALUE`)"
        try refused(s, repo, ["git", "mlops", "init"], message)
        try refused(s, repo, ["git", "mlops", "status"], message)
        try refused(s, repo, ["git", "mlops", "pull"], message)
        // A key without a value used to trap the reader.
        try s.write(repo + "/.gitmlops", "[core]\n\tversion = 1\n[remote \"x\"]\n\turl\n")
        #expect(try s.ok(["git", "mlops", "remote", "list"], in: repo).stdout == "")
    }

    @Test func hugeNumbersInJsonAreRefused() throws {
        let s = try Sandbox()
        let repo = try victimClone(s, ["cfg.json": "{\"a\": 1e999}\n",
                                       "mlops.yaml": "stages:\n  train:\n    cmd: touch ran\n    params: [\"cfg.json:a\"]\n"])
        try refused(s, repo, ["git", "mlops", "run", "--dry-run"],
                    "error: cfg.json: not valid JSON (invalid JSON at byte 11: number 1e999 is out of range); fix the syntax of cfg.json")
        try s.write(repo + "/cfg.json", "{\"a\": " + String(repeating: "1", count: 100_000) + "}")
        try refused(s, repo, ["git", "mlops", "run", "--dry-run"],
                    "error: cfg.json: not valid JSON (invalid JSON at byte 6: number longer than 400 characters); fix the syntax of cfg.json")
    }
}
