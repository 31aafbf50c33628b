import Foundation
import MLOpsBasics
import Store
import Testing

/// promtool (Debian package `prometheus`), to check the OpenMetrics files as Prometheus reads them.
enum Promtool {
    static let required = ProcessInfo.processInfo.environment["GIT_MLOPS_REQUIRE_PROMTOOL"] == "1"
    static let path: String? = try? ProcessRunner.resolve("promtool")
    static let enabled = path != nil || required

    static func check(_ s: Sandbox, _ file: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let text = try FS.readText(file)
        let r = try s.run([path ?? "promtool", "check", "metrics"], stdin: text)
        #expect(r.status == 0, "promtool check metrics \(file): \(r)\n\(text)", sourceLocation: sourceLocation)
    }
}

@Test func promtoolIsThereWhenRequired() {
    #expect(!Promtool.required || Promtool.path != nil,
            "GIT_MLOPS_REQUIRE_PROMTOOL=1 but promtool is not on PATH: scripts/setup installs it (apt-get install prometheus)")
}

/// A model trained by a tiny pipeline (a CSV input, a python3 stage writing a model and metrics),
/// registered and promoted; and live records drawn like its training data, or not.
enum MonitorFixture {
    /// SplitMix64, so the data is the same on every run.
    struct Draw {
        var state: UInt64
        mutating func uniform() -> Double {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
        }
        /// Roughly normal: the sum of twelve uniforms.
        mutating func normal(_ mean: Double, _ sd: Double) -> Double { mean + sd * ((0..<12).reduce(0) { acc, _ in acc + uniform() } - 6) }
    }

    struct Row {
        var a: Double, b: Double, color: String, label: Int, prediction: Int, latency: Double, error: Bool
    }

    /// `b` moved by `shiftB`; predictions wrong (flipped) with probability `flip`.
    static func rows(_ n: Int, seed: UInt64, shiftB: Double = 0, flip: Double = 0) -> [Row] {
        var d = Draw(state: seed)
        return (0..<n).map { _ in
            let a = d.normal(0, 1), b = d.normal(5, 2) + shiftB
            let color = ["red", "green", "blue"][Int(d.uniform() * 3) % 3]
            let label = a + 0.3 * (b - 5) + d.normal(0, 0.5) > 0 ? 1 : 0
            var prediction = a + 0.3 * (b - 5) > 0 ? 1 : 0
            if d.uniform() < flip { prediction = 1 - prediction }
            return Row(a: a, b: b, color: color, label: label, prediction: prediction, latency: 5 + 40 * d.uniform(), error: d.uniform() < 0.001)
        }
    }

    static func f(_ x: Double) -> String { String(format: "%.4f", x) }

    static let liveHeader = "a,b,color,prediction,label,latency_ms,error"

    static func liveCSVLine(_ r: Row) -> String {
        "\(f(r.a)),\(f(r.b)),\(r.color),\(r.prediction),\(r.label),\(f(r.latency)),\(r.error)"
    }

    static func liveCSV(_ rows: [Row]) -> String { ([liveHeader] + rows.map(liveCSVLine)).joined(separator: "\n") + "\n" }

    static func liveJSONL(_ rows: [Row]) -> String {
        rows.map { r in
            #"{"a": \#(f(r.a)), "b": \#(f(r.b)), "color": "\#(r.color)", "prediction": \#(r.prediction), "label": \#(r.label), "latency_ms": \#(f(r.latency)), "error": \#(r.error)}"#
        }.joined(separator: "\n") + "\n"
    }

    static let train = #"""
        import csv, json
        rows = list(csv.DictReader(open("data/train.csv")))
        right = sum(1 for r in rows if (float(r["a"]) + 0.3 * (float(r["b"]) - 5) > 0) == (r["label"] == "1"))
        json.dump({"weights": [1.0, 0.3], "bias": -1.5}, open("model.json", "w"))
        json.dump({"accuracy": round(right / len(rows), 4)}, open("metrics.json", "w"))
        print("trained on", len(rows), "rows")

        """#

    static let settings = """
        monitor:
          thresholds:
            accuracy: {min: 0.8}
            error_rate: {max: 0.05}
            latency_p99: {max: 1000}

        """

    /// The repository, trained, committed, with `model` v0.0.1 registered and promoted to production.
    static func makeRepo(_ s: Sandbox) throws -> String {
        let repo = try s.makeRepo()
        let training = rows(2000, seed: 1)
        try s.write(repo + "/data/train.csv", "a,b,color,label\n" + training.map { "\(f($0.a)),\(f($0.b)),\($0.color),\($0.label)" }.joined(separator: "\n") + "\n")
        try s.write(repo + "/train.py", train)
        try s.ok(["git", "mlops", "add", "data/train.csv"], in: repo)
        try s.ok(["git", "mlops", "stage", "add", "-n", "train", "-d", "train.py", "-d", "data/train.csv", "-o", "model.json",
                  "-m", "metrics.json", "--", "python3", "train.py"], in: repo)
        try s.ok(["git", "mlops", "hooks", "install"], in: repo)
        try s.ok(["git", "mlops", "run"], in: repo)
        try s.write(repo + "/mlops.yaml", String(decoding: try s.read(repo + "/mlops.yaml"), as: UTF8.self) + settings)
        try s.ok(["git", "add", "-A"], in: repo)
        try s.ok(["git", "commit", "-qm", "train"], in: repo)
        try s.ok(["git", "mlops", "model", "register", "model", "--path", "model.json"], in: repo)
        try s.ok(["git", "mlops", "model", "promote", "model@v0.0.1", "production"], in: repo)
        return repo
    }

    /// `git mlops monitor model#production LOG --follow`, its output in `out` and `err` in the sandbox.
    static func follow(_ s: Sandbox, _ repo: String, _ log: String, _ prom: String, window: Int) throws -> Process {
        let monitor = Process()
        monitor.executableURL = URL(fileURLWithPath: Sandbox.binDir + "/git-mlops")
        monitor.arguments = ["monitor", "model#production", log, "--follow", "--window", String(window), "--openmetrics", prom]
        monitor.currentDirectoryURL = URL(fileURLWithPath: repo)
        monitor.environment = s.env
        try s.write(s.root + "/out", "")
        try s.write(s.root + "/err", "")
        monitor.standardOutput = FileHandle(forWritingAtPath: s.root + "/out")
        monitor.standardError = FileHandle(forWritingAtPath: s.root + "/err")
        try monitor.run()
        return monitor
    }

    /// Waits until the OpenMetrics file counts `n` records (the monitor has read them all).
    static func waitFor(_ n: Int, _ s: Sandbox, _ prom: String, _ monitor: Process, sourceLocation: SourceLocation = #_sourceLocation) {
        let want = "\nmlops_monitor_records{model=\"model\",version=\"v0.0.1\",stage=\"production\"} \(n)\n"
        let deadline = Date().addingTimeInterval(300)
        while Date() < deadline && monitor.isRunning {
            if let text = try? FS.readText(prom), text.contains(want) { return }
            usleep(20_000)
        }
        Issue.record("the OpenMetrics file never counted \(n) records: \((try? FS.readText(prom)) ?? "no file"); \((try? FS.readText(s.root + "/err")) ?? "")",
                     sourceLocation: sourceLocation)
    }

    /// The text a person reads on a page: tags dropped, entities decoded, spaces collapsed.
    static func visibleText(_ html: String) -> String {
        var t = html.replacingOccurrences(of: "<style[^<]*</style>", with: " ", options: .regularExpression)
        t = t.replacingOccurrences(of: "<[^>]+>", with: " ", options: .regularExpression)
        for (e, c) in [("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#39;", "'"), ("&amp;", "&")] { t = t.replacingOccurrences(of: e, with: c) }
        return t.split(whereSeparator: { $0 == " " || $0 == "\n" }).joined(separator: " ")
    }
}

@Suite struct MonitorE2ETests {
    @Test func liveDataLikeTheTrainingDataPassesAShiftedFeatureAndWorseAccuracyAlertAndAuditAndReportShowIt() throws {
        let s = try Sandbox()
        let repo = try MonitorFixture.makeRepo(s)
        let commit = try s.rev(repo, "model@v0.0.1^{commit}")

        // Drawn like the training data: no alert, and every feature compared.
        try s.write(s.root + "/live.csv", MonitorFixture.liveCSV(MonitorFixture.rows(3000, seed: 2)))
        var r = try s.ok(["git", "mlops", "monitor", "model#production", s.root + "/live.csv", "--openmetrics", s.root + "/ok.prom"], in: repo)
        #expect(r.stdout.hasPrefix("model#production (v0.0.1), commit \(commit.prefix(10)): 3000 records from \(s.root)/live.csv\nbaseline: data/train.csv (sha256:"))
        #expect(r.stdout.hasSuffix("\nno alert\n") && r.stderr == "", "\(r)")
        for feature in ["a", "b", "color"] {
            #expect(r.stdout.split(separator: "\n").contains { $0.hasPrefix(feature + " ") && $0.hasSuffix("  ok") }, "\(feature): \(r.stdout)")
        }
        #expect(r.stdout.contains("\naccuracy ") && r.stdout.contains("\nlatency_p99 (ms) "))
        if Promtool.enabled { try Promtool.check(s, s.root + "/ok.prom") }

        // The same records with feature b moved: an alert on b (and on the predictions b moves), exit 1.
        try s.write(s.root + "/shifted.csv", MonitorFixture.liveCSV(MonitorFixture.rows(3000, seed: 2, shiftB: 3)))
        r = try s.run(["git", "mlops", "monitor", "model#production", s.root + "/shifted.csv", "--openmetrics", s.root + "/shifted.prom"], in: repo)
        #expect(r.status == 1, "\(r)")
        let alertLine = try #require(r.stdout.split(separator: "\n").last)
        #expect(alertLine.hasPrefix("ALERT: feature b psi ") && alertLine.contains("; feature b ks "))
        #expect(!alertLine.contains("feature a ") && !alertLine.contains("feature color ") && !alertLine.contains("accuracy"))
        let prom = try FS.readText(s.root + "/shifted.prom")
        let labels = #"model="model",version="v0.0.1",stage="production""#
        #expect(prom.contains("\nmlops_monitor_alert{\(labels),figure=\"feature b psi\"} 1\n"))
        #expect(prom.contains("\nmlops_monitor_alert{\(labels),figure=\"feature a psi\"} 0\n"))
        #expect(prom.contains("\nmlops_monitor_records{\(labels)} 3000\n") && prom.hasSuffix("\n# EOF\n"))
        if Promtool.enabled { try Promtool.check(s, s.root + "/shifted.prom") }

        // Worse predictions, as JSON Lines through gzip on standard input: an alert on accuracy alone.
        try s.write(s.root + "/worse.jsonl", MonitorFixture.liveJSONL(MonitorFixture.rows(3000, seed: 3, flip: 0.3)))
        try s.ok(["gzip", s.root + "/worse.jsonl"])
        let gz = try s.read(s.root + "/worse.jsonl.gz")
        r = try s.run(["sh", "-c", "git mlops monitor model@v0.0.1 - --json < \(s.root)/worse.jsonl.gz"], in: repo)
        #expect(r.status == 1 && gz.count > 0, "\(r)")
        let json = try JSON.parse(r.stdout)
        #expect(json["verdict"]?.string == "alert" && json["model"]?.string == "model" && json["version"]?.string == "v0.0.1")
        #expect(json["stage"] == nil && json["commit"]?.string == commit && json["window"]?["records"]?.int == 3000)
        let alerts = json["alerts"]?.array?.compactMap(\.string) ?? []
        #expect(alerts.count == 1 && alerts.first?.hasPrefix("accuracy 0.6") == true && alerts.first?.hasSuffix(" < 0.8") == true, "\(alerts)")
        #expect(json["warnings"] == [])

        // Each run left a snapshot on the version's commit: audit shows them, log does not choke on them.
        let audit = try s.ok(["git", "mlops", "audit", "model"], in: repo).stdout.split(separator: "\n").filter { $0.contains("  monitor  ") }
        #expect(audit.count == 3, "\(audit)")
        #expect(audit[0].contains("monitored model#production (v0.0.1): 3000 records from \(s.root)/live.csv: no alert"))
        #expect(audit[1].contains("monitored model#production (v0.0.1): 3000 records from \(s.root)/shifted.csv: ALERT feature b psi "))
        #expect(audit[2].contains("monitored model@v0.0.1: 3000 records from stdin: ALERT accuracy 0.6"))
        #expect(audit.allSatisfy { $0.contains("  \(commit.prefix(10))  ") })
        let auditJSON = try JSON.parse(try s.ok(["git", "mlops", "audit", "model", "--json"], in: repo).stdout)
        #expect(auditJSON.array?.filter { $0["kind"]?.string == "monitor" }.last?["snapshot"]?["verdict"]?.string == "alert")
        let note = try s.ok(["git", "notes", "--ref", "mlops", "show", commit], in: repo).stdout
        #expect(note.split(separator: "\n").filter { $0.contains(#""schema":"https://git-mlops.dev/spec/monitor/v1""#) }.count == 3)
        let log = try s.ok(["git", "mlops", "log"], in: repo)
        #expect(log.stderr == "" && log.stdout.contains("train"), "snapshot lines are passed over quietly: \(log)")

        // The report's monitoring page shows the latest snapshot of the version, its alert marked.
        let index = try s.ok(["git", "mlops", "report", "-o", s.root + "/report"], in: repo).stdout.trimmingCharacters(in: .newlines)
        #expect(index == s.root + "/report/index.html")
        // As a person sees it: the page Chromium laid out when it is there (scripts/test requires it).
        func seen(_ page: String) throws -> String {
            MonitorFixture.visibleText(Chromium.enabled ? try Chromium.dom(s, page) : try FS.readText(page))
        }
        let page = try seen(s.root + "/report/monitoring.html")
        #expect(page.contains("Monitoring model@v0.0.1 3000 records from stdin"), "\(page)")
        #expect(page.contains("accuracy 0.6") && page.contains(">= 0.8 fail"), "\(page)")
        #expect(page.contains("feature b psi ") && page.contains("<= 0.2 pass"), "\(page)")
        let overview = try seen(s.root + "/report/index.html")
        #expect(overview.contains("Monitoring") && overview.contains("model@v0.0.1, 3000 records from stdin"), "\(overview)")
    }

    @Test func badInputGetsOneClearMessageEachAndChangesNothing() throws {
        let s = try Sandbox()
        let repo = try MonitorFixture.makeRepo(s)
        let notes = { try s.run(["git", "notes", "--ref", "mlops", "list"], in: repo).stdout }
        let before = try notes()
        try s.write(s.root + "/live.csv", MonitorFixture.liveCSV(MonitorFixture.rows(500, seed: 2)))

        var r = try s.run(["git", "mlops", "monitor", "nosuch#production", s.root + "/live.csv"], in: repo)
        #expect(r.status == 1 && r.stdout == "")
        #expect(r.stderr == "error: no model named 'nosuch' in the catalog; known models: model\n")
        r = try s.run(["git", "mlops", "monitor", "model#staging", s.root + "/live.csv"], in: repo)
        #expect(r.stderr == "error: no version of 'model' is in stage 'staging'; stages in use: production\n")
        r = try s.run(["git", "mlops", "monitor", "model#production", s.root + "/missing.csv"], in: repo)
        #expect(r.status == 1 && r.stderr == "error: \(s.root)/missing.csv: cannot open: No such file or directory; check the path of the live records\n")
        r = try s.run(["git", "mlops", "monitor", "model#production", s.root + "/live.csv", "--window", "10"], in: repo)
        #expect(r.status == 129 && r.stderr.hasPrefix("error: --window applies to --follow only"))
        r = try s.run(["git", "mlops", "monitor", "model#production", s.root + "/live.csv", "--openmetrics", s.root + "/no/such/dir/m.prom"], in: repo)
        #expect(r.status == 1 && r.stderr == "error: --openmetrics \(s.root)/no/such/dir/m.prom: no directory \(s.root)/no/such/dir; create it, or name a file in an existing directory\n")
        #expect(try notes() == before, "nothing was recorded")

        // A missing feature column is an alert; an extra column and a word in a numeric feature are named once.
        var text = "a,color,prediction,label,session\n"
        for (i, row) in MonitorFixture.rows(500, seed: 4).enumerated() {
            text += "\(i == 7 || i == 9 ? "n/a!" : MonitorFixture.f(row.a)),\(row.color),\(row.prediction),\(row.label),s\(i)\n"
        }
        try s.write(s.root + "/odd.csv", text)
        r = try s.run(["git", "mlops", "monitor", "model#production", s.root + "/odd.csv"], in: repo)
        #expect(r.status == 1, "\(r)")
        #expect(r.stderr == """
            warning: \(s.root)/odd.csv: column 'session' is neither a feature of the model nor a column `monitor.columns` names; ignored
            warning: \(s.root)/odd.csv: no column for feature 'b', which the training data has; counted as missing (an alert)
            warning: \(s.root)/odd.csv:9: feature 'a' has 'n/a!', not a number (its training values are numbers); counted as invalid (further ones are only counted)

            """)
        #expect(r.stdout.contains("\nALERT: feature b missing 1 > 0.05\n"), "\(r.stdout)")
        #expect(r.stdout.split(separator: "\n").contains { $0.hasPrefix("a ") && $0.contains("0.004") && $0.hasSuffix("  ok") }, "2 of 500 invalid is within the 1% allowed")

        // A monitor block that does not fit the training data names the file and the fix.
        let yaml = String(decoding: try s.read(repo + "/mlops.yaml"), as: UTF8.self)
        try s.write(repo + "/mlops.yaml", yaml.replacingOccurrences(of: "monitor:\n", with: "monitor:\n  features: [a, z]\n"))
        r = try s.run(["git", "mlops", "monitor", "model#production", s.root + "/live.csv"], in: repo)
        #expect(r.status == 1 && r.stderr == "error: mlops.yaml: `monitor`: feature 'z' listed in `monitor.features` is not a column of the training data; its columns are: a, b, color, label\n")
        try s.write(repo + "/mlops.yaml", yaml)
        let monitored = try s.ok(["git", "mlops", "monitor", "model#production", s.root + "/live.csv", "--json"], in: repo)
        #expect(try JSON.parse(monitored.stdout)["verdict"]?.string == "ok")
    }

    /// The profile stored at `add` travels with the data's remote: a clone that has the run records but
    /// not the training data monitors with that profile alone, and gets the same figures.
    @Test func aCloneMonitorsAgainstTheStoredProfileWithoutDownloadingTheTrainingData() throws {
        let s = try Sandbox()
        let repo = try MonitorFixture.makeRepo(s)
        try s.write(s.root + "/live.csv", MonitorFixture.liveCSV(MonitorFixture.rows(3000, seed: 2, shiftB: 2)))
        let here = try JSON.parse(try s.fails(["git", "mlops", "monitor", "model#production", s.root + "/live.csv", "--json"], in: repo).stdout)
        try s.ok(["git", "init", "-q", "--bare", s.root + "/server.git"])
        try s.ok(["git", "remote", "add", "origin", s.root + "/server.git"], in: repo)
        try s.ok(["git", "mlops", "remote", "add", "storage", s.root + "/data-remote", "--default"], in: repo)
        try s.ok(["git", "mlops", "push"], in: repo)
        try s.ok(["git", "push", "-q", "origin", "main", "--tags", "refs/notes/mlops"], in: repo)

        let clone = s.root + "/clone"
        try s.ok(["git", "clone", "-q", s.root + "/server.git", clone])
        try s.ok(["git", "fetch", "-q", "origin", "refs/notes/mlops:refs/notes/mlops"], in: clone)
        try s.ok(["git", "mlops", "remote", "add", "storage", s.root + "/data-remote", "--default"], in: clone)
        let there = try JSON.parse(try s.fails(["git", "mlops", "monitor", "model#production", s.root + "/live.csv", "--json"], in: clone).stdout)
        #expect(there["figures"] == here["figures"] && there["verdict"] == .string("alert"), "\(there)\nvs\n\(here)")
        let trained = try #require(here["baseline"]?["data"]?.array?.first?["id"]?.string.flatMap { ObjectID(hex: $0.dropFirst(7)) }, "\(here)")
        let store = try Store(root: clone + "/.git/mlops")
        #expect(store.hasProfile(of: trained) && !store.contains(trained), "only the profile of data/train.csv came")
        #expect(!FS.exists(clone + "/data/train.csv"))
    }

    @Test func trainingDataMissingFromTheCacheIsFetchedOrNamedWithTheCommandThatFetchesIt() throws {
        let s = try Sandbox()
        let repo = try MonitorFixture.makeRepo(s)
        try s.write(s.root + "/live.csv", MonitorFixture.liveCSV(MonitorFixture.rows(500, seed: 2)))
        // The workspace copy changed and the cache lost the data: nothing to compare with, and the hint says how to get it.
        try s.write(repo + "/data/train.csv", "a,b,color,label\n1,2,red,0\n")
        try FS.removeTree(repo + "/.git/mlops/packs")
        try FS.mkdirs(repo + "/.git/mlops/packs")
        let r = try s.run(["git", "mlops", "monitor", "model#production", s.root + "/live.csv"], in: repo)
        #expect(r.status == 1 && r.stdout == "")
        #expect(r.stderr.hasPrefix("error: cannot read data/train.csv (sha256:") && r.stderr.contains("the training data to compare with: "), "\(r)")
        #expect(r.stderr.contains("; fetch it with `git mlops fetch --rev "), "\(r)")
        #expect(r.stderr.split(separator: "\n").count == 1)
    }

    @Test func followReadsAGrowingLogThroughRotationAndTruncationAndEndsCleanlyOnSIGTERM() throws {
        let s = try Sandbox()
        let repo = try MonitorFixture.makeRepo(s)
        let log = s.root + "/server.log", prom = s.root + "/model.prom"
        let rows = MonitorFixture.rows(460, seed: 5).map(MonitorFixture.liveCSVLine)
        try s.write(s.root + "/rows.txt", rows.joined(separator: "\n") + "\n")
        // The writer: appends rows FROM..<TO one write each; rotates by rename (logrotate's `create`) or
        // copies and truncates in place (`copytruncate`); can leave the last line without its end.
        try s.write(s.root + "/writer.py", #"""
            import os, shutil, sys
            log, cmd = sys.argv[1], sys.argv[2]
            rows = open(os.path.join(os.path.dirname(log), "rows.txt")).read().splitlines()
            header = "\#(MonitorFixture.liveHeader)\n"
            if cmd == "rotate":
                os.rename(log, log + ".1")
                open(log, "w").write(header)
            elif cmd == "truncate":
                shutil.copy(log, log + ".2")
                open(log, "r+").truncate(0)
            elif cmd == "append":
                lo, hi, cut = int(sys.argv[3]), int(sys.argv[4]), sys.argv[5:] == ["cut"]
                with open(log, "a") as f:
                    for i in range(lo, hi):
                        line = rows[i] + "\n"
                        if cut and i == hi - 1:
                            line = rows[i][:5]
                        f.write(line)
                        f.flush()
            elif cmd == "finish":
                i = int(sys.argv[3])
                with open(log, "a") as f:
                    f.write(rows[i][5:] + "\n")

            """#)
        func writer(_ args: String...) throws { try s.ok(["python3", s.root + "/writer.py", log] + args) }
        try s.write(log, MonitorFixture.liveHeader + "\n")

        let monitor = try MonitorFixture.follow(s, repo, log, prom, window: 50)
        defer { if monitor.isRunning { kill(monitor.processIdentifier, SIGKILL) } }
        func waitFor(_ n: Int, sourceLocation: SourceLocation = #_sourceLocation) {
            MonitorFixture.waitFor(n, s, prom, monitor, sourceLocation: sourceLocation)
        }

        try writer("append", "0", "250")
        waitFor(250)
        // Rotated: the old file read to its end, the new one (with its header) from the start; a line without its end is held.
        try writer("rotate")
        try writer("append", "250", "371", "cut")
        waitFor(350)
        try writer("finish", "370")
        try writer("append", "371", "400")
        waitFor(400)
        // Truncated in place: read again from the start, under the header read before.
        try writer("truncate")
        try writer("append", "400", "450")
        waitFor(450)
        // Stopping reads what was written before the signal; the line without its end is not counted.
        try writer("append", "450", "458", "cut")
        monitor.terminate()
        monitor.waitUntilExit()
        let stderr = try FS.readText(s.root + "/err")
        #expect(monitor.terminationReason == .exit && monitor.terminationStatus == 0, "\(stderr)")

        let final = try FS.readText(prom)
        #expect(final.contains("\nmlops_monitor_records{model=\"model\",version=\"v0.0.1\",stage=\"production\"} 457\n"), "\(final)")
        #expect(final.contains("\nmlops_monitor_windows{model=\"model\",version=\"v0.0.1\",stage=\"production\"} 10\n"), "\(final)")
        #expect(final.contains("\nmlops_monitor_window_records{model=\"model\",version=\"v0.0.1\",stage=\"production\"} 7\n"), "\(final)")
        if Promtool.enabled { try Promtool.check(s, prom) }
        #expect(stderr == "warning: \(log): the last line has no line end yet (5 bytes); not counted\n")
        let lines = try FS.readText(s.root + "/out").split(separator: "\n")
        #expect(lines.count == 10 && lines.allSatisfy { $0.hasSuffix("  ok") })
        #expect(lines.first?.contains("  model#production (v0.0.1)  window 1: 50 records from \(log)  ok") == true)
        #expect(lines.last?.contains("  window 10: 7 records from \(log)  ok") == true)
        // Notes: the first window and the last, not one per window.
        let audit = try s.ok(["git", "mlops", "audit", "model"], in: repo).stdout.split(separator: "\n").filter { $0.contains("  monitor  ") }
        #expect(audit.count == 2 && audit[0].contains(": window 1: 50 records") && audit[1].contains(": window 10: 7 records"), "\(audit)")
        #expect(FS.stat(log + ".1")?.size ?? 0 > 0 && FS.stat(log + ".2")?.size ?? 0 > 0)
    }

    @Test func aFollowerKilledMidWindowLeavesAWholeOpenMetricsFileAndReadableNotes() throws {
        let s = try Sandbox()
        let repo = try MonitorFixture.makeRepo(s)
        let log = s.root + "/server.log", prom = s.root + "/model.prom"
        try s.write(log, MonitorFixture.liveCSV(MonitorFixture.rows(200, seed: 6)))
        let monitor = try MonitorFixture.follow(s, repo, log, prom, window: 10)
        defer { if monitor.isRunning { kill(monitor.processIdentifier, SIGKILL) } }
        MonitorFixture.waitFor(200, s, prom, monitor)
        // More records arrive, and the monitor dies while it reads them, without a chance to tidy up.
        let more = MonitorFixture.rows(5000, seed: 7).map(MonitorFixture.liveCSVLine).joined(separator: "\n") + "\n"
        let handle = try #require(FileHandle(forWritingAtPath: log))
        handle.seekToEndOfFile()
        handle.write(Data(more.utf8))
        try handle.close()
        kill(monitor.processIdentifier, SIGKILL)
        monitor.waitUntilExit()
        #expect(monitor.terminationReason == .uncaughtSignal)

        // The textfile collector reads *.prom: every such file is whole (a temporary file is not one).
        let proms = try FS.listDirectory(s.root).map(\.name).filter { $0.hasSuffix(".prom") }
        #expect(proms == ["model.prom"], "\(proms)")
        let text = try FS.readText(prom)
        #expect(text.hasSuffix("\n# EOF\n"))
        if Promtool.enabled { try Promtool.check(s, prom) }
        // The notes still read: audit shows the first window, and a new monitor of the whole log records its own.
        let audit = try s.ok(["git", "mlops", "audit", "model"], in: repo).stdout.split(separator: "\n").filter { $0.contains("  monitor  ") }
        #expect(audit.first?.contains(": window 1: 10 records") == true, "\(audit)")
        let r = try s.ok(["git", "mlops", "monitor", "model#production", log, "--json"], in: repo)
        #expect(try JSON.parse(r.stdout)["window"]?["records"]?.int == 5200)
        let after = try s.ok(["git", "mlops", "audit", "model"], in: repo).stdout.split(separator: "\n").filter { $0.contains("  monitor  ") }
        #expect(after.count == audit.count + 1 && after.last?.contains(": 5200 records from \(log): ") == true, "\(after)")
    }

    @Test func followingNotesTheFirstWindowAndAlertChangesAtMostOncePerIntervalAndTheLastAtTheEnd() throws {
        let s = try Sandbox()
        let repo = try MonitorFixture.makeRepo(s)
        let log = s.root + "/server.log", prom = s.root + "/model.prom"
        // Windows of 100: like the training data, b shifted, like it again, shifted again.
        var rows: [MonitorFixture.Row] = []
        for (k, shift) in [0.0, 3, 0, 3].enumerated() { rows += MonitorFixture.rows(100, seed: 10 + UInt64(k), shiftB: shift) }
        try s.write(log, MonitorFixture.liveHeader + "\n")
        let monitor = try MonitorFixture.follow(s, repo, log, prom, window: 100)
        defer { if monitor.isRunning { kill(monitor.processIdentifier, SIGKILL) } }
        let handle = try #require(FileHandle(forWritingAtPath: log))
        handle.seekToEndOfFile()
        handle.write(Data((rows.map(MonitorFixture.liveCSVLine).joined(separator: "\n") + "\n").utf8))
        try handle.close()
        MonitorFixture.waitFor(400, s, prom, monitor)
        monitor.terminate()
        monitor.waitUntilExit()
        #expect(monitor.terminationReason == .exit && monitor.terminationStatus == 1, "the last window alerts")
        let windows = try FS.readText(s.root + "/out").split(separator: "\n")
        #expect(windows.count == 4 && windows[0].hasSuffix("  ok") && windows[1].contains("ALERT: feature b psi")
                && windows[2].hasSuffix("  ok") && windows[3].contains("ALERT: feature b psi"), "\(windows)")
        // Window 2's alert came within the interval of window 1's note: Prometheus saw it, the notes
        // hold the first window and, at the end, the last one, whose alerts differ from the noted ones.
        let audit = try s.ok(["git", "mlops", "audit", "model"], in: repo).stdout.split(separator: "\n").filter { $0.contains("  monitor  ") }
        #expect(audit.count == 2, "\(audit)")
        #expect(audit.first?.contains(": window 1: 100 records from \(log): no alert") == true, "\(audit)")
        #expect(audit.last?.contains(": window 4: 100 records from \(log): ALERT feature b psi") == true, "\(audit)")
    }
}
