import Foundation
import MLOpsBasics
import Testing

/// Pipelines as a new user runs them: hints that leave nothing pending when followed, edited inputs
/// caught at `run`, and the small commands (stage remove, pending, log --oneline, metrics --precision).
@Suite struct PipelineHintsE2ETests {
    /// The fixture with its two stages run and committed (records attached).
    static func ranRepo(_ s: Sandbox) throws -> String {
        let repo = try LineageFixture.makeRepo(s)
        try s.ok(["git", "mlops", "run"], in: repo)
        try s.ok(["git", "add", "-A"], in: repo)
        try s.ok(["git", "commit", "-qm", "v1"], in: repo)
        #expect(s.pendingRuns(repo).isEmpty)
        return repo
    }

    static let evaluate = "import json\nimport numpy as np\nw = np.load(\"model.npy\")\njson.dump({\"norm\": float(np.sqrt((w * w).sum())), \"n\": int(w.size)}, open(\"eval.json\", \"w\"))\n"

    /// A new stage with a new code file: the hint names the code, mlops.yaml and the metrics file, and
    /// doing what it says attaches the record.
    @Test func runsHintNamesEveryFileTheRecordNeeds() throws {
        let s = try Sandbox()
        let repo = try Self.ranRepo(s)
        try s.write(repo + "/eval.py", Self.evaluate)
        try s.ok(["git", "mlops", "stage", "add", "-n", "evaluate", "-d", "eval.py", "-d", "model.npy", "-m", "eval.json", "--", "python3", "eval.py"], in: repo)
        let r = try s.ok(["git", "mlops", "run"], in: repo)
        let hint = "hint: git add eval.json eval.py mlops.yaml && git commit"
        #expect(normalized(r.stdout) == """
            prepare: up to date
            train: up to date
            evaluate: running `python3 eval.py` (never run)
            evaluate: done in X s
            recorded 1 run; it attaches to the commit that holds these results
            \(hint)

            """)
        // As the hint says (with a message, so that no editor opens).
        try s.ok(["sh", "-c", String(hint.dropFirst("hint: ".count)) + " -qm evaluate"], in: repo)
        #expect(s.pendingRuns(repo).isEmpty, "following the hint left the run pending")
        #expect(try s.ok(["git", "status", "--porcelain"], in: repo).stdout == "")

        // log -n and --oneline; metrics --precision.
        let oneline = try s.ok(["git", "mlops", "log", "--oneline", "-n", "2"], in: repo).stdout
        let head = String(try s.rev(repo).prefix(10))
        let lines = oneline.split(separator: "\n")
        #expect(lines.count == 2, "\(oneline)")
        #expect(lines[0].wholeMatch(of: try Regex("[0-9a-f]{12} evaluate \(head) n=3 norm=[0-9.]+")) != nil, "\(oneline)")
        #expect(lines[1].wholeMatch(of: try Regex("[0-9a-f]{12} train [0-9a-f]{10} epochs=20 mse=[0-9.]+")) != nil, "\(oneline)")
        #expect(try s.ok(["git", "mlops", "log", "-n", "0"], in: repo).stdout == "")
        let shown = try s.ok(["git", "mlops", "metrics", "show", "--precision", "2"], in: repo).stdout
        let mse = try #require(JSON.parse(String(decoding: try s.read(repo + "/metrics.json"), as: UTF8.self))["mse"]?.double)
        var rounded = String(format: "%.2f", mse)
        while rounded.hasSuffix("0") { rounded.removeLast() }
        if rounded.hasSuffix(".") { rounded.removeLast() }
        #expect(shown.contains("\nmetrics.json  mse     \(rounded)\n"), "\(shown)")

        // One malformed metrics file: the others are shown, then one error line, exit 1.
        try s.write(repo + "/metrics.json", "{\"mse\": ")
        let bad = try s.run(["git", "mlops", "metrics", "show"], in: repo)
        #expect(bad.status == 1)
        #expect(bad.stdout.hasPrefix("file       metric  workspace\neval.json  n       3\neval.json  norm    "), "\(bad)")
        #expect(bad.stderr == "error: metrics.json: not valid JSON (invalid JSON at byte 8: unexpected end); fix the syntax of metrics.json\n")
        try s.ok(["git", "checkout", "--", "metrics.json"], in: repo)

        // stage remove: the rest of mlops.yaml as it was.
        let before = try s.ok(["git", "show", "HEAD~1:mlops.yaml"], in: repo).stdout
        #expect(try s.ok(["git", "mlops", "stage", "remove", "evaluate"], in: repo).stdout == "removed stage 'evaluate' from mlops.yaml\n")
        #expect(try String(decoding: s.read(repo + "/mlops.yaml"), as: UTF8.self) == before)
        let readers = try s.ok(["git", "mlops", "stage", "remove", "prepare"], in: repo)
        #expect(readers.stdout == "removed stage 'prepare' from mlops.yaml\nnote: stage 'train' read what 'prepare' wrote; it is now an input that no stage writes\n")
        let typo = try s.run(["git", "mlops", "stage", "remove", "trian"], in: repo)
        #expect(typo.status == 1 && typo.stderr == "error: no stage 'trian' in mlops.yaml; did you mean 'train'?\n")
    }

    /// A tracked input edited and not added again: run refuses (it would record data no commit can
    /// hold), says both ways on, and pending runs can be listed and dropped.
    @Test func editedInputsAreCaughtAtRunAndPendingRunsCanBeDropped() throws {
        let s = try Sandbox()
        let repo = try Self.ranRepo(s)
        try s.write(repo + "/data/raw.csv", LineageFixture.rawCSV(rows: 120))
        let notesBefore = try s.rev(repo, "refs/notes/mlops")
        var r = try s.run(["git", "mlops", "run"], in: repo)
        #expect(r.status == 1 && r.stdout == "")
        #expect(r.stderr == "error: data/raw.csv was changed since `git mlops add`: a run would read data that no commit can hold, and its record would stay pending; "
                + "run `git mlops add data/raw.csv` first, or `git mlops run --allow-edited-inputs` to run anyway\n")
        #expect(s.pendingRuns(repo).isEmpty)
        #expect(try s.rev(repo, "refs/notes/mlops") == notesBefore)
        r = try s.ok(["git", "mlops", "run", "--dry-run"], in: repo)
        #expect(r.stderr.hasPrefix("warning: data/raw.csv was changed since `git mlops add`"))
        #expect(r.stdout == "prepare: would run (deps changed: data/raw.csv)\ntrain: up to date now; runs again if prepare changes its outputs\n")

        r = try s.ok(["git", "mlops", "run", "--allow-edited-inputs"], in: repo)
        #expect(r.stderr.hasPrefix("warning: data/raw.csv was changed"))
        #expect(s.pendingRuns(repo).count == 2)
        let list = try s.ok(["git", "mlops", "pending", "list"], in: repo).stdout
        #expect(normalized(list.replacing(try Regex("(?m)^[0-9a-f]{12} "), with: "RUN ")) == """
            RUN prepare: data/raw.csv differs in HEAD
            RUN train: data/prepared differs in HEAD

            """)
        let ids = list.split(separator: "\n").map { String($0.prefix(12)) }
        r = try s.run(["git", "mlops", "pending", "drop", "zz"], in: repo)
        #expect(r.status == 1 && r.stderr == "error: run id 'zz' is too short; give at least 4 characters of it, as `git mlops pending list` shows\n")
        #expect(try s.ok(["git", "mlops", "pending", "drop", String(ids[0].prefix(6))], in: repo).stdout == "dropped pending run \(ids[0]) (prepare)\n")
        #expect(try s.ok(["git", "mlops", "pending", "drop", "--all"], in: repo).stdout == "dropped pending run \(ids[1]) (train)\n")
        #expect(s.pendingRuns(repo).isEmpty)
        #expect(try s.ok(["git", "mlops", "pending", "list", "--json"], in: repo).stdout == "[]\n")
        r = try s.run(["git", "mlops", "pending", "drop"], in: repo)
        #expect(r.status == 129 && r.stderr.hasPrefix("error: name the runs to drop, or pass --all\n"))
    }

    /// A stage whose command reads tracked data it does not declare: the re-run in a temporary worktree
    /// fails, and says that only declared dependencies are there and how to declare one.
    @Test func reproduceExplainsUndeclaredDependencies() throws {
        let s = try Sandbox()
        let repo = try Self.ranRepo(s)
        try s.write(repo + "/peek.py", "import json\njson.dump({\"rows\": len(open(\"data/raw.csv\").readlines())}, open(\"peek.json\", \"w\"))\n")
        try s.ok(["git", "mlops", "stage", "add", "-n", "peek", "-d", "peek.py", "-m", "peek.json", "--", "python3", "peek.py"], in: repo)
        try s.ok(["git", "mlops", "run", "peek"], in: repo)
        try s.ok(["git", "add", "-A"], in: repo)
        try s.ok(["git", "commit", "-qm", "peek"], in: repo)
        let r = try s.run(["git", "mlops", "reproduce", "HEAD:peek", "--verify"], in: repo)
        #expect(r.status == 1)
        #expect(normalized(r.stdout, commits: ["HEAD": try s.rev(repo)]) == """
            peek: reproducing run RUN of HEAD in a temporary worktree
            peek: failed: exit code 1; only declared dependencies are materialized in the temporary worktree, and stage 'peek' does not declare \
            data/prepared, data/raw.csv, model.npy (tracked there as pointers only): if its command reads them, add them to the stage's deps in \
            mlops.yaml (or `git mlops stage add --force ... -d PATH`) and run it again

            """)
        #expect(r.stderr.contains("FileNotFoundError"), "the command's own error is still shown")
    }
}
