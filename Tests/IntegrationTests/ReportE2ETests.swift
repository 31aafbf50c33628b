import Foundation
import MLOpsBasics
import Testing

/// Headless Chromium (Debian package `chromium`), to look at the report as a person would.
enum Chromium {
    static let required = ProcessInfo.processInfo.environment["GIT_MLOPS_REQUIRE_CHROMIUM"] == "1"
    static let path: String? = ["chromium", "chromium-browser", "google-chrome"].lazy.compactMap { try? ProcessRunner.resolve($0) }.first
    static let enabled = path != nil || required

    /// Arguments for one headless run: its own profile, no GPU, and no sandbox when root (Chromium
    /// refuses to start its sandbox as root).
    static func argv(_ s: Sandbox, _ extra: [String]) -> [String] {
        [path ?? "chromium", "--headless", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
         "--user-data-dir=\(s.root)/chromium-profile"] + (getuid() == 0 ? ["--no-sandbox"] : []) + extra
    }

    /// The page's DOM after Chromium parsed and laid it out.
    static func dom(_ s: Sandbox, _ page: String) throws -> String {
        let r = try s.run(argv(s, ["--dump-dom", "file://" + page]))
        #expect(r.status == 0, "chromium --dump-dom failed: \(r)")
        return r.stdout
    }

    /// A PNG of the page, light or dark (`prefers-color-scheme`).
    static func screenshot(_ s: Sandbox, _ page: String, to png: String, dark: Bool) throws -> [UInt8] {
        let r = try s.run(argv(s, (dark ? ["--force-dark-mode"] : []) + ["--window-size=1280,2200", "--screenshot=\(png)", "file://" + page]))
        #expect(r.status == 0, "chromium --screenshot failed: \(r)")
        return try FS.readFile(png)
    }
}

/// Under scripts/test (GIT_MLOPS_REQUIRE_CHROMIUM=1) a missing browser is a failure, not a skip.
@Test func chromiumIsThereWhenRequired() {
    #expect(!Chromium.required || Chromium.path != nil,
            "GIT_MLOPS_REQUIRE_CHROMIUM=1 but chromium is not on PATH: scripts/setup installs it (apt-get install chromium)")
}

/// A one-stage pipeline in Python (no numpy): it writes a model, metrics (one with a hostile name), a
/// loss curve kept in git, a confusion-matrix file inside a directory output (so in the cache), and,
/// when asked, a malformed plots file.
enum ReportFixture {
    static let hostile = "<script>alert(1)</script> \"q\" & \u{202E}fdp.exe"

    static let train = #"""
        import json, math, os, re
        text = open("params.yaml").read()
        lr = float(re.search(r"lr: ([0-9.]+)", text).group(1))
        with open("loss.csv", "w") as f:
            f.write("epoch,loss\n")
            for e in range(20):
                f.write(f"{e},{math.exp(-lr * e) + 0.05:.6f}\n")
        with open("model.bin", "w") as f:
            f.write(f"weights for lr={lr}\n")
        os.makedirs("eval", exist_ok=True)
        labels = ["cat", "dog", "bird"]
        with open("eval/classes.csv", "w") as f:
            f.write("actual,predicted\n")
            for i in range(90):
                miss = i % max(2, int(1 / lr)) == 0
                f.write(f"{labels[i % 3]},{labels[(i + miss) % 3]}\n")
        if os.path.exists("broken"):
            with open("bad.json", "w") as f:
                f.write("{not json")
        json.dump({"loss": round(math.exp(-lr * 19), 6), "acc": round(1 - lr / 3, 6), "<b>hostile</b>": lr}, open("metrics.json", "w"))
        print("trained")

        """#

    static func pipeline(badPlot: Bool = false) -> String {
        """
        stages:
          train:
            cmd: python3 train.py
            deps: [train.py]
            params: [train.lr, train.note]
            outs: [model.bin, eval]
            metrics: [metrics.json]
            plots:
              - loss.csv: {x: epoch, y: loss, title: Training loss}
              - eval/classes.csv: {template: confusion, x: actual, y: predicted}
        \(badPlot ? "      - bad.json\n" : "")
        """
    }

    static func params(lr: String) -> String {
        "train:\n  lr: \(lr)\n  note: \"<img src=x onerror=alert(1)> \\u202e\"\n"
    }

    /// A repository whose pipeline ran and was committed once per learning rate; returns the commits.
    static func makeRepo(_ s: Sandbox, lrs: [String], badPlot: Bool = false) throws -> (repo: String, commits: [String]) {
        let repo = try s.makeRepo()
        try s.write(repo + "/train.py", train)
        try s.write(repo + "/mlops.yaml", pipeline(badPlot: badPlot))
        if badPlot { try s.write(repo + "/broken", "") }
        try s.ok(["git", "mlops", "hooks", "install"], in: repo)
        var commits: [String] = []
        for lr in lrs {
            try s.write(repo + "/params.yaml", params(lr: lr))
            try s.ok(["git", "mlops", "run"], in: repo)
            try s.ok(["git", "add", "-A"], in: repo)
            try s.ok(["git", "commit", "-qm", "lr \(lr) \(hostile)"], in: repo)
            commits.append(try s.rev(repo))
        }
        return (repo, commits)
    }
}

@Suite struct ReportE2ETests {
    /// A pipeline over three commits, `git mlops report`, and what a person sees in Chromium: the runs
    /// table has the runs, each chart one point per commit, the lineage names the artifact, the plots
    /// are drawn (one from git, one from the cache), and hostile text stays text.
    @Test(.enabled(if: Chromium.enabled, "chromium is not installed (Debian package `chromium`; scripts/setup installs it)"))
    func theReportRendersInChromium() throws {
        guard Chromium.path != nil else { Issue.record("GIT_MLOPS_REQUIRE_CHROMIUM=1 but chromium is not installed"); return }
        let s = try Sandbox()
        let (repo, commits) = try ReportFixture.makeRepo(s, lrs: ["0.1", "0.2", "0.3"])
        let r = try s.ok(["git", "mlops", "report"], in: repo)
        let index = repo + "/mlops-report/index.html"
        #expect(r.stdout == index + "\n" && r.stderr == "")
        #expect(try s.ok(["git", "status", "--porcelain", "--ignored=no"], in: repo).stdout == "?? mlops-report/\n")

        // Runs: one row per run, newest first, with params and metrics.
        let runs = try Chromium.dom(s, repo + "/mlops-report/runs.html")
        let body = try #require(runs.components(separatedBy: "<tbody>").last?.components(separatedBy: "</tbody>").first)
        let rows = body.components(separatedBy: "<tr>").dropFirst()
        #expect(rows.count == 3)
        #expect(rows.map { row in commits.firstIndex { row.contains("<code title=\"\($0)\">") } } == [2, 1, 0])
        #expect(rows.allSatisfy { $0.contains("<span class=\"k\">train.lr</span>") && $0.contains("<span class=\"k\">metrics.json: loss</span>") })

        // Trends: one chart per numeric metric, one point per commit.
        let overview = try Chromium.dom(s, index)
        let charts = overview.components(separatedBy: "<svg class=\"chart\"").dropFirst().map { $0.components(separatedBy: "</svg>")[0] }
        #expect(charts.count == 3)
        for c in charts { #expect(c.components(separatedBy: "<circle class=\"pt\"").count - 1 == 3) }
        #expect(overview.contains("<figcaption>metrics.json: &lt;b&gt;hostile&lt;/b&gt;</figcaption>"))

        // Lineage: the artifact, and the run that made it.
        let lineage = try Chromium.dom(s, repo + "/mlops-report/lineage.html")
        let graphs = lineage.components(separatedBy: "<svg class=\"lineage\"").dropFirst().map { $0.components(separatedBy: "</svg>")[0] }
        #expect(graphs.count == 2)
        #expect(graphs[0].contains("<text class=\"name\"") && graphs[0].contains(">model.bin</text>") && graphs[0].contains(">train</text>"))
        #expect(graphs[0].contains("<g class=\"node data root\">"))

        // Plots: the loss curve at the two latest commits (from git), the confusion matrices (from the cache).
        let plots = try Chromium.dom(s, repo + "/mlops-report/plots.html")
        let loss = try #require(plots.components(separatedBy: "<svg class=\"chart\"").dropFirst().first)
        #expect(loss.components(separatedBy: "<circle class=\"pt\"").count - 1 == 40)
        let matrices = plots.components(separatedBy: "<svg class=\"matrix\"").dropFirst()
        #expect(matrices.count == 2)
        for m in matrices { #expect(m.components(separatedBy: "<g class=\"cell").count - 1 == 9) }
        #expect(plots.contains(">\(commits[1].prefix(10))</p>") && plots.contains(">\(commits[2].prefix(10))</p>"))

        // Hostile commit messages, params and metric names are text in every page.
        for page in ["index", "runs", "diff", "lineage", "plots"] {
            let dom = try Chromium.dom(s, repo + "/mlops-report/\(page).html")
            #expect(!dom.contains("<script") && !dom.contains("<img") && !dom.contains("<b>"), "\(page)")
            #expect(!dom.unicodeScalars.contains("\u{202E}"), "\(page)")
        }
        #expect(runs.contains("&lt;script&gt;alert(1)&lt;/script&gt; \"q\" &amp; [U+202E]fdp.exe"))
        #expect(runs.contains("&lt;img src=x onerror=alert(1)&gt; [U+202E]"))

        // Screenshots, light and dark, differ (the colours follow prefers-color-scheme).
        let shots = ProcessInfo.processInfo.environment["GIT_MLOPS_REPORT_SCREENSHOTS"]
        for page in ["index", "plots", "lineage"] {
            let light = try Chromium.screenshot(s, repo + "/mlops-report/\(page).html", to: s.root + "/\(page)-light.png", dark: false)
            let dark = try Chromium.screenshot(s, repo + "/mlops-report/\(page).html", to: s.root + "/\(page)-dark.png", dark: true)
            for png in [light, dark] { #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]) && png.count > 10_000) }
            #expect(light != dark)
            if let shots {
                try FS.mkdirs(shots)
                try FS.writeAtomic(shots + "/\(page)-light.png", light)
                try FS.writeAtomic(shots + "/\(page)-dark.png", dark)
            }
        }
    }

    /// `--diff A B` compares the revisions named; the report is replaced whole on the next run; a
    /// crash's leftovers are cleaned up, but never a file the report did not write.
    @Test func diffOfChosenRevisionsAndReplacingTheReport() throws {
        let s = try Sandbox()
        let (repo, commits) = try ReportFixture.makeRepo(s, lrs: ["0.1", "0.2", "0.3"])
        let out = s.root + "/site"
        try s.ok(["git", "mlops", "report", "-o", out, "--diff", "HEAD~2", "HEAD"], in: repo)
        var diff = try String(decoding: s.read(out + "/diff.html"), as: UTF8.self)
        #expect(diff.contains("From <strong>HEAD~2</strong> (<code>\(commits[0].prefix(10))</code>)"))
        #expect(diff.contains("<tr class=\"changed\"><td>train.lr</td><td class=\"num\"><span class=\"v\">0.1</span></td><td class=\"num\"><span class=\"v\">0.3</span></td><td class=\"num\">+0.2</td></tr>"))
        #expect(try s.read(out + "/.git-mlops-report") == Array("git-mlops report 1\ndiff.html\nindex.html\nlineage.html\nplots.html\nruns.html\n".utf8))

        // A crash left a temporary directory: ours is removed; one holding a stranger's file keeps it.
        try s.write(s.root + "/.site.tmp-dead0001/.git-mlops-report", "git-mlops report 1\nindex.html\n")
        try s.write(s.root + "/.site.tmp-dead0001/index.html", "<p>half")
        try s.write(s.root + "/.site.old-dead0002/.git-mlops-report", "git-mlops report 1\nindex.html\n")
        try s.write(s.root + "/.site.old-dead0002/notes.txt", "mine")
        try s.ok(["git", "mlops", "report", "-o", out], in: repo)
        #expect(!FS.exists(s.root + "/.site.tmp-dead0001"))
        #expect(try s.read(s.root + "/.site.old-dead0002/notes.txt") == Array("mine".utf8))
        #expect(try FS.listDirectory(s.root).map(\.name).filter { $0.hasPrefix(".site") } == [".site.old-dead0002"])
        diff = try String(decoding: s.read(out + "/diff.html"), as: UTF8.self)
        #expect(diff.contains("From <code>\(commits[1].prefix(10))</code>"), "the default diff is the two latest commits with runs")
        #expect(try FS.listDirectory(out).map(\.name).sorted() == [".git-mlops-report", "diff.html", "index.html", "lineage.html", "plots.html", "runs.html"])
    }

    /// A malformed plots file is one warning line and a note in the page; bad destinations and bad
    /// revisions are one error line each, and change nothing.
    @Test func badInputIsReportedAndChangesNothing() throws {
        let s = try Sandbox()
        let (repo, _) = try ReportFixture.makeRepo(s, lrs: ["0.1", "0.2"], badPlot: true)
        let r = try s.ok(["git", "mlops", "report"], in: repo)
        #expect(r.stderr == "warning: plots of stage train: bad.json at \(try s.rev(repo, "HEAD~1").prefix(10)): not valid JSON (and 1 more on the Plots page)\n")
        #expect(r.stdout == repo + "/mlops-report/index.html\n")
        let plots = try String(decoding: s.read(repo + "/mlops-report/plots.html"), as: UTF8.self)
        #expect(plots.contains("<ul class=\"problems\"><li>bad.json at \(try s.rev(repo, "HEAD~1").prefix(10)): not valid JSON</li><li>bad.json at \(try s.rev(repo, "HEAD").prefix(10)): not valid JSON</li></ul>"))

        let before = try s.fingerprint(repo, skipping: [".git"])
        func refused(_ args: [String], _ message: String, status: Int32 = 1, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let r = try s.run(["git", "mlops", "report"] + args, in: repo)
            #expect(r.status == status && r.stderr == message && r.stdout.isEmpty, "\(r)", sourceLocation: sourceLocation)
            #expect(try s.fingerprint(repo, skipping: [".git"]) == before, "something changed", sourceLocation: sourceLocation)
        }
        // A symlink, wherever it points.
        try FS.mkdirs(s.root + "/elsewhere")
        #expect(symlink(s.root + "/elsewhere", repo + "/linked") == 0)
        let r2 = try s.run(["git", "mlops", "report", "-o", "linked"], in: repo)
        #expect(r2.status == 1 && r2.stderr == "error: linked is a symlink; git mlops report never writes through symlinks; remove the link or choose another directory with -o\n")
        #expect(try FS.listDirectory(s.root + "/elsewhere").isEmpty && FS.lstat(repo + "/linked")?.isSymlink == true)
        try FS.remove(repo + "/linked")
        // A tracked path, or a directory holding one.
        try refused(["-o", "train.py"], "error: train.py is tracked by git (train.py); a report replaces its whole directory; choose another directory with -o, or `git rm -r --cached train.py` first\n")
        try refused(["-o", "eval/../mlops.yaml"], "error: eval/../mlops.yaml is tracked by git (mlops.yaml); a report replaces its whole directory; choose another directory with -o, or `git rm -r --cached mlops.yaml` first\n")
        try refused(["-o", "."], "error: . holds the repository; a report replaces its directory; name a new directory, e.g. `-o mlops-report`\n")
        try refused(["-o", "/"], "error: / cannot hold a report; name a directory for it, e.g. `-o mlops-report`\n")
        try refused(["-o", ".git/report"], "error: .git/report is inside .git; write the report into the working tree or elsewhere\n")
        // A directory holding something a report did not write.
        try refused(["-o", "eval"], "error: eval holds classes.csv, which git mlops report did not write; move it away, or choose another directory with -o\n")
        try refused(["--diff", "nope", "HEAD"], "error: unknown revision 'nope' for --diff; name a commit, branch or tag, or `workspace`\n")
        try refused(["--diff", "HEAD"], "error: --diff takes two revisions, e.g. --diff HEAD~1 HEAD\nUsage: git mlops report [--output <DIR>] [--open] [--diff <A B> ...]\n  See 'git mlops report --help' for more information.\n", status: 129)
    }
}
