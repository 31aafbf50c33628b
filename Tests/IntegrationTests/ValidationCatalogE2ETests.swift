import Foundation
import MLOpsBasics
import Testing

/// Validation wired into its neighbours: the catalog's promotions run the gates (with `baseline:
/// production`), `audit` shows commits made with --no-verify, the report and `model show` carry the
/// validation results. Real git, the built binary.
@Suite struct ValidationCatalogE2ETests {
    static let gates = "version: 2\ngates:\n  metrics.json:\n    mse: {max_increase: 0, baseline: production}\n"

    func mse(_ s: Sandbox, _ repo: String) throws -> Double {
        try #require(try JSON.parse(String(decoding: try s.read(repo + "/metrics.json"), as: UTF8.self))["mse"]?.double)
    }

    @Test func promotionRunsTheGatesAgainstProductionAndThePushIsStoppedByThem() throws {
        let s = try Sandbox()
        let repo = try CatalogE2ETests.trained(s)
        let yaml = String(decoding: try s.read(repo + "/mlops.yaml"), as: UTF8.self)
        try s.write(repo + "/mlops.yaml", Self.gates + yaml)
        try s.ok(["git", "commit", "-qam", "gates"], in: repo)
        let good = try mse(s, repo)
        try s.ok(["git", "mlops", "model", "register", "model", "--path", "model.npy", "--version", "v1.0.0"], in: repo)
        // Nothing in production yet: the gate has no baseline, so it does not stop the first promotion.
        var r = try s.ok(["git", "mlops", "model", "promote", "model@v1.0.0", "production"], in: repo)
        #expect(r.stdout.contains("promoted model v1.0.0 to production"), "\(r)")

        _ = try CatalogE2ETests.withDataRemote(s, repo)
        // The pre-commit hook refuses a model worse than production; --no-verify commits it anyway.
        try s.write(repo + "/params.yaml", LineageFixture.params(lr: "0.001"))
        try s.ok(["git", "mlops", "run"], in: repo)
        try s.ok(["git", "add", "-A"], in: repo)
        let worse = try mse(s, repo)
        try #require(worse > good, "a smaller learning rate over the same epochs trains less")
        let refused = try s.fails(["git", "commit", "-qm", "train lr 0.001"], in: repo)
        #expect(refused.stderr.hasPrefix("error: metrics.json: mse: gate max_increase: \(fmt(worse)) (+"), "\(refused)")
        #expect(refused.stderr.contains("production (model v1.0.0)), expected increase <= 0\nerror: pre-commit: 1 check failed"), "\(refused)")
        try s.ok(["git", "commit", "--no-verify", "-qm", "train lr 0.001"], in: repo)
        try s.ok(["git", "mlops", "model", "register", "model", "--version", "v1.1.0"], in: repo)
        r = try s.fails(["git", "mlops", "model", "promote", "model@v1.1.0", "production"], in: repo)
        #expect(r.stderr.hasPrefix("error: promotion of model v1.1.0 to 'production' refused by its gates: metrics.json: mse: gate max_increase: \(fmt(worse)) (+"), "\(r)")
        #expect(r.stderr.contains("from \(fmt(good)), production (model v1.0.0)), expected increase <= 0"), "\(r)")
        #expect(try s.ok(["git", "tag", "-l", "model#production#*"], in: repo).stdout.split(separator: "\n").count == 1, "no tag was made")

        // The pre-push hook says the same: the pushed commit is worse than production.
        try s.ok(["git", "init", "-q", "--bare", s.root + "/origin.git"], in: s.root)
        try s.ok(["git", "remote", "add", "origin", s.root + "/origin.git"], in: repo)
        let v = try s.fails(["git", "mlops", "validate", "--rev", "HEAD"], in: repo)
        #expect(v.stderr.contains("error: metrics.json: mse: gate max_increase:") && v.stderr.contains("production (model v1.0.0)"), "\(v)")
        let push = try s.fails(["git", "push", "-q", "origin", "HEAD:refs/heads/main"], in: repo)
        #expect(push.stderr.contains(":metrics.json: mse: gate max_increase:") && push.stderr.contains("production (model v1.0.0)"), "\(push)")
        #expect(push.stderr.contains("error: pre-push: the metrics of the commits being pushed fail their gates, so nothing was pushed"), "\(push)")
        #expect(try s.run(["git", "rev-parse", "--verify", "-q", "refs/heads/main"], in: s.root + "/origin.git").status != 0)

        // --force --reason overrides, and the tag records the failed gate.
        r = try s.ok(["git", "mlops", "model", "promote", "model@v1.1.0", "production", "--force", "--reason", "A/B test"], in: repo)
        #expect(r.stdout.contains("gate FAILED: metrics.json: mse: gate max_increase:"), "\(r)")
        let tag = try #require(r.stdout.split(separator: "\n").first { $0.hasPrefix("promoted ") }?.split(separator: " ").last?.dropLast())
        let message = try s.ok(["git", "tag", "-l", "--format=%(contents)", String(tag)], in: repo).stdout
        #expect(message.contains("Override-Reason: A/B test") && message.contains("Override-Gate: metrics.json: mse: gate max_increase:"), "\(message)")

        // show tells the validation at the version's commit: the gate against production, now v1.1.0 itself.
        let show = try s.ok(["git", "mlops", "model", "show", "model@v1.1.0"], in: repo).stdout
        #expect(show.contains("validation: 1 pass at "), "\(show)")
        let json = try JSON.parse(try s.ok(["git", "mlops", "model", "show", "model@v1.1.0", "--json"], in: repo).stdout)
        #expect(json["validation"]?["passed"] == .bool(true))

        // A gate naming a stage that is neither used nor a revision is one clear error.
        try s.write(repo + "/mlops.yaml", Self.gates.replacingOccurrences(of: "production", with: "prod.uction") + yaml)
        r = try s.fails(["git", "mlops", "model", "promote", "model@v1.0.0", "staging"], in: repo)
        #expect(r.stderr == "error: baseline 'prod.uction' of the gates of metrics.json is neither `previous` nor a revision; write `baseline: previous` or a revision (a tag, a branch, a commit) in mlops.yaml\n", "\(r)")
    }

    @Test func auditShowsCommitsMadePastFailingChecksAndTheReportShowsTheLatestValidation() throws {
        let s = try Sandbox()
        let repo = try s.validatedRepo(ValidationE2ETests.checks)
        try s.write(repo + "/data/train.csv", table(rows: 3000, seed: 2, nullAt: 7))
        try s.ok(["git", "mlops", "add", "data/train.csv"], in: repo)
        try s.ok(["git", "add", "-A"], in: repo)
        try s.ok(["git", "commit", "--no-verify", "-qm", "nulls anyway"], in: repo)
        let head = try s.ok(["git", "rev-parse", "HEAD"], in: repo).stdout.trimmingCharacters(in: .whitespacesAndNewlines)

        let trail = try JSON.parse(try s.ok(["git", "mlops", "audit", "data/train.csv", "--json"], in: repo).stdout).array ?? []
        let bypass = try #require(trail.first { $0["kind"]?.string == "bypass" })
        #expect(bypass["commit"]?.string == head)
        #expect(bypass["what"]?.string == "committed with --no-verify past failing checks: data/train.csv: column age: not_null: 1 null, expected none")
        #expect(trail.last?["kind"]?.string == "bypass", "it sorts after the data commit it is about")
        #expect(try s.ok(["git", "mlops", "audit"], in: repo).stdout.contains("bypass    \(head.prefix(10))"))
        // Another path's trail does not list it.
        try s.write(repo + "/other.csv", "a\n1\n")
        try s.ok(["git", "mlops", "add", "other.csv"], in: repo)
        #expect(!(try s.ok(["git", "mlops", "audit", "other.csv"], in: repo).stdout.contains("bypass")))

        // The report's validation page: HEAD's checks, the failing one included.
        let out = s.root + "/site"
        try s.ok(["git", "mlops", "report", "-o", out], in: repo)
        let page = String(decoding: try s.read(out + "/validation.html"), as: UTF8.self)
        #expect(page.contains("data/train.csv: age") && page.contains("not_null") && page.contains("badge fail"), "\(page.prefix(2000))")
    }

    @Test func aForgedBypassEntryIsShownDefusedAndAMalformedOneIsSkipped() throws {
        let s = try Sandbox()
        let repo = try s.validatedRepo(ValidationE2ETests.checks)
        // An attacker's clone may bring any note: escape sequences in the text, a bad time, a non-object.
        let forged = #"{"at":"yesterday","failed":["x\u001b[2Jy"],"findings":[{"subject":"data/train.csv"}],"kind":"bypass","schema":"https://git-mlops.dev/spec/validation/v1","user":"\u001b]0;pwned\u0007"}"#
        let broken = #"{"kind":"bypass","schema":"https://git-mlops.dev/spec/validation/v1","failed":"#
        try s.ok(["git", "notes", "--ref=mlops", "add", "-f", "-m", forged + "\n" + broken, "HEAD"], in: repo)
        let r = try s.ok(["git", "mlops", "audit", "data/train.csv"], in: repo)
        let line = try #require(r.stdout.split(separator: "\n").first { $0.contains("bypass") })
        #expect(!line.unicodeScalars.contains { $0.value == 0x1b || $0.value == 0x07 }, "\(line)")
        #expect(line.contains("committed with --no-verify past failing checks: x?[2Jy"), "\(line)")
        #expect(r.stdout.split(separator: "\n").filter { $0.contains("bypass") }.count == 1)
    }
}
