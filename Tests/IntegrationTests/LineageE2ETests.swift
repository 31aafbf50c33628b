import Foundation
import MLOpsBasics
import Testing

@Suite struct LineageE2ETests {
    /// run, commit (the hook attaches the records), change a param, run again: only train runs; log,
    /// lineage, params and metrics across commits; the run cache; reproduce leaves everything alone.
    @Test func runCommitChangeAParamAndOnlyTheAffectedStageRuns() throws {
        let s = try Sandbox()
        let repo = try LineageFixture.makeRepo(s)

        #expect(try s.ok(["git", "mlops", "run", "--dry-run"], in: repo).stdout == """
            prepare: would run (never run)
            train: would run (after prepare)

            """)
        var r = try s.ok(["git", "mlops", "run"], in: repo)
        #expect(normalized(r.stdout) == """
            prepare: running `python3 prepare.py` (never run)
            prepared 160 train rows, 40 test rows
            prepare: done in X s
            train: running `python3 train.py` (never run)
            trained 20 epochs
            train: done in X s
            recorded 2 runs; they attach to the commit that holds these results
            hint: git add data/prepared.mlops model.npy.mlops metrics.json data/.gitignore .gitignore && git commit

            """)
        #expect(s.pendingRuns(repo).count == 2)
        try s.ok(["git", "add", "-A"], in: repo)
        r = try s.ok(["git", "commit", "-qm", "v1"], in: repo)
        let v1 = try s.rev(repo)
        #expect(r.stderr == "git-mlops: attached 2 run records (prepare, train) to \(v1.prefix(10))\n")
        #expect(s.pendingRuns(repo).isEmpty)

        // The note: one canonical JSON line per record, sorted, readable by `git log --notes=mlops`.
        let note = try s.ok(["git", "notes", "--ref=mlops", "show", "HEAD"], in: repo).stdout
        let lines = note.split(separator: "\n").map(String.init)
        #expect(lines.count == 2 && lines == lines.sorted())
        for line in lines {
            let j = try JSON.parse(line)
            #expect(j.canonical == line)
            #expect(j["schema"]?.string == "https://git-mlops.dev/spec/run/v1")
            #expect(j["code"]?["commit"]?.string == v1 && j["code"]?["dirty"]?.bool == false)
            #expect(j["env"]?["interpreter"]?.string?.hasPrefix("Python 3") == true)
            #expect(j["exit"]?.int == 0 && j["user"]?.string != nil && j["host"]?.string != nil)
        }
        let train = try JSON.parse(try #require(lines.first { $0.contains(#""stage":"train""#) }))
        #expect(train["params"] == ["train.epochs": 20, "train.lr": 0.1])
        #expect(train["inputs"]?.array?.map { $0["path"]?.string } == ["data/prepared"])
        #expect(train["code"]?["deps"]?.array?.first?["blob"]?.string == (try s.rev(repo, "HEAD:train.py")))
        #expect(train["outputs"]?.array?.first?["oid"]?.string == "sha256:" + ObjectID.hashing(try s.read(repo + "/model.npy")).hex)
        #expect(try s.ok(["git", "log", "--notes=mlops", "-1"], in: repo).stdout.contains("Notes (mlops):\n    {\"cmd\":\"python3 prepare.py\""))
        let v1Model = try s.read(repo + "/model.npy"), v1Metrics = try s.read(repo + "/metrics.json")

        #expect(try s.ok(["git", "mlops", "run"], in: repo).stdout == "prepare: up to date\ntrain: up to date\n")

        // Change one param: only the stage that reads it runs.
        try s.write(repo + "/params.yaml", LineageFixture.params(lr: "0.05"))
        #expect(try s.ok(["git", "mlops", "params", "diff"], in: repo).stdout == """
            param     HEAD  workspace
            train.lr  0.1   0.05

            """)
        #expect(try s.ok(["git", "mlops", "run", "--dry-run"], in: repo).stdout == """
            prepare: up to date
            train: would run (params changed: train.lr 0.1 -> 0.05)

            """)
        r = try s.ok(["git", "mlops", "run"], in: repo)
        #expect(normalized(r.stdout) == """
            prepare: up to date
            train: running `python3 train.py` (params changed: train.lr 0.1 -> 0.05)
            trained 20 epochs
            train: done in X s
            recorded 1 run; it attaches to the commit that holds these results
            hint: git add model.npy.mlops metrics.json params.yaml && git commit

            """)
        let oldMSE = try #require(JSON.parse(String(decoding: v1Metrics, as: UTF8.self))["mse"]?.double)
        let newMSE = try #require(JSON.parse(String(decoding: try s.read(repo + "/metrics.json"), as: UTF8.self))["mse"]?.double)
        let diff = try s.ok(["git", "mlops", "metrics", "diff"], in: repo).stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(diff == [["file", "metric", "HEAD", "workspace", "change"],
                         ["metrics.json", "mse", "\(oldMSE)", "\(newMSE)", String(format: "%+.6g", newMSE - oldMSE)]])
        try s.ok(["git", "commit", "-qam", "lr 0.05"], in: repo)
        let v2 = try s.rev(repo)
        let commits = ["V1": v1, "V2": v2]

        // History: newest first, with params and metrics.
        let log = try s.ok(["git", "mlops", "log"], in: repo).stdout
        #expect(normalized(log, commits: commits).hasPrefix("""
            run RUN (train)
            Commit:   V2 lr 0.05
            Date:     DATE, took X s
            Command:  python3 train.py
            Params:   train.epochs=20 train.lr=0.05
            Metrics:  metrics.json: epochs=20 mse=\(newMSE)
            Outputs:  model.npy (sha256:
            """))
        let logJSON = try JSON.parse(try s.ok(["git", "mlops", "log", "--json"], in: repo).stdout)
        #expect(logJSON.array?.map { $0["record"]?["stage"]?.string ?? "" } == ["train", "train", "prepare"] ||
                logJSON.array?.map { $0["record"]?["stage"]?.string ?? "" } == ["train", "prepare", "train"])
        #expect(logJSON.array?.map { $0["commit"]?.string ?? "" }.filter { $0 == v1 }.count == 2)
        #expect(try JSON.parse(try s.ok(["git", "mlops", "log", "prepare", "--json"], in: repo).stdout).array?.count == 1)
        #expect(try JSON.parse(try s.ok(["git", "mlops", "log", "model.npy", "--json"], in: repo).stdout).array?.count == 2)
        #expect(try JSON.parse(try s.ok(["git", "mlops", "log", "data/prepared/train.npy", "--json"], in: repo).stdout).array?.count == 3)
        #expect(try JSON.parse(try s.ok(["git", "mlops", "log", "data/raw.csv", "-n", "5", "--json"], in: repo).stdout).array?.count == 1)
        let show = try s.ok(["git", "mlops", "metrics", "show", "HEAD~1", "HEAD"], in: repo).stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(show == [["file", "metric", "HEAD~1", "HEAD"], ["metrics.json", "epochs", "20", "20"], ["metrics.json", "mse", "\(oldMSE)", "\(newMSE)"]])

        // Lineage: model <- train <- prepared data <- prepare <- raw data.
        let tree = normalized(try s.ok(["git", "mlops", "lineage", "model.npy"], in: repo).stdout, commits: commits)
        let prepared = try s.read(repo + "/data/prepared.mlops")
        let preparedLines = String(decoding: prepared, as: UTF8.self).split(separator: "\n")
        let preparedID = preparedLines[1].dropFirst(11).prefix(12)
        let preparedSize = formatBytes(Int64(preparedLines[2].dropFirst(5))!)
        #expect(tree == """
            model.npy (sha256:\(ObjectID.hashing(try s.read(repo + "/model.npy")).short), 152 B)
              <- train: run RUN on V2, DATE
                 cmd:     python3 train.py
                 params:  train.epochs=20 train.lr=0.05
                 code:    train.py (blob \(try s.rev(repo, "HEAD:train.py").prefix(10)))
                 metrics: metrics.json: epochs=20 mse=\(newMSE)
                data/prepared (sha256:\(preparedID), \(preparedSize), 2 files)
                  <- prepare: run RUN on V1, DATE
                     cmd:     python3 prepare.py
                     params:  prepare.seed=7 prepare.split=0.8
                     code:    prepare.py (blob \(try s.rev(repo, "HEAD:prepare.py").prefix(10)))
                    data/raw.csv (sha256:\(ObjectID.hashing(Array(LineageFixture.rawCSV().utf8)).short), \(formatBytes(Int64(LineageFixture.rawCSV().utf8.count))))
                      <- no recorded run (source data)

            """)
        let old = try JSON.parse(try s.ok(["git", "mlops", "lineage", "model.npy@HEAD~1", "--json"], in: repo).stdout)
        #expect(old["revision"]?.string == "HEAD~1")
        #expect(old["artifact"]?["oid"]?.string == "sha256:" + ObjectID.hashing(v1Model).hex)
        #expect(old["artifact"]?["run"]?["params"]?["train.lr"] == .double(0.1))
        let prep = old["artifact"]?["run"]?["inputs"]?.array?.first
        #expect(prep?["path"]?.string == "data/prepared" && prep?["run"]?["stage"]?.string == "prepare")
        #expect(prep?["run"]?["inputs"]?.array?.first?["run"] == .null)
        let dot = try s.ok(["git", "mlops", "lineage", "model.npy", "--dot"], in: repo).stdout
        #expect(dot.hasPrefix("digraph lineage {\n  rankdir=LR;\n") && dot.contains("  d1 -> r0;\n  c0 [shape=note, label=\"train.py\\n") && dot.hasSuffix("  r1 -> d1;\n}\n"))

        // Back to lr 0.1: the run cache restores v1's model instead of training again.
        try s.write(repo + "/params.yaml", LineageFixture.params(lr: "0.1"))
        #expect(normalized(try s.ok(["git", "mlops", "run", "--dry-run"], in: repo).stdout) == """
            prepare: up to date
            train: would restore outputs of run RUN from the run cache

            """)
        r = try s.ok(["git", "mlops", "run"], in: repo)
        #expect(normalized(r.stdout) == """
            prepare: up to date
            train: restored outputs of run RUN from the run cache
            recorded 1 run; it attaches to the commit that holds these results
            hint: git add model.npy.mlops metrics.json params.yaml && git commit

            """)
        #expect(try s.read(repo + "/model.npy") == v1Model && s.read(repo + "/metrics.json") == v1Metrics)
        #expect(try s.ok(["git", "mlops", "params", "diff", "HEAD~1"], in: repo).stdout == "")
        try s.ok(["git", "mlops", "status"], in: repo)
        #expect(try s.ok(["git", "mlops", "status"], in: repo).stdout == "")
        r = try s.ok(["git", "commit", "-qam", "back to lr 0.1"], in: repo)
        #expect(r.stderr.hasPrefix("git-mlops: attached 1 run record (train)"))
        #expect(normalized(try s.ok(["git", "mlops", "log", "-n", "1"], in: repo).stdout, commits: [:]).contains("Restored: outputs of run "))

        // Reproduce HEAD~1 (lr 0.05) in a temporary worktree: identical, and nothing of ours changes.
        func state() throws -> [String] {
            try [s.ok(["git", "status", "--porcelain", "--ignored"], in: repo).stdout,
                 s.ok(["git", "for-each-ref"], in: repo).stdout,
                 s.ok(["git", "ls-files", "-s"], in: repo).stdout,
                 s.ok(["git", "worktree", "list", "--porcelain"], in: repo).stdout] + s.fingerprint(repo)
        }
        let before = try state()
        r = try s.ok(["git", "mlops", "reproduce", "HEAD~1", "--verify"], in: repo)
        #expect(normalized(r.stdout, commits: commits) == """
            prepare: reproducing run RUN of V1 in a temporary worktree
            prepared 160 train rows, 40 test rows
            prepare: identical to run RUN (1 output) in X s
            train: reproducing run RUN of V2 in a temporary worktree
            trained 20 epochs
            train: identical to run RUN (2 outputs) in X s
            2 runs reproduced: 2 identical

            """)
        #expect(try state() == before)
        #expect(try FS.listDirectory(s.root).filter { $0.name.hasPrefix("git-mlops-reproduce-") }.isEmpty)
        let one = try JSON.parse(try s.ok(["git", "mlops", "reproduce", "HEAD:train", "--verify", "--json"], in: repo).stdout)
        let head = try s.rev(repo)
        #expect(one.array?.count == 1 && one.array?.first?["result"]?.string == "identical" && one.array?.first?["commit"]?.string == head)
    }

    /// A failing stage stops the run with its exit code and records nothing; a run on uncommitted
    /// changes waits until a commit holds what ran; a non-deterministic stage does not verify.
    @Test func failuresPendingRunsAndNonDeterminism() throws {
        let s = try Sandbox()
        let repo = try LineageFixture.makeRepo(s)
        try s.ok(["git", "mlops", "run"], in: repo)
        try s.ok(["git", "add", "-A"], in: repo)
        try s.ok(["git", "commit", "-qm", "v1"], in: repo)
        let v1 = try s.rev(repo)
        let notesBefore = try s.rev(repo, "refs/notes/mlops")

        try s.ok(["git", "mlops", "stage", "add", "-n", "evaluate", "-d", "model.npy", "-m", "eval.json", "--", "sh", "-c", "echo boom; exit 3"], in: repo)
        #expect(try String(decoding: s.read(repo + "/mlops.yaml"), as: UTF8.self).hasSuffix("""
              evaluate:
                cmd: sh -c 'echo boom; exit 3'
                deps:
                  - model.npy
                metrics:
                  - eval.json

            """))
        let fail = try s.run(["git", "mlops", "run"], in: repo)
        #expect(fail.status == 3)
        #expect(normalized(fail.stdout) == "prepare: up to date\ntrain: up to date\nevaluate: running `sh -c 'echo boom; exit 3'` (never run)\nboom\n")
        #expect(normalized(fail.stderr) == "error: stage 'evaluate' failed with exit code 3 after X s; nothing was recorded for it; fix the problem and run `git mlops run` again\n")
        #expect(s.pendingRuns(repo).isEmpty)
        #expect(try s.rev(repo, "refs/notes/mlops") == notesBefore)
        try s.ok(["git", "checkout", "--", "mlops.yaml"], in: repo)

        // A run on a changed param waits; committing only the param does not hold what ran.
        try s.write(repo + "/params.yaml", LineageFixture.params(lr: "0.2"))
        try s.ok(["git", "mlops", "run"], in: repo)
        #expect(s.pendingRuns(repo).count == 1)
        #expect(normalized(try s.ok(["git", "mlops", "log", "-n", "1"], in: repo).stdout, commits: ["V1": v1]).contains(
            "Commit:   none yet (ran on V1 with uncommitted changes)\n"))
        try s.ok(["git", "add", "params.yaml"], in: repo)
        var r = try s.ok(["git", "commit", "-qm", "lr 0.2"], in: repo)
        #expect(normalized(r.stderr) == "git-mlops: run RUN (train) stays pending: model.npy differs in this commit\n")
        #expect(s.pendingRuns(repo).count == 1)
        try s.ok(["git", "add", "-A"], in: repo)
        r = try s.ok(["git", "commit", "-qm", "lr 0.2 results"], in: repo)
        #expect(r.stderr == "git-mlops: attached 1 run record (train) to \(try s.rev(repo).prefix(10))\n")
        #expect(s.pendingRuns(repo).isEmpty)
        let rec = try JSON.parse(try s.ok(["git", "notes", "--ref=mlops", "show", "HEAD"], in: repo).stdout)
        #expect(rec["code"]?["dirty"]?.bool == false && rec["code"]?["base"]?.string == v1)

        // Without the hook, the next git-mlops command attaches what a commit holds.
        try s.ok(["git", "mlops", "hooks", "uninstall", "post-commit"], in: repo)
        try s.write(repo + "/params.yaml", LineageFixture.params(lr: "0.2", epochs: 5))
        try s.ok(["git", "mlops", "run"], in: repo)
        try s.ok(["git", "add", "-A"], in: repo)
        try s.ok(["git", "commit", "-qm", "5 epochs"], in: repo)
        #expect(s.pendingRuns(repo).count == 1)
        try s.ok(["git", "mlops", "log"], in: repo)
        #expect(s.pendingRuns(repo).isEmpty)
        #expect(try s.ok(["git", "notes", "--ref=mlops", "list", "HEAD"], in: repo).stdout.count > 0)

        // A stage whose output changes every time: reproduce says how, and --verify fails.
        try s.write(repo + "/noisy.sh", "n=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')\nprintf '{\"score\": %s}\\n' \"$n\" > score.json\n")
        try s.ok(["git", "mlops", "stage", "add", "-n", "noisy", "-d", "noisy.sh", "-m", "score.json", "--", "sh noisy.sh"], in: repo)
        try s.ok(["git", "mlops", "run", "noisy"], in: repo)
        try s.ok(["git", "add", "-A"], in: repo)
        try s.ok(["git", "commit", "-qm", "noisy"], in: repo)
        let recorded = try JSON.parse(String(decoding: try s.read(repo + "/score.json"), as: UTF8.self))["score"]!.int!
        r = try s.ok(["git", "mlops", "reproduce", "HEAD:noisy"], in: repo)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 3 && normalized(lines[1]) == "noisy: differs from run RUN:")
        #expect(lines[2].hasPrefix("  score.json: score \(recorded) -> "))
        let verify = try s.run(["git", "mlops", "reproduce", "HEAD:noisy", "--verify"], in: repo)
        #expect(verify.status == 1)
    }

    /// Mistakes in mlops.yaml: one line naming the file and stage, a non-zero exit, nothing changed.
    @Test func pipelineMistakesAreOneClearLine() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo()
        try s.ok(["git", "mlops", "stage", "add", "-n", "a", "-o", "a.out", "--", "echo a > a.out"], in: repo)
        let good = try s.read(repo + "/mlops.yaml")
        func refused(_ argv: [String], _ message: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let r = try s.run(argv, in: repo)
            #expect(r.status == 1, "\(r)", sourceLocation: sourceLocation)
            #expect(r.stderr == "error: " + message + "\n", sourceLocation: sourceLocation)
            #expect(try s.read(repo + "/mlops.yaml") == good, "mlops.yaml unchanged", sourceLocation: sourceLocation)
        }
        try refused(["git", "mlops", "stage", "add", "-n", "b", "-d", "a.out", "-o", "../escape", "--", "true"],
                    "mlops.yaml: stage 'b': out '../escape' is outside the repository; name outputs inside the repository")
        try refused(["git", "mlops", "stage", "add", "-n", "b", "-o", "a.out", "--", "true"],
                    "mlops.yaml: stages 'a' and 'b' both write 'a.out'; give every output exactly one stage")
        try refused(["git", "mlops", "stage", "add", "-n", "a", "-o", "x", "--", "true"],
                    "stage 'a' already exists in mlops.yaml; pass --force to replace it, or choose another name")
        try s.ok(["git", "mlops", "stage", "add", "-n", "b", "-d", "a.out", "-o", "b.out", "--", "cp a.out b.out"], in: repo)
        let two = try s.read(repo + "/mlops.yaml")
        let cycle = try s.run(["git", "mlops", "stage", "add", "-n", "a", "-f", "-d", "b.out", "-o", "a.out", "--", "true"], in: repo)
        #expect(cycle.stderr == "error: mlops.yaml: stages form a cycle: a -> b -> a; a stage cannot depend, directly or not, on its own outputs; remove one of these deps\n")
        #expect(try s.read(repo + "/mlops.yaml") == two)

        try s.write(repo + "/mlops.yaml", "stages:\n  a:\n    cmd: x\n    outz: [y]\n")
        let bad = try s.run(["git", "mlops", "run"], in: repo)
        #expect(bad.status == 1 && bad.stderr == "error: mlops.yaml: line 4: stage 'a' has unknown key 'outz'; known keys: cmd, deps, params, outs, metrics, wdir, plots\n")
        try s.write(repo + "/mlops.yaml", "stages:\n  a:\n    cmd: [x\n")
        let syntax = try s.run(["git", "mlops", "run", "--dry-run"], in: repo)
        #expect(syntax.status == 1 && syntax.stderr.hasPrefix("error: mlops.yaml: not valid YAML (line 4, column 1: ") && syntax.stderr.split(separator: "\n").count == 1)
        try s.write(repo + "/mlops.yaml", two)
        let both = try s.ok(["git", "mlops", "run", "b"], in: repo)
        #expect(normalized(both.stdout) == """
            a: running `echo a > a.out` (never run)
            a: done in X s
            b: running `cp a.out b.out` (never run)
            b: done in X s
            recorded 2 runs; they attach to the commit that holds these results
            hint: git add a.out.mlops b.out.mlops .gitignore mlops.yaml && git commit
            hint: `git mlops hooks install` attaches run records when you commit

            """)
        let unknown = try s.run(["git", "mlops", "run", "zz"], in: repo)
        #expect(unknown.stderr == "error: no stage 'zz' in mlops.yaml; stages: a, b\n")
    }

    /// Two clones record runs on the same commit; git's cat_sort_uniq merge keeps every record.
    /// A corrupted note line is reported and the other records still read.
    @Test func notesFromTwoClonesMergeAndACorruptNoteIsReported() throws {
        let s = try Sandbox()
        let a = try s.makeRepo("a")
        try s.write(a + "/score.py", "import json\nk = float(open('params.yaml').read().split(':')[1])\njson.dump({'score': k * 2}, open('score.json', 'w'))\n")
        try s.write(a + "/params.yaml", "k: 1.5\n")
        try s.ok(["git", "mlops", "stage", "add", "-n", "score", "-d", "score.py", "-p", "k", "-m", "score.json", "--", "python3 score.py"], in: a)
        try s.ok(["git", "mlops", "run"], in: a)
        try s.ok(["git", "add", "-A"], in: a)
        try s.ok(["git", "commit", "-qm", "score"], in: a)
        #expect(s.pendingRuns(a).count == 1, "no hook installed: pending until the next git-mlops command")
        #expect(!(try s.ok(["git", "mlops", "log"], in: a).stdout.contains("Commit:   none yet")))
        #expect(s.pendingRuns(a).isEmpty)
        #expect(try s.ok(["git", "notes", "--ref=mlops", "list"], in: a).stdout.count > 0)
        let origin = s.root + "/origin.git"
        try s.ok(["git", "clone", "-q", "--bare", a, origin])
        try s.ok(["git", "push", "-q", origin, "refs/notes/mlops"], in: a)

        var ids: [String] = []
        for name in ["b", "c"] {
            let dir = s.root + "/" + name
            try s.ok(["git", "clone", "-q", origin, dir])
            try s.ok(["git", "mlops", "init"], in: dir)
            try s.ok(["git", "fetch", "-q", "origin", "refs/notes/mlops:refs/notes/mlops"], in: dir)
            #expect(try s.ok(["git", "mlops", "run"], in: dir).stdout == "score: up to date\n")
            let r = try s.ok(["git", "mlops", "run", "--force"], in: dir)
            #expect(normalized(r.stdout, commits: ["HEAD": try s.rev(dir)]).hasSuffix("score: done in X s\nrecorded 1 run on HEAD\n"))
            ids += try JSON.parse(try s.ok(["git", "mlops", "log", "--json", "-n", "1"], in: dir).stdout).array!.map { $0["record"]!["id"]!.string! }
        }
        let b = s.root + "/b", c = s.root + "/c"
        try s.ok(["git", "push", "-q", "origin", "refs/notes/mlops"], in: b)
        // c's notes and origin's both changed the same note: a plain push is refused, a merge resolves it.
        #expect(try s.run(["git", "push", "-q", "origin", "refs/notes/mlops"], in: c).status != 0)
        try s.ok(["git", "fetch", "-q", "origin", "refs/notes/mlops:refs/notes/incoming"], in: c)
        try s.ok(["git", "notes", "--ref=mlops", "merge", "-q", "-s", "cat_sort_uniq", "refs/notes/incoming"], in: c)
        let log = try JSON.parse(try s.ok(["git", "mlops", "log", "--json"], in: c).stdout).array!
        #expect(log.count == 3)
        #expect(Set(log.map { $0["record"]!["id"]!.string! }).isSuperset(of: ids))
        let note = try s.ok(["git", "notes", "--ref=mlops", "show", "HEAD"], in: c).stdout
        #expect(note.split(separator: "\n").count == 3 && note.split(separator: "\n") == note.split(separator: "\n").sorted())
        try s.ok(["git", "push", "-q", "origin", "refs/notes/mlops"], in: c)

        // A corrupted line: reported with where it is, the rest still read, the command succeeds.
        try s.ok(["git", "notes", "--ref=mlops", "append", "-m", "{\"schema\": broken", "HEAD"], in: c)
        let r = try s.ok(["git", "mlops", "log", "--json"], in: c)
        #expect(try JSON.parse(r.stdout).array?.count == 3)
        #expect(r.stderr == "warning: note on \(try s.rev(c).prefix(10)), line 5: not JSON (invalid JSON at byte 11: unexpected character); skipped\n")
        // The run cache reads only notes that name the key it looks for: the bad line is not in its way.
        #expect(try s.ok(["git", "mlops", "run"], in: c).stdout == "score: up to date\n")
        #expect(try s.ok(["git", "mlops", "metrics", "show", "HEAD"], in: c).stdout == "file        metric  HEAD\nscore.json  score   3\n")
    }

    /// Ctrl-C during reproduce stops the stage, removes the temporary worktree, and exits 130.
    @Test func interruptedReproduceRemovesItsWorktree() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo()
        try s.write(repo + "/slow.sh", "if [ -n \"$SLOW\" ]; then echo sleeping; : > \"$SLOW.started\"; sleep 30; : > \"$SLOW.finished\"; fi\necho done > out.txt\n")
        try s.ok(["git", "mlops", "stage", "add", "-n", "slow", "-d", "slow.sh", "-o", "out.txt", "--", "sh slow.sh"], in: repo)
        try s.ok(["git", "mlops", "run"], in: repo)
        try s.ok(["git", "add", "-A"], in: repo)
        try s.ok(["git", "commit", "-qm", "slow"], in: repo)
        try s.ok(["git", "mlops", "log"], in: repo)

        let mark = s.root + "/slow-stage"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Sandbox.binDir + "/git-mlops")
        p.arguments = ["reproduce", "HEAD"]
        p.currentDirectoryURL = URL(fileURLWithPath: repo)
        var env = s.env
        env["SLOW"] = mark
        p.environment = env
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        // Interrupted once the stage has started its sleep in the temporary worktree (an observed point);
        // the wait throws if reproduce ended first.
        let pid = p.processIdentifier
        try GitMLOpsRun.wait(for: "the stage to start", while: { GitMLOpsRun.running(pid) }) { FS.exists(mark + ".started") }
        #expect((try FS.listDirectory(s.root)).contains { $0.name.hasPrefix("git-mlops-reproduce-") }, "the stage runs in a temporary worktree")
        kill(pid, SIGINT)
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 130, "\(text)")
        #expect(!FS.exists(mark + ".finished"), "the 30 s sleep was interrupted, and the stage went no further")
        #expect(text.contains("sleeping"))
        #expect(try s.ok(["git", "worktree", "list", "--porcelain"], in: repo).stdout.components(separatedBy: "worktree ").count == 2)
        #expect(try FS.listDirectory(s.root).filter { $0.name.hasPrefix("git-mlops-reproduce-") }.isEmpty)
    }

    /// A code directory as a dep (Python's __pycache__ does not count), a stage with a working
    /// directory, and metrics compared across a commit.
    @Test func codeDirectoriesAndWorkingDirectories() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo()
        try s.write(repo + "/src/helper.py", "VALUE = 3\n")
        try s.write(repo + "/src/main.py", "import json\nimport helper\njson.dump({'value': helper.VALUE}, open('../value.json', 'w'))\n")
        try s.ok(["git", "mlops", "stage", "add", "-n", "calc", "-w", "src", "-d", ".", "-m", "../value.json", "--", "python3", "main.py"], in: repo)
        #expect(try String(decoding: s.read(repo + "/mlops.yaml"), as: UTF8.self) == """
            stages:
              calc:
                cmd: python3 main.py
                wdir: src
                deps:
                  - .
                metrics:
                  - ../value.json

            """)
        try s.ok(["git", "mlops", "run"], in: repo)
        #expect(FS.isDirectory(repo + "/src/__pycache__"))
        try s.ok(["git", "add", "-A"], in: repo)
        try s.ok(["git", "commit", "-qm", "calc"], in: repo)
        #expect(try s.ok(["git", "mlops", "run"], in: repo).stdout == "calc: up to date\n")
        // (A new size too: Python trusts a cached .pyc whose source has the same size and mtime second.)
        try s.write(repo + "/src/helper.py", "VALUE = 40\n")
        #expect(normalized(try s.ok(["git", "mlops", "run"], in: repo).stdout).hasPrefix("calc: running `python3 main.py` (deps changed: src)\ncalc: done in X s\n"))
        #expect(try s.ok(["git", "mlops", "metrics", "diff"], in: repo).stdout == """
            file        metric  HEAD  workspace  change
            value.json  value   3     40         +37

            """)
        let j = try JSON.parse(try s.ok(["git", "mlops", "metrics", "diff", "--json"], in: repo).stdout)
        #expect(j == ["from": "HEAD", "to": "workspace", "metrics": [["file": "value.json", "name": "value", "old": 3, "new": 40, "change": 37.0, "change_pct": 1233.33]]])
    }

    /// The whole trip: record runs, push data and notes, clone elsewhere, pull, reproduce identically.
    @Test func cloneElsewherePullAndReproduceIdentically() throws {
        let s = try Sandbox()
        let repo = try LineageFixture.makeRepo(s)
        try s.ok(["git", "mlops", "run"], in: repo)
        try s.ok(["git", "add", "-A"], in: repo)
        try s.ok(["git", "commit", "-qm", "v1"], in: repo)
        let store = s.root + "/store"
        try s.ok(["git", "mlops", "remote", "add", "storage", store, "--default"], in: repo)
        try s.ok(["git", "add", "-A"], in: repo)
        try s.ok(["git", "commit", "-qm", "remote"], in: repo)
        let origin = s.root + "/origin.git"
        try s.ok(["git", "init", "-q", "--bare", origin])
        try s.ok(["git", "remote", "add", "origin", origin], in: repo)
        try s.ok(["git", "push", "-q", "-u", "origin", "main"], in: repo)
        // Data to the data remote, run records to the git remote.
        try s.ok(["git", "mlops", "push"], in: repo)

        let clone = s.root + "/clone"
        try s.ok(["git", "clone", "-q", origin, clone])
        try s.ok(["git", "mlops", "pull"], in: clone)
        #expect(try s.ok(["git", "mlops", "status"], in: clone).stdout == "")
        #expect(try s.ok(["git", "mlops", "run"], in: clone).stdout == "prepare: up to date\ntrain: up to date\n")
        let r = try s.ok(["git", "mlops", "reproduce", "HEAD", "--verify"], in: clone)
        #expect(normalized(r.stdout).hasSuffix("2 runs reproduced: 2 identical\n"))

        // A clone that never pulled: reproduce fetches the recorded inputs from the default remote.
        let bare = s.root + "/bare-clone"
        try s.ok(["git", "clone", "-q", origin, bare])
        try s.ok(["git", "fetch", "-q", "origin", "refs/notes/mlops:refs/notes/mlops"], in: bare)
        let cold = try s.ok(["git", "mlops", "reproduce", "HEAD:train", "--verify"], in: bare)
        #expect(normalized(cold.stdout).hasSuffix("train: identical to run RUN (2 outputs) in X s\n"))
    }
}
