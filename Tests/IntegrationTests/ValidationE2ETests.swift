import Foundation
import MLOpsBasics
import Store
import Testing

/// A table of `rows` rows: an id, a number drawn around `center` (a sum of uniforms, deterministic
/// from `seed`), a category and an age; `nullAt` leaves the age of that row empty.
func table(rows: Int, center: Double = 0, seed: UInt64, nullAt: Int? = nil) -> String {
    var state = seed
    func next() -> Double {
        state = state &+ 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
    }
    var out = "id,x,country,age\n"
    let countries = ["US", "DE", "FR"]
    for i in 0..<rows {
        let x = center + (0..<6).reduce(0.0) { a, _ in a + next() } - 3
        let age = i == nullAt ? "" : String(18 + Int(next() * 60))
        out += "\(i),\(String(format: "%.4f", x)),\(countries[Int(next() * 3) % 3]),\(age)\n"
    }
    return out
}

extension Sandbox {
    /// A repository with hooks installed, `mlops.yaml` holding `yaml`, and `data/train.csv` added and
    /// committed.
    func validatedRepo(_ yaml: String, data: String = table(rows: 3000, seed: 1)) throws -> String {
        let repo = try makeRepo()
        try ok(["git", "mlops", "hooks", "install"], in: repo)
        try write(repo + "/mlops.yaml", yaml)
        try write(repo + "/data/train.csv", data)
        try ok(["git", "mlops", "add", "data/train.csv"], in: repo)
        try ok(["git", "add", "-A"], in: repo)
        try ok(["git", "commit", "-qm", "v1"], in: repo)
        return repo
    }
}

@Suite struct ValidationE2ETests {
    static let checks = """
        version: 2
        checks:
          data/train.csv:
            rows: {min: 1000}
            columns:
              age: {type: int, not_null: true, min: 0, max: 120}
              country: {allowed: [US, DE, FR]}
              id: {unique: true}

        """

    @Test func aCommitWithNullsIsRefusedAndNoVerifyIsRecorded() throws {
        let s = try Sandbox()
        let repo = try s.validatedRepo(Self.checks)
        // Modified but not added: refused, naming the path and the fix.
        try s.write(repo + "/data/train.csv", table(rows: 3000, seed: 2, nullAt: 7))
        let stale = try s.fails(["git", "commit", "--allow-empty", "-qm", "code only"], in: repo)
        #expect(stale.stderr.contains("error: pre-commit: tracked data was modified but not added: data/train.csv") && stale.stderr.contains("run `git mlops add data/train.csv`"), "\(stale)")

        try s.ok(["git", "mlops", "add", "data/train.csv"], in: repo)
        try s.ok(["git", "add", "-A"], in: repo)
        let refused = try s.fails(["git", "commit", "-qm", "nulls"], in: repo)
        #expect(refused.stderr.contains("error: data/train.csv: column age: not_null: 1 null, expected none\n"), "\(refused)")
        #expect(refused.stderr.contains("error: pre-commit: 1 check failed, so nothing was committed"), "\(refused)")
        #expect(try s.ok(["git", "rev-list", "--count", "HEAD"], in: repo).stdout == "2\n", "nothing was committed")

        // validate says the same, as a table and as JSON, with exit 1.
        let v = try s.fails(["git", "mlops", "validate"], in: repo)
        #expect(v.stdout.contains("data/train.csv  age not_null") && v.stdout.contains("FAIL"), "\(v)")
        let json = try JSON.parse(try s.fails(["git", "mlops", "validate", "--staged", "--json"], in: repo).stdout)
        #expect(json["passed"] == .bool(false))
        #expect(json["findings"]?.array?.contains { $0["check"]?.string == "not_null" && $0["verdict"]?.string == "fail" } == true)

        // --no-verify commits anyway; the post-commit hook records the bypass in the notes.
        let bypass = try s.ok(["git", "commit", "--no-verify", "-qm", "nulls anyway"], in: repo)
        #expect(bypass.stderr.contains("was made past failing checks: data/train.csv: column age: not_null: 1 null, expected none"), "\(bypass)")
        let note = try s.ok(["git", "notes", "--ref=mlops", "show", "HEAD"], in: repo).stdout
        let entry = try JSON.parse(note.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(entry["kind"] == .string("bypass") && entry["schema"] == .string("https://git-mlops.dev/spec/validation/v1"))
        #expect(entry["failed"] == .array([.string("data/train.csv: column age: not_null: 1 null, expected none")]))
        // Readers of run records skip the entry without a warning.
        let log = try s.ok(["git", "mlops", "log"], in: repo)
        #expect(!log.stderr.contains("warning"), "\(log)")

        // Clean data again: accepted, and nothing is recorded.
        try s.write(repo + "/data/train.csv", table(rows: 3000, seed: 3))
        try s.ok(["git", "mlops", "add", "data/train.csv"], in: repo)
        try s.ok(["git", "add", "-A"], in: repo)
        try s.ok(["git", "commit", "-qm", "clean"], in: repo)
        #expect(try s.run(["git", "notes", "--ref=mlops", "show", "HEAD"], in: repo).status != 0)
        #expect(try s.ok(["git", "mlops", "validate"], in: repo).stdout.contains("id unique"))
    }

    @Test func aShiftedDistributionIsRefusedNamingTheColumnAndItsPSIAndWorksInAFreshClone() throws {
        let s = try Sandbox()
        let yaml = """
            version: 2
            checks:
              data/train.csv:
                drift: {against: train, max_psi: 0.2, max_ks: 0.1}

            """
        let repo = try s.makeRepo()
        try s.ok(["git", "init", "-q", "--bare", s.root + "/server.git"])
        try s.ok(["git", "remote", "add", "origin", s.root + "/server.git"], in: repo)
        try s.ok(["git", "mlops", "remote", "add", "storage", s.root + "/data-remote", "--default"], in: repo)
        try s.ok(["git", "mlops", "hooks", "install"], in: repo)
        try s.write(repo + "/data/train.csv", table(rows: 4000, seed: 1))
        try s.ok(["git", "mlops", "add", "data/train.csv"], in: repo)
        try s.ok(["git", "mlops", "stage", "add", "-n", "train", "-d", "data/train.csv", "-o", "model.txt", "--", "sh", "-c", "wc -l < data/train.csv > model.txt"], in: repo)
        try s.write(repo + "/mlops.yaml", String(decoding: try s.read(repo + "/mlops.yaml"), as: UTF8.self) + yaml.replacingOccurrences(of: "version: 2\n", with: ""))
        try s.ok(["git", "mlops", "run"], in: repo)
        try s.ok(["git", "add", "-A"], in: repo)
        let first = try s.ok(["git", "commit", "-qm", "v1: trained"], in: repo)
        #expect(first.stderr.contains("attached 1 run record"), "\(first)")
        try s.ok(["git", "push", "-q", "origin", "main"], in: repo)

        // The same distribution, other rows: accepted.
        try s.write(repo + "/data/train.csv", table(rows: 4000, seed: 2))
        try s.ok(["git", "mlops", "add", "data/train.csv"], in: repo)
        try s.ok(["git", "add", "-A"], in: repo)
        try s.ok(["git", "commit", "-qm", "v2: more of the same"], in: repo)

        // Shifted by one standard deviation: refused, naming the column and its PSI.
        try s.write(repo + "/data/train.csv", table(rows: 4000, center: 0.8, seed: 3))
        try s.ok(["git", "mlops", "add", "data/train.csv"], in: repo)
        try s.ok(["git", "add", "-A"], in: repo)
        let refused = try s.fails(["git", "commit", "-qm", "v3: shifted"], in: repo)
        let line = refused.stderr.split(separator: "\n").first { $0.hasPrefix("error: data/train.csv: column x: drift: PSI ") }
        #expect(line != nil, "\(refused)")
        #expect(line?.contains("expected PSI <= 0.2, KS <= 0.1 (against run ") == true && line?.contains("of train on ") == true, "\(refused)")
        #expect(!refused.stderr.contains("column age: drift") && !refused.stderr.contains("column country: drift"), "unshifted columns pass: \(refused)")
        let drift = try JSON.parse(try s.fails(["git", "mlops", "drift", "data/train.csv", "--json"], in: repo).stdout)
        let x = drift["columns"]?.array?.first { $0["column"]?.string == "x" }
        #expect((x?["psi"]?.double ?? 0) > 0.2 && x?["verdict"] == .string("drift"), "\(drift)")

        // Pushed (the hook uploads the data and profiles of every commit pushed); a fresh clone pulls
        // only the newest data, yet compares with the data train read, through its profile alone.
        try s.ok(["git", "commit", "--no-verify", "-qm", "v3: shifted anyway"], in: repo)
        try s.ok(["git", "push", "-q", "origin", "main"], in: repo)
        try s.ok(["git", "mlops", "push"], in: repo)
        let clone = s.root + "/clone"
        try s.ok(["git", "clone", "-q", s.root + "/server.git", clone])
        try s.ok(["git", "mlops", "remote", "add", "storage", s.root + "/data-remote", "--default"], in: clone)
        try s.ok(["git", "mlops", "pull", "data/train.csv"], in: clone)
        let runInput = try JSON.parse(try s.ok(["git", "mlops", "log", "train", "--json"], in: clone).stdout).array?.last?["record"]?["inputs"]?.array?.first?["oid"]?.string
        let baselineID = try #require(runInput.flatMap { ObjectID(hex: $0.dropFirst(7)) })
        let store = try Store(root: clone + "/.git/mlops")
        #expect(!store.contains(baselineID), "the clone never downloaded the data train read")
        let cloned = try JSON.parse(try s.fails(["git", "mlops", "drift", "data/train.csv", "--against", "train", "--json"], in: clone).stdout)
        #expect(cloned["columns"] == drift["columns"], "the same comparison in the clone: \(cloned)")
        #expect(try Store(root: clone + "/.git/mlops").hasProfile(of: baselineID) && !store.contains(baselineID))
    }

    @Test func aMetricBelowItsGateBlocksTheCommitAndARegressionBlocksThePush() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo()
        try s.ok(["git", "init", "-q", "--bare", s.root + "/server.git"])
        try s.ok(["git", "remote", "add", "origin", s.root + "/server.git"], in: repo)
        try s.ok(["git", "mlops", "hooks", "install"], in: repo)
        try s.write(repo + "/mlops.yaml", """
            gates:
              metrics.json:
                accuracy: {min: 0.9}
                rmse: {max_increase: "10%", baseline: previous}

            """)
        try s.write(repo + "/metrics.json", "{\"accuracy\": 0.8, \"rmse\": 1.0}\n")
        try s.ok(["git", "add", "-A"], in: repo)
        let low = try s.fails(["git", "commit", "-qm", "weak model"], in: repo)
        #expect(low.stderr.contains("error: metrics.json: accuracy: gate min: 0.8, expected >= 0.9\n"), "\(low)")
        try s.write(repo + "/metrics.json", "{\"accuracy\": 0.95, \"rmse\": 1.0}\n")
        try s.ok(["git", "add", "-A"], in: repo)
        try s.ok(["git", "commit", "-qm", "good model"], in: repo)
        try s.ok(["git", "push", "-q", "origin", "main"], in: repo)

        // rmse up 30% from the previous commit: committed past the hook, stopped at the push.
        try s.write(repo + "/metrics.json", "{\"accuracy\": 0.95, \"rmse\": 1.3}\n")
        try s.ok(["git", "add", "-A"], in: repo)
        try s.ok(["git", "commit", "--no-verify", "-qm", "regressed"], in: repo)
        let short = try s.ok(["git", "rev-parse", "--short=10", "HEAD"], in: repo).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let push = try s.fails(["git", "push", "-q", "origin", "main"], in: repo)
        #expect(push.stderr.contains("error: \(short):metrics.json: rmse: gate max_increase: 1.3 (+0.3 from 1, previous), expected increase <= 10%\n"), "\(push)")
        #expect(push.stderr.contains("error: pre-push: the metrics of the commits being pushed fail their gates, so nothing was pushed"), "\(push)")
        let serverHead = try s.ok(["git", "rev-parse", "main"], in: s.root + "/server.git").stdout
        #expect(serverHead == (try s.ok(["git", "rev-parse", "HEAD~1"], in: repo).stdout), "git sent nothing")
        let v = try s.fails(["git", "mlops", "validate", "--rev", "HEAD"], in: repo)
        #expect(v.stdout.contains("metrics.json    rmse gate max_increase"), "\(v)")
        try s.ok(["git", "push", "-q", "--no-verify", "origin", "main"], in: repo)
    }

    @Test func aHookThatWasThereBeforeStillRuns() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo()
        let hook = repo + "/.git/hooks/pre-commit"
        try s.write(hook, "#!/bin/sh\necho ran >> \"$(dirname \"$0\")/../existing.log\"\n")
        chmod(hook, 0o755)
        #expect(try s.ok(["git", "mlops", "hooks", "install", "pre-commit"], in: repo).stdout == "pre-commit: installed (runs the existing hook after it)\n")
        try s.write(repo + "/a.txt", "a")
        try s.ok(["git", "add", "a.txt"], in: repo)
        try s.ok(["git", "commit", "-qm", "a"], in: repo)
        #expect(try s.read(repo + "/.git/existing.log") == Array("ran\n".utf8))
        // A failing chained hook still stops the commit.
        try s.write(hook + ".mlops-chained", "#!/bin/sh\nexit 3\n")
        chmod(hook + ".mlops-chained", 0o755)
        try s.write(repo + "/b.txt", "b")
        try s.ok(["git", "add", "b.txt"], in: repo)
        try s.fails(["git", "commit", "-qm", "b"], in: repo)
    }

    @Test func theHooksFolderHoldsWhatInstallWrites() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo()
        try s.ok(["git", "mlops", "hooks", "install"], in: repo)
        let source = dirname(dirname(dirname(#filePath))) + "/hooks"
        let names = try FS.listDirectory(source).map(\.name).sorted()
        #expect(names == ["post-checkout", "post-commit", "pre-commit", "pre-push"])
        for n in names {
            #expect(try s.read(source + "/" + n) == s.read(repo + "/.git/hooks/" + n), "hooks/\(n) differs from what `git mlops hooks install` writes")
            #expect((FS.stat(source + "/" + n)?.mode ?? 0) & 0o111 != 0, "hooks/\(n) is executable")
        }
    }

    @Test func thePreCommitFrameworkRunsTheValidateHook() throws {
        let s = try Sandbox()
        guard (try? ProcessRunner.resolve("pre-commit", env: s.env)) != nil else {
            #expect(ProcessInfo.processInfo.environment["GIT_MLOPS_REQUIRE_PRECOMMIT"] == nil, "pre-commit is required here (scripts/setup installs it)")
            return
        }
        let repo = try s.validatedRepo(Self.checks)
        try s.write(repo + "/data/train.csv", table(rows: 3000, seed: 4, nullAt: 3))
        try s.ok(["git", "mlops", "add", "data/train.csv"], in: repo)
        try s.ok(["git", "add", "-A"], in: repo)
        let source = dirname(dirname(dirname(#filePath)))
        let failed = try s.run(["pre-commit", "try-repo", source, "git-mlops-validate", "--verbose"], in: repo)
        #expect(failed.status != 0 && failed.stdout.contains("Failed") && failed.stdout.contains("column age: not_null: 1 null, expected none"), "\(failed)")
        try s.write(repo + "/data/train.csv", table(rows: 3000, seed: 5))
        try s.ok(["git", "mlops", "add", "data/train.csv"], in: repo)
        try s.ok(["git", "add", "-A"], in: repo)
        let passed = try s.run(["pre-commit", "try-repo", source, "git-mlops-validate"], in: repo)
        #expect(passed.status == 0 && passed.stdout.contains("Passed"), "\(passed)")
    }

    @Test func untrustedCommandsDoNotRunUntilTrusted() throws {
        let s = try Sandbox()
        let repo = try s.validatedRepo(Self.checks + "    cmd: sh checks/extra.sh\n")
        try s.write(repo + "/checks/extra.sh", "touch \"$GIT_MLOPS_DATA.ran\"; grep -q '^id,' \"$GIT_MLOPS_DATA\"\n")
        let v = try s.ok(["git", "mlops", "validate"], in: repo)
        #expect(v.stdout.contains("not run: sh checks/extra.sh") && v.stdout.contains("git mlops checks trust 'sh checks/extra.sh'"), "\(v)")
        #expect(!FS.exists(repo + "/data/train.csv.ran"), "nothing ran")
        try s.fails(["git", "mlops", "validate", "--strict"], in: repo)
        #expect(try s.ok(["git", "mlops", "checks", "list"], in: repo).stdout == "not trusted sh checks/extra.sh\n")
        try s.ok(["git", "mlops", "checks", "trust", "--all"], in: repo)
        #expect(try s.ok(["git", "config", "--local", "--get-all", "mlops.trustedCheck"], in: repo).stdout == "sh checks/extra.sh\n")
        let trusted = try s.ok(["git", "mlops", "validate"], in: repo)
        #expect(trusted.stdout.contains("sh checks/extra.sh: exit 0") && FS.exists(repo + "/data/train.csv.ran"), "\(trusted)")
        // The command's exit status decides.
        try s.write(repo + "/checks/extra.sh", "echo 'bad rows'; exit 2\n")
        let failing = try s.fails(["git", "mlops", "validate"], in: repo)
        #expect(failing.stderr.contains("error: data/train.csv: cmd: sh checks/extra.sh: exit 2: bad rows, expected exit 0"), "\(failing)")
    }
}
