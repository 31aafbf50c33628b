import Foundation
import MLOpsBasics
import Testing

/// The model catalog end to end: real git, the built binary, the real GTO.
@Suite struct CatalogE2ETests {
    static let hasGTO = (try? ProcessRunner.resolve("gto")) != nil
    static let hasSSHKeygen = (try? ProcessRunner.resolve("ssh-keygen")) != nil

    /// The two-stage pipeline run and committed (the hook attaches its runs): model.npy and metrics.json at HEAD.
    static func trained(_ s: Sandbox, _ name: String = "repo") throws -> String {
        let repo = try LineageFixture.makeRepo(s, name)
        try s.ok(["git", "mlops", "run"], in: repo)
        try s.ok(["git", "add", "-A"], in: repo)
        try s.ok(["git", "commit", "-qm", "train v1"], in: repo)
        return repo
    }

    /// Retrains with another learning rate and commits.
    static func retrain(_ s: Sandbox, _ repo: String, lr: String) throws {
        try s.write(repo + "/params.yaml", LineageFixture.params(lr: lr))
        try s.ok(["git", "mlops", "run"], in: repo)
        try s.ok(["git", "add", "-A"], in: repo)
        try s.ok(["git", "commit", "-qm", "train lr \(lr)"], in: repo)
    }

    /// A tagger time `k` seconds after `base`: tags get distinct, increasing times without waiting.
    static func at(_ base: Int, _ k: Int) -> [String: String] { ["GIT_COMMITTER_DATE": "@\(base + k) +0000"] }

    static func now() -> Int { Int(Date().timeIntervalSince1970) }

    /// Adds a directory data remote, the default, and commits the setting; returns its path.
    static func withDataRemote(_ s: Sandbox, _ repo: String) throws -> String {
        let store = s.root + "/store"
        try s.ok(["git", "mlops", "remote", "add", "store", store, "--default"], in: repo)
        try s.ok(["git", "commit", "-qam", "data remote"], in: repo)
        return store
    }

    func tags(_ s: Sandbox, _ repo: String) throws -> [String] {
        try s.ok(["git", "tag", "-l"], in: repo).stdout.split(separator: "\n").map(String.init)
    }

    @Test func registerPromoteListShowAndGetInAFreshCloneThatFetchesOnlyTheWeights() throws {
        let s = try Sandbox()
        let repo = try Self.trained(s)
        let store = try Self.withDataRemote(s, repo)
        let v1Model = try s.read(repo + "/model.npy")

        var r = try s.ok(["git", "mlops", "model", "register", "model", "--path", "model.npy"], in: repo)
        let annotated = try s.rev(repo)
        #expect(r.stdout == """
            declared model in artifacts.yaml: commit \(annotated.prefix(10))
            registered model v0.0.1 at \(annotated.prefix(10)) (tag model@v0.0.1)
            hint: share it with `git push origin model@v0.0.1`

            """)
        #expect(try s.ok(["git", "show", "HEAD:artifacts.yaml"], in: repo).stdout == "model:\n  type: model\n  path: model.npy\n")
        #expect(try s.ok(["git", "log", "-1", "--format=%s"], in: repo).stdout == "Annotate artifact `model` of type `model` with path `model.npy`\n")
        #expect(try s.ok(["git", "status", "--porcelain"], in: repo).stdout == "")
        r = try s.ok(["git", "mlops", "model", "promote", "model@v0.0.1", "staging"], in: repo)
        #expect(r.stdout == "promoted model v0.0.1 to staging (tag model#staging#1)\nhint: share it with `git push origin 'model#staging#1'`\n")
        #expect(try s.ok(["git", "cat-file", "-t", "model#staging#1"], in: repo).stdout == "tag\n")

        try Self.retrain(s, repo, lr: "0.05")
        let v2 = try s.rev(repo)
        r = try s.ok(["git", "mlops", "model", "register", "model", "--bump", "minor", "-m", "lower learning rate"], in: repo)
        #expect(r.stdout.hasPrefix("registered model v0.1.0 at \(v2.prefix(10)) (tag model@v0.1.0)\n"))
        try s.ok(["git", "mlops", "model", "promote", "model@v0.1.0", "production"], in: repo)

        #expect(try s.ok(["git", "mlops", "model", "list"], in: repo).stdout == """
            name   latest  #production  #staging
            model  v0.1.0  v0.1.0       v0.0.1

            """)
        let list = try JSON.parse(try s.ok(["git", "mlops", "model", "list", "--json"], in: repo).stdout)
        #expect(list.array?.count == 1)
        #expect(list.array?.first?["latest"]?.string == "v0.1.0" && list.array?.first?["latest_commit"]?.string == v2)
        #expect(list.array?.first?["stages"]?["staging"]?["version"]?.string == "v0.0.1")
        #expect(list.array?.first?["stages"]?["staging"]?["commit"]?.string == annotated)
        #expect(list.array?.first?["stages"]?["production"]?["tag"]?.string == "model#production#2")

        // show: commit, weights, who and when, the run's params and metrics, the data, the lineage, the stages.
        let show = try JSON.parse(try s.ok(["git", "mlops", "model", "show", "model@v0.1.0", "--json"], in: repo).stdout)
        let v2Model = try s.read(repo + "/model.npy")
        #expect(show["commit"]?.string == v2)
        #expect(show["weights"]?["path"]?.string == "model.npy" && show["weights"]?["declared_in"]?.string == "artifacts.yaml")
        #expect(show["weights"]?["id"]?.string == "sha256:" + ObjectID.hashing(v2Model).hex)
        #expect(show["weights"]?["size"]?.int == Int64(v2Model.count) && show["weights"]?["type"]?.string == "model")
        #expect(show["registration"]?["by"]?.string == "Test User" && show["registration"]?["email"]?.string == "test@example.com")
        #expect(show["registration"]?["message"]?.string == "lower learning rate" && show["registration"]?["signature"]?.string == "unsigned")
        #expect(show["run"]?["stage"]?.string == "train" && show["run"]?["params"]?["train.lr"] == .double(0.05))
        let mse = try JSON.parse(String(decoding: try s.read(repo + "/metrics.json"), as: UTF8.self))["mse"]
        #expect(show["run"]?["metrics"]?["metrics.json"]?["mse"] == mse)
        #expect(show["run"]?["inputs"]?.array?.first?["path"]?.string == "data/prepared")
        let prepared = show["lineage"]?["run"]?["inputs"]?.array?.first
        #expect(prepared?["run"]?["stage"]?.string == "prepare")
        #expect(prepared?["run"]?["inputs"]?.array?.first?["path"]?.string == "data/raw.csv")
        #expect(show["stages"] == ["production"])
        #expect(show["stage_history"]?.array?.map { $0["tag"]?.string ?? "" } == ["model#production#2"])
        let text = try s.ok(["git", "mlops", "model", "show", "model#staging"], in: repo).stdout
        #expect(text.hasPrefix("model v0.0.1\ncommit:     \(annotated)\nregistered: "))
        #expect(text.contains("\nweights:    model.npy (file, sha256:\(ObjectID.hashing(v1Model).hex), \(formatBytes(Int64(v1Model.count)))), declared in artifacts.yaml as model\n"))
        #expect(text.contains("\nrun:        train run ") && text.contains("  params:   train.epochs=20 train.lr=0.1\n"))
        #expect(text.contains("promoted v0.0.1 to staging by Test User <test@example.com> (tag model#staging#1, unsigned)"))
        let versions = try JSON.parse(try s.ok(["git", "mlops", "model", "show", "model", "--json"], in: repo).stdout)
        #expect(versions["versions"]?.array?.map { $0["version"]?.string ?? "" } == ["v0.1.0", "v0.0.1"])

        // Publish: the pre-push hook uploads the data, `git mlops push` the run records.
        try s.ok(["git", "init", "-q", "--bare", s.root + "/origin.git"])
        try s.ok(["git", "remote", "add", "origin", s.root + "/origin.git"], in: repo)
        try s.ok(["git", "push", "-q", "origin", "main", "--tags"], in: repo)
        try s.ok(["git", "mlops", "push"], in: repo)

        // A fresh clone gets the staging weights, and only them.
        try s.ok(["git", "clone", "-q", s.root + "/origin.git", s.root + "/clone"])
        let clone = s.root + "/clone"
        r = try s.ok(["git", "mlops", "model", "get", "model#staging", "-o", "out/model.npy"], in: clone)
        #expect(r.stdout == "wrote model v0.0.1 (model.npy: \(formatBytes(Int64(v1Model.count))), fetched from the default remote) to out/model.npy\n")
        #expect(try s.read(clone + "/out/model.npy") == v1Model)
        let status = try JSON.parse(try s.ok(["git", "mlops", "status", "--json"], in: clone).stdout)
        let missing = Set(status.array?.filter { $0["state"]?.string == "missing-from-cache" }.compactMap { $0["path"]?.string } ?? [])
        #expect(missing == ["data/prepared", "data/raw.csv", "model.npy"], "only v0.0.1's weights were fetched, not HEAD's data: \(status)")
        // The catalog travelled with the tags.
        #expect(try s.ok(["git", "mlops", "model", "list"], in: clone).stdout == s.ok(["git", "mlops", "model", "list"], in: repo).stdout)
        // A second get needs no remote, and an existing output is never replaced.
        try FS.removeTree(store)
        r = try s.ok(["git", "mlops", "model", "get", "model@v0.0.1", "-o", "again.npy"], in: clone)
        #expect(r.stdout.hasSuffix("to again.npy\n") && !r.stdout.contains("fetched"))
        r = try s.fails(["git", "mlops", "model", "get", "model@v0.0.1", "-o", "again.npy"], in: clone)
        #expect(r.stderr == "error: \(FS.realpath(clone)!)/again.npy exists; remove it or choose another output path\n")
    }

    @Test func aFailingGateRefusesThePromotionNamingTheMetricAndForceWithAReasonOverridesIt() throws {
        let s = try Sandbox()
        let repo = try Self.trained(s)
        try s.ok(["git", "mlops", "model", "register", "model", "--path", "model.npy", "--version", "v1.0.0"], in: repo)
        let metrics = try JSON.parse(String(decoding: try s.read(repo + "/metrics.json"), as: UTF8.self))
        let mse = try #require(metrics["mse"]?.double)
        var yaml = String(decoding: try s.read(repo + "/mlops.yaml"), as: UTF8.self)
        yaml += "promotion:\n  production:\n    mse: {max: 0.0000001}\n    metrics.json:epochs: {min: 10}\n  staging:\n    epochs: {min: 10, max: 100}\n"
        try s.write(repo + "/mlops.yaml", yaml)
        // The pipeline still reads its file with the catalog's block in it.
        #expect(try s.ok(["git", "mlops", "run", "--dry-run"], in: repo).stdout == "prepare: up to date\ntrain: up to date\n")

        var r = try s.ok(["git", "mlops", "model", "promote", "model@v1.0.0", "staging"], in: repo)
        #expect(r.stdout.hasPrefix("gate passed: epochs 20 (>= 10, <= 100)\npromoted model v1.0.0 to staging (tag model#staging#1)\n"))
        let before = try tags(s, repo)
        r = try s.fails(["git", "mlops", "model", "promote", "model@v1.0.0", "production"], in: repo)
        #expect(r.status == 1)
        #expect(r.stderr == "error: promotion of model v1.0.0 to 'production' refused by its gates: mse \(fmt(mse)) > max 1e-07; improve the model, or override with --force --reason TEXT (recorded in the tag)\n")
        #expect(try tags(s, repo) == before)
        r = try s.run(["git", "mlops", "model", "promote", "model@v1.0.0", "production", "--force"], in: repo)
        #expect(r.status == 129 && r.stderr.contains("--force needs --reason TEXT"))

        r = try s.ok(["git", "mlops", "model", "promote", "model@v1.0.0", "production", "--force", "--reason", "hotfix for incident 42"], in: repo)
        #expect(r.stdout.contains("gate FAILED: mse \(fmt(mse)) > max 1e-07\n") && r.stdout.contains("promoted model v1.0.0 to production (tag model#production#2)"))
        #expect(try s.ok(["git", "tag", "-l", "--format=%(contents)", "model#production#2"], in: repo).stdout == """
            Assigning stage production to artifact model version v1.0.0

            Override-Reason: hotfix for incident 42
            Override-Gate: mse \(fmt(mse)) > max 1e-07


            """)
        let show = try JSON.parse(try s.ok(["git", "mlops", "model", "show", "model@v1.0.0", "--json"], in: repo).stdout)
        let promo = show["stage_history"]?.array?.last
        #expect(promo?["override"]?["reason"]?.string == "hotfix for incident 42")
        #expect(promo?["override"]?["failed_gates"] == .array([.string("mse \(fmt(mse)) > max 1e-07")]))
        let audit = try s.ok(["git", "mlops", "audit", "model"], in: repo).stdout
        #expect(audit.contains("promoted model v1.0.0 to production, overriding mse \(fmt(mse)) > max 1e-07 because: hotfix for incident 42 (tag model#production#2, unsigned)"))

        // A malformed block is one error naming the file, and creates nothing.
        try s.write(repo + "/mlops.yaml", yaml.replacingOccurrences(of: "{min: 10, max: 100}", with: "{at_least: 10}"))
        r = try s.fails(["git", "mlops", "model", "promote", "model@v1.0.0", "qa"], in: repo)
        #expect(r.stderr == "error: mlops.yaml: `promotion`: 'staging.epochs' must be {min: N} and/or {max: N}; write `promotion:`, then `STAGE:`, then `METRIC: {min: N, max: N}` (see docs/catalog.md)\n")
        #expect(try tags(s, repo).count == before.count + 1)
    }

    @Test(.enabled(if: hasGTO, "needs GTO (pip install gto; scripts/setup installs it)"))
    func gtoReadsTheSameCatalog() throws {
        let s = try Sandbox()
        let repo = try Self.trained(s)
        let base = Self.now() + 1000
        let at = { (k: Int) in Self.at(base, k) }
        try s.ok(["git", "mlops", "model", "register", "model", "--path", "model.npy"], in: repo, env: at(1))
        let c1 = try s.rev(repo)
        try s.ok(["git", "mlops", "model", "promote", "model@v0.0.1", "staging"], in: repo, env: at(2))
        try s.ok(["git", "mlops", "model", "promote", "model@v0.0.1", "production"], in: repo, env: at(3))
        try Self.retrain(s, repo, lr: "0.05")
        let c2 = try s.rev(repo)
        try s.ok(["git", "mlops", "model", "register", "model", "--version", "v1.0.0-rc.1", "-m", "candidate"], in: repo, env: at(4))
        try s.ok(["git", "mlops", "model", "promote", "model@v1.0.0-rc.1", "production"], in: repo, env: at(5))
        // Unassigned again with GTO's tag (git-mlops has no command for it): production goes back to v0.0.1.
        try s.ok(["git", "tag", "-a", "-m", "rollback", "model#production!#3", c2], in: repo, env: at(6))
        try Self.retrain(s, repo, lr: "0.2")
        let c3 = try s.rev(repo)
        try s.ok(["git", "mlops", "model", "register", "model", "--bump", "major"], in: repo, env: at(7))
        try s.ok(["git", "mlops", "model", "deprecate", "model@v1.0.0-rc.1"], in: repo, env: at(8))
        // A second model: registered on the first commit, then deprecated; a third: a stage on a commit
        // that no version holds (GTO names that version by the commit).
        try s.ok(["git", "mlops", "model", "register", "old", "--version", "v3.2.1", c1], in: repo, env: at(9))
        try s.ok(["git", "mlops", "model", "deprecate", "old"], in: repo, env: at(10))
        try s.ok(["git", "tag", "-a", "-m", "by hand", "team/exp#dev#1", c3], in: repo, env: at(11))
        // What both ignore: lightweight tags, tags that do not parse.
        try s.ok(["git", "tag", "model@v9.0.0", c3], in: repo)
        try s.ok(["git", "tag", "-a", "-m", "x", "model@9.0", c3], in: repo, env: at(12))
        try s.ok(["git", "tag", "-a", "-m", "x", "release-2024", c3], in: repo, env: at(13))

        let gto = try JSON.parse(try s.ok(["gto", "show", "--json"], in: repo).stdout)
        let listed = try s.ok(["git", "mlops", "model", "list", "--json"], in: repo)
        #expect(listed.stderr == "warning: tag 'model@9.0': '9.0' is not a version (vX.Y.Z, semver, e.g. v1.0.0); ignored, as GTO ignores it\n")
        let ours = try JSON.parse(listed.stdout)
        let names = ours.array?.compactMap { $0["name"]?.string } ?? []
        #expect(names == (gto.object?.keys.sorted() ?? []) && names == ["model", "team/exp"])
        for m in ours.array ?? [] {
            let name = m["name"]!.string!
            let g = gto[name]!
            #expect(m["latest"] == g["version"], "\(name)")
            let gStages = (g["stage"]?.object ?? [:]).filter { $0.value != .null }
            #expect((m["stages"]?.object ?? [:]).mapValues { $0["version"]! } == gStages, "\(name)")
            #expect(m["registered"] == g["registered"] && g["active"] == .bool(true))
        }
        #expect(ours.array?.first?["latest"]?.string == "v2.0.0" && ours.array?.first?["stages"]?["production"]?["version"]?.string == "v0.0.1")
        #expect(ours.array?.dropFirst().first?["stages"]?["dev"]?["version"]?.string == c3)
        let withDeprecated = try JSON.parse(try s.ok(["git", "mlops", "model", "list", "--json", "--deprecated"], in: repo).stdout)
        let gtoDeprecated = try JSON.parse(try s.ok(["gto", "show", "--json", "--deprecated"], in: repo).stdout)
        #expect(withDeprecated.array?.first { $0["name"]?.string == "old" }?["deprecated"] == .bool(true))
        #expect(gtoDeprecated["old"]?["active"] == .bool(false) && gtoDeprecated["old"]?["version"]?.string == "v3.2.1")

        // Versions of one model: the registered ones, their commits, stages, authors and messages.
        let gv = try JSON.parse(try s.ok(["gto", "show", "model", "--json"], in: repo).stdout).array?.filter { $0["discovered"] == .bool(false) } ?? []
        let ov = try JSON.parse(try s.ok(["git", "mlops", "model", "show", "model", "--json"], in: repo).stdout)["versions"]?.array ?? []
        #expect(ov.map { $0["version"]! } == gv.map { $0["version"]! } && ov.count == 2)
        for (o, g) in zip(ov, gv) {
            #expect(o["commit"] == g["commit_hexsha"])
            #expect(o["stages"]?.array == g["stages"]?.array?.map { $0["stage"]! })
            #expect(o["registration"]?["by"] == g["author"] && o["registration"]?["email"] == g["author_email"])
            #expect(o["registration"]?["message"] == g["message"] && o["registration"]?["tag"] == g["ref"])
        }
        #expect([c3, c1] == ov.compactMap { $0["commit"]?.string })

        // Path and type: GTO's describe reads artifacts.yaml at the version's commit, as show does.
        for v in ["v0.0.1", "v2.0.0"] {
            let py = "from gto.api import describe; a = describe('.', 'model@\(v)'); print(a.type, a.path)"
            let g = try s.ok(["python3", "-c", py], in: repo).stdout
            let o = try JSON.parse(try s.ok(["git", "mlops", "model", "show", "model@\(v)", "--json"], in: repo).stdout)
            #expect(g == "\(o["weights"]?["type"]?.string ?? "") \(o["weights"]?["path"]?.string ?? "")\n" && g == "model model.npy\n")
        }

        // Every tag means the same event to both.
        let trail = try JSON.parse(try s.ok(["git", "mlops", "audit", "--json"], in: repo).stdout).array ?? []
        for tag in try tags(s, repo) {
            let g = try s.ok(["gto", "check-ref", tag, "--json"], in: repo).stdout
            guard !g.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, g.trimmingCharacters(in: .whitespacesAndNewlines) != "{}" else {
                #expect(["model@v9.0.0", "model@9.0", "release-2024"].contains(tag), "GTO ignores \(tag)")
                continue
            }
            let ge = try JSON.parse(g)
            let ours = try #require(trail.first { $0["tag"]?.string == tag }, "\(tag) in the audit trail")
            let kinds = ["registration": "register", "deregistration": "deregister", "assignment": "assign", "unassignment": "unassign", "deprecation": "deprecate"]
            #expect(ours["event"]?.string == kinds[ge["event"]?.string ?? ""], "\(tag)")
            #expect(ours["version"] == ge["version"] || ge["version"] == nil, "\(tag)")
            #expect(ours["commit"] == ge["commit_hexsha"] && ours["by"] == ge["author"], "\(tag)")
        }
    }

    @Test(.enabled(if: hasSSHKeygen, "needs ssh-keygen"))
    func signedTagsVerifyAndATamperedTagIsReportedBad() throws {
        let s = try Sandbox()
        let repo = try Self.trained(s)
        try s.ok(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "test", "-f", s.home + "/signing"])
        let pub = String(decoding: try s.read(s.home + "/signing.pub"), as: UTF8.self)
        try s.write(s.home + "/allowed_signers", "test@example.com \(pub)")
        try s.ok(["git", "config", "gpg.format", "ssh"], in: repo)
        try s.ok(["git", "config", "user.signingkey", s.home + "/signing"], in: repo)
        try s.ok(["git", "config", "gpg.ssh.allowedSignersFile", s.home + "/allowed_signers"], in: repo)

        try s.ok(["git", "mlops", "model", "register", "model", "--path", "model.npy", "--sign"], in: repo)
        try s.ok(["git", "mlops", "model", "promote", "model@v0.0.1", "production", "--sign"], in: repo)
        try s.ok(["git", "mlops", "model", "promote", "model@v0.0.1", "staging"], in: repo)
        try s.ok(["git", "verify-tag", "model@v0.0.1"], in: repo)
        var show = try JSON.parse(try s.ok(["git", "mlops", "model", "show", "model@v0.0.1", "--json"], in: repo).stdout)
        #expect(show["registration"]?["signature"]?.string == "verified")
        #expect(show["registration"]?["message"]?.string == "Registering artifact model version v0.0.1")
        #expect(show["stage_history"]?.array?.map { $0["signature"]?.string ?? "" } == ["verified", "unsigned"])

        // Tamper with the signed promotion: same signature, another message, put back under the same name.
        let raw = try s.ok(["git", "cat-file", "tag", "model#production#1"], in: repo).stdout
        #expect(raw.contains("-----BEGIN SSH SIGNATURE-----"))
        try s.write(s.root + "/forged", raw.replacingOccurrences(of: "version v0.0.1", with: "version v0.0.1 (approved by the CEO)"))
        let forged = try s.ok(["git", "hash-object", "-t", "tag", "-w", s.root + "/forged"], in: repo).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try s.ok(["git", "update-ref", "refs/tags/model#production#1", forged], in: repo)
        show = try JSON.parse(try s.ok(["git", "mlops", "model", "show", "model@v0.0.1", "--json"], in: repo).stdout)
        let production = show["stage_history"]?.array?.first
        #expect(production?["message"]?.string == "Assigning stage production to artifact model version v0.0.1 (approved by the CEO)")
        #expect(production?["signature"]?.string == "bad")
        #expect(production?["signature_detail"]?.string?.contains("incorrect signature") == true)
        #expect(show["registration"]?["signature"]?.string == "verified")
        let audit = try s.ok(["git", "mlops", "audit", "model"], in: repo).stdout
        #expect(audit.contains("(tag model@v0.0.1, verified)") && audit.contains("(tag model#production#1, bad)") && audit.contains("(tag model#staging#2, unsigned)"))

        // A key git does not trust is not "verified".
        try s.write(s.home + "/allowed_signers", "")
        show = try JSON.parse(try s.ok(["git", "mlops", "model", "show", "model@v0.0.1", "--json"], in: repo).stdout)
        #expect(show["registration"]?["signature"]?.string == "unverified")
    }

    @Test func theAuditTrailOfAModelListsItsTrainingRunsRegistrationsAndPromotionsInOrder() throws {
        let s = try Sandbox()
        let repo = try Self.trained(s)
        let base = Self.now() + 1000
        try s.ok(["git", "mlops", "model", "register", "model", "--path", "model.npy"], in: repo, env: Self.at(base, 1))
        try s.ok(["git", "mlops", "model", "promote", "model@v0.0.1", "staging"], in: repo, env: Self.at(base, 2))
        try Self.retrain(s, repo, lr: "0.05")
        try s.ok(["git", "mlops", "model", "register", "model"], in: repo, env: Self.at(base, 3))
        try s.ok(["git", "mlops", "model", "promote", "model@v0.0.2", "production", "--force", "--reason", "demo day"], in: repo, env: Self.at(base, 4))

        let trail = try JSON.parse(try s.ok(["git", "mlops", "audit", "model", "--json"], in: repo).stdout).array ?? []
        #expect(trail.map { $0["kind"]?.string ?? "" } == ["run", "data", "run", "data", "register", "promote", "register", "promote"])
        let times = trail.compactMap { $0["at"]?.string }
        #expect(times == times.sorted() && times.count == trail.count)
        #expect(trail.filter { $0["kind"]?.string == "run" }.map { $0["run"]?["params"]?["train.lr"] } == [.double(0.1), .double(0.05)])
        #expect(trail[0]["who"]?.string?.contains("@") == true && trail[0]["commit"]?.string != nil)
        #expect(trail[1]["who"]?.string == "Test User" && trail[1]["path"]?.string == "model.npy" && trail[1]["change"]?.string == "added")
        #expect(trail[4]["who"]?.string == "Test User <test@example.com>" && trail[4]["tag"]?.string == "model@v0.0.1")
        #expect(trail[7]["override"]?["reason"]?.string == "demo day")
        let text = try s.ok(["git", "mlops", "audit", "model"], in: repo).stdout.split(separator: "\n")
        #expect(text.count == 8 && text[4].contains("  register  ") && text[4].hasSuffix("registered model v0.0.1 (tag model@v0.0.1, unsigned)"))

        // A dataset's trail: its commit and the run that read it.
        let raw = try JSON.parse(try s.ok(["git", "mlops", "audit", "data/raw.csv", "--json"], in: repo).stdout).array ?? []
        #expect(raw.map { $0["kind"]?.string ?? "" } == ["data", "run"] || raw.map { $0["kind"]?.string ?? "" } == ["run", "data"])
        #expect(raw.first { $0["kind"]?.string == "run" }?["run"]?["stage"]?.string == "prepare")

        // --since: only what happened after the first promotion.
        let since = CatalogTimeForTests.iso(base + 2)
        let recent = try JSON.parse(try s.ok(["git", "mlops", "audit", "model", "--since", since, "--json"], in: repo).stdout).array ?? []
        #expect(recent.map { $0["kind"]?.string ?? "" } == ["promote", "register", "promote"])
        // The report has a Models page fed by the catalog.
        try s.ok(["git", "mlops", "report", "-o", s.root + "/report"], in: repo)
        let page = String(decoding: try s.read(s.root + "/report/catalog.html"), as: UTF8.self)
        #expect(page.contains("model#production#2") && page.contains("v0.0.2") && page.contains("staging"))
        let bad = try s.run(["git", "mlops", "audit", "model", "--since", "last tuesday"], in: repo)
        #expect(bad.status == 129 && bad.stderr == "error: --since: 'last tuesday' is not a date; write YYYY-MM-DD or an ISO 8601 time such as 2026-12-03T18:00:00Z\n")
    }

    @Test func badInputGetsOneClearErrorAndCreatesNothing() throws {
        let s = try Sandbox()
        let repo = try Self.trained(s)
        try s.ok(["git", "mlops", "model", "register", "model", "--path", "model.npy"], in: repo)
        let head = try s.rev(repo)
        let before = try tags(s, repo)
        func refused(_ args: [String], _ message: String, status: Int32 = 1, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let r = try s.run(["git", "mlops", "model"] + args, in: repo)
            #expect(r.status == status, "\(args): \(r)", sourceLocation: sourceLocation)
            #expect(r.stderr == "error: " + message + "\n", "\(args)", sourceLocation: sourceLocation)
            #expect(try tags(s, repo) == before, sourceLocation: sourceLocation)
            #expect(try s.rev(repo) == head, sourceLocation: sourceLocation)
        }
        try refused(["register", "my model"], "'my model' is not a valid model name; use letters, digits, '-', '_' and '/', starting and ending with a letter or digit (GTO's rule)")
        try refused(["register", "a//b"], "'a//b' makes tag names git refuses (`git check-ref-format` rejects refs/tags/a//b@v0.0.1); avoid '//', a trailing '/', and path components starting with '.' or ending in '.lock'")
        try refused(["register", "model2", "--version", "1.0.0"], "version '1.0.0' lacks its 'v'; write v1.0.0 (GTO's versions start with 'v')")
        try refused(["register", "model2", "--version", "v1.0"], "'v1.0' is not a semantic version; write vMAJOR.MINOR.PATCH, e.g. v1.0.0 or v1.1.0-rc.1 (see semver.org)")
        try refused(["register", "model"], "commit \(head.prefix(10)) already holds model v0.0.1 (GTO allows one version of a model per commit); commit the new weights and register that commit, or promote model@v0.0.1")
        try refused(["register", "model2", "--path", "/etc/passwd"], "'/etc/passwd' is not a path inside the repository; give the weights' path relative to the repository root")
        try refused(["register", "model2", "--path", "../outside"], "'../outside' is not a path inside the repository; give the weights' path relative to the repository root")
        try refused(["register", "model2", "--path", "nothing.bin"], "nothing.bin is not in commit \(head.prefix(10)) (neither nothing.bin.mlops nor the file itself); store it with `git mlops add nothing.bin` (or `git mlops run`) and commit, then register")
        try refused(["register", "model2", "--bump", "minor"], "cannot bump: model2 has no version yet; register the first one with --version (default v0.0.1)")
        try refused(["promote", "model@v9.9.9", "production"], "model 'model' has no version v9.9.9; registered versions: v0.0.1")
        try refused(["promote", "nomodel@v0.0.1", "production"], "no model named 'nomodel' in the catalog; known models: model")
        try refused(["promote", "model@v0.0.1", "pro#d"], "stage name 'pro#d' contains '#'; '#' separates the parts of a promotion tag (NAME#STAGE#N); choose a name without it")
        try refused(["promote", "model@v0.0.1", "pro d"], "'pro d' is not a valid stage name; use letters, digits, '-', '_' and '/', starting and ending with a letter or digit (GTO's rule)")
        try refused(["show", "model@1.0"], "'1.0' is not a semantic version; write vMAJOR.MINOR.PATCH, e.g. v1.0.0 or v1.1.0-rc.1 (see semver.org)")
        try refused(["get", "model#nowhere", "-o", "x"], "no version of 'model' is in stage 'nowhere'; promote one with `git mlops model promote model@VERSION nowhere`")
        try refused(["deprecate", "model@v2.0.0"], "model 'model' has no version v2.0.0; registered versions: v0.0.1")
        #expect(!FS.exists(repo + "/x"))

        // A tag that looks like ours but does not parse is named once, and ignored.
        try s.ok(["git", "tag", "-a", "-m", "oops", "model#prod#x"], in: repo)
        let r = try s.ok(["git", "mlops", "model", "list"], in: repo)
        #expect(r.stderr == "warning: tag 'model#prod#x': '#x' is not a counter (#N with N a number); ignored, as GTO ignores it\n")
        #expect(r.stdout == "name   latest\nmodel  v0.0.1\n")
    }

    /// What another clone may have committed or tagged: a declaration pointing outside the repository,
    /// terminal escapes in tag messages and run records.
    @Test func hostileDeclarationsAndMessagesAreRefusedOrDefused() throws {
        let s = try Sandbox()
        let repo = try Self.trained(s)
        try s.ok(["git", "mlops", "model", "register", "model", "--path", "model.npy"], in: repo)
        try s.write(repo + "/artifacts.yaml", String(decoding: try s.read(repo + "/artifacts.yaml"), as: UTF8.self) + "evil:\n  path: ../../../etc/passwd\n")
        try s.ok(["git", "commit", "-qam", "evil"], in: repo)
        let head = try s.rev(repo)
        try s.ok(["git", "tag", "-a", "-m", "by someone", "evil@v1.0.0"], in: repo)
        var r = try s.fails(["git", "mlops", "model", "get", "evil@v1.0.0", "-o", "out"], in: repo)
        let why = "error: \(head.prefix(10)):artifacts.yaml: artifact 'evil' has path '../../../etc/passwd' outside the repository; give a path relative to the repository root, without '..'\n"
        #expect(r.stderr == why && !FS.exists(repo + "/out"))
        #expect(try s.fails(["git", "mlops", "model", "show", "evil@v1.0.0"], in: repo).stderr == why)
        // Another model declared at that commit is unaffected, and escapes in its tag never reach the
        // terminal; --json keeps the text as it is (escaped by JSON).
        try s.ok(["git", "tag", "-a", "-m", "Registering\u{1b}[2J\u{1b}]0;pwned\u{07}", "model@v0.0.2"], in: repo)
        for args in [["model", "show", "model@v0.0.2"], ["model", "show", "model"], ["audit"], ["audit", "model"], ["model", "list"]] {
            r = try s.ok(["git", "mlops"] + args, in: repo)
            #expect(!r.stdout.contains("\u{1b}") && !r.stdout.contains("\u{07}"), "\(args): \(r)")
        }
        #expect(try s.ok(["git", "mlops", "audit"], in: repo).stdout.contains("registered evil v1.0.0 (tag evil@v1.0.0, unsigned)"))
        #expect(try s.ok(["git", "mlops", "model", "show", "model@v0.0.2"], in: repo).stdout.contains("\n            Registering?[2J?]0;pwned?\n"))
        let show = try JSON.parse(try s.ok(["git", "mlops", "model", "show", "model@v0.0.2", "--json"], in: repo).stdout)
        #expect(show["registration"]?["message"]?.string == "Registering\u{1b}[2J\u{1b}]0;pwned\u{07}")
        #expect(show["weights"]?["path"]?.string == "model.npy")
    }

    @Test func twoClonesRegisteringTheSameVersionTheSecondPushIsRefusedWithHowToBump() throws {
        let s = try Sandbox()
        let repo = try Self.trained(s)
        _ = try Self.withDataRemote(s, repo)
        try s.ok(["git", "init", "-q", "--bare", s.root + "/origin.git"])
        try s.ok(["git", "remote", "add", "origin", s.root + "/origin.git"], in: repo)
        try s.ok(["git", "push", "-q", "origin", "main"], in: repo)
        try s.ok(["git", "clone", "-q", s.root + "/origin.git", s.root + "/other"])
        let other = s.root + "/other"
        try s.ok(["git", "mlops", "hooks", "install"], in: other)

        try s.ok(["git", "mlops", "model", "register", "model", "--path", "model.npy", "--version", "v1.0.0"], in: repo)
        try s.ok(["git", "push", "-q", "origin", "main", "model@v1.0.0"], in: repo)
        try s.write(other + "/notes.txt", "another change\n")
        try s.ok(["git", "add", "notes.txt"], in: other)
        try s.ok(["git", "commit", "-qm", "other"], in: other)
        try s.ok(["git", "mlops", "model", "register", "model", "--path", "model.npy", "--version", "v1.0.0"], in: other)
        let mine = try s.rev(other)
        let r = try s.fails(["git", "push", "origin", "model@v1.0.0"], in: other)
        #expect(r.stderr.contains("git-mlops: origin already has tag model@v1.0.0: another clone registered model v1.0.0 first, so git refuses yours\n"))
        #expect(r.stderr.contains("hint: keep theirs and register your commit as the next version: git tag -d model@v1.0.0 && git fetch origin tag model@v1.0.0 && git mlops model register model --bump patch \(mine.prefix(10))\n"))
        #expect(r.stderr.contains("[rejected]") && r.stderr.contains("(already exists)"))
        // Following the hint works.
        try s.ok(["git", "tag", "-d", "model@v1.0.0"], in: other)
        try s.ok(["git", "fetch", "-q", "origin", "tag", "model@v1.0.0"], in: other)
        try s.ok(["git", "mlops", "model", "register", "model", "--bump", "patch", String(mine.prefix(10))], in: other)
        try s.ok(["git", "push", "-q", "origin", "model@v1.0.1"], in: other)
    }

    @Test func aSigningFailureLeavesNoTagAndNoCommit() throws {
        let s = try Sandbox()
        let repo = try Self.trained(s)
        let head = try s.rev(repo)
        try s.ok(["git", "config", "gpg.format", "ssh"], in: repo)
        try s.ok(["git", "config", "user.signingkey", s.root + "/no-such-key"], in: repo)
        let r = try s.fails(["git", "mlops", "model", "register", "model", "--path", "model.npy", "--sign"], in: repo)
        #expect(r.stderr.hasPrefix("error: `git tag -s --cleanup=whitespace -F - -- model@v0.0.1 "), "\(r)")
        #expect(r.stderr.hasSuffix("; check git's signing setup (`gpg.format`, `user.signingkey`), or leave out --sign\n"))
        #expect(r.stderr.split(separator: "\n").count == 1)
        #expect(try tags(s, repo).isEmpty)
        #expect(try s.rev(repo) == head && !FS.exists(repo + "/artifacts.yaml"))
        #expect(try s.ok(["git", "status", "--porcelain"], in: repo).stdout == "")
    }

    @Test func getWritesADirectoryWholeAndWeightsKeptInGit() throws {
        let s = try Sandbox()
        let repo = try Self.trained(s)
        try s.ok(["git", "mlops", "model", "register", "prepared", "--path", "data/prepared", "--type", "dataset"], in: repo)
        try s.ok(["git", "mlops", "model", "register", "scores", "--path", "metrics.json"], in: repo)
        var r = try s.ok(["git", "mlops", "model", "get", "prepared@v0.0.1", "-o", "copy/prepared"], in: repo)
        #expect(r.stdout.hasPrefix("wrote prepared v0.0.1 (data/prepared: 2 files, "))
        #expect(try s.fingerprint(repo + "/copy/prepared") == s.fingerprint(repo + "/data/prepared"))
        #expect(try FS.listDirectory(repo + "/copy").map(\.name) == ["prepared"], "no staging directory left")
        r = try s.ok(["git", "mlops", "model", "get", "scores@latest", "-o", "copy/metrics.json"], in: repo)
        #expect(try s.read(repo + "/copy/metrics.json") == s.read(repo + "/metrics.json"))
        let show = try JSON.parse(try s.ok(["git", "mlops", "model", "show", "scores@v0.0.1", "--json"], in: repo).stdout)
        #expect(show["weights"]?["git_blob"]?.string == (try s.rev(repo, "HEAD:metrics.json")))
    }

    @Test func getFromARemoteWhoseDataIsCorruptWritesNothing() throws {
        let s = try Sandbox()
        let repo = try Self.trained(s)
        let store = try Self.withDataRemote(s, repo)
        try s.ok(["git", "mlops", "model", "register", "model", "--path", "model.npy"], in: repo)
        try s.ok(["git", "mlops", "push"], in: repo)
        try s.ok(["git", "clone", "-q", repo, s.root + "/clone"])
        for e in try FS.listDirectory(store + "/packs") where e.name.hasSuffix(".pack") {
            var bytes = try s.read(store + "/packs/" + e.name)
            for i in stride(from: 64, to: bytes.count, by: 97) { bytes[i] ^= 0x5a }
            try s.write(store + "/packs/" + e.name, bytes)
        }
        let r = try s.fails(["git", "mlops", "model", "get", "model@v0.0.1", "-o", "out/model.npy"], in: s.root + "/clone")
        #expect(r.stderr.hasPrefix("error: ") && r.stderr.split(separator: "\n").count == 1, "\(r)")
        #expect(!FS.exists(s.root + "/clone/out/model.npy"))
        #expect(((try? FS.listDirectory(s.root + "/clone/out")) ?? []).isEmpty)
    }
}

/// A number as git-mlops prints it: whole numbers without `.0`, others in Swift's shortest form.
func fmt(_ d: Double) -> String { d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : "\(d)" }

/// ISO 8601 UTC for `--since`.
enum CatalogTimeForTests {
    static func iso(_ seconds: Int) -> String {
        let f = ISO8601DateFormatter()
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }
}
