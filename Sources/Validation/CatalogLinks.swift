import Catalog
import Foundation
import GitBridge
import Lineage
import MLOpsBasics
import Workspace

// Validation sits above Catalog: the catalog declares the seams (PromotionGates, AuditSource,
// VersionFactsProvider) and Validation fills them, so neither imports upward.

/// `baseline: production` (or any catalog stage): the metrics of the version now in that stage.
public final class CatalogBaselines: BaselineProvider {
    let root: String
    /// The model being promoted; nil in the hooks, where the model is the one whose version in the
    /// stage has the metrics file.
    let model: String?
    private var registry: ModelRegistry?

    public init(root: String, model: String? = nil, registry: ModelRegistry? = nil) {
        self.root = root; self.model = model; self.registry = registry
    }

    public func baseline(named name: String, file: String) throws -> NamedBaseline? {
        guard (try? CatalogNames.checkStage(name)) != nil else { return nil }
        let reg: ModelRegistry
        if let r = registry { reg = r } else { reg = try ModelRegistry(cwd: root); registry = reg }
        let models = try model.map { [try reg.catalog.model($0)] } ?? reg.catalog.list()
        guard !models.isEmpty else { return nil }
        var found: [(label: String, doc: JSON)] = []
        for m in models {
            guard let v = m.stages[name]?.version else { continue }
            let label = "\(name) (\(m.name) \(v.name))"
            if let doc = try Self.metrics(file, of: m.name, v, registry: reg) { found.append((label, doc)) }
        }
        if found.isEmpty {
            // A revision of that name (a branch called `production`) wins over a stage nothing holds.
            if models.allSatisfy({ $0.stages[name] == nil }), (try? reg.git.resolveCommit(name)) != nil { return nil }
            return NamedBaseline(metrics: nil, label: "\(name) (no version there has \(file))")
        }
        guard found.count == 1 else {
            throw MLOpsError("baseline '\(name)' of the gates of \(file) is ambiguous: \(found.map(\.label).joined(separator: ", ")) all have it",
                             hint: "gate one model's metrics file per stage, or name a revision as the baseline")
        }
        return NamedBaseline(metrics: found[0].doc, label: found[0].label)
    }

    /// A version's metrics file: as the run that made its weights recorded it, else as its commit holds it.
    static func metrics(_ file: String, of model: String, _ v: ModelVersion, registry: ModelRegistry) throws -> JSON? {
        if let doc = try registry.producer(model, v)?.metrics[file] { return doc }
        guard let bytes = try registry.git.file(file, in: v.commit) else { return nil }
        return try Values.parseDocument(String(decoding: bytes, as: UTF8.self), path: "\(v.commit.short):\(file)")
    }
}

/// The gates `model promote` runs: the stage's thresholds (`promotion:` in mlops.yaml) and the
/// `gates:` of mlops.yaml on the version's metrics, where `baseline: production` is the version now
/// in production and `previous` starts at the parent of the version's commit.
public struct ValidationPromotionGates: PromotionGates {
    let registry: ModelRegistry

    public init(registry: ModelRegistry) { self.registry = registry }

    public func check(_ r: PromotionRequest) throws -> [GateResult] {
        let root = registry.git.workdir
        var out = try ThresholdGates.load(root: root).check(r)
        let spec = try ValidationSpec.load(root: root)
        guard !spec.gates.isEmpty, let repo = registry.repo else { return out }
        var metrics = r.metrics
        for g in spec.gates where metrics[g.file] == nil {
            if let bytes = try registry.git.file(g.file, in: r.commit) {
                metrics[g.file] = try Values.parseDocument(String(decoding: bytes, as: UTF8.self), path: "\(r.commit.short):\(g.file)")
            }
        }
        // Gates of metrics files this version has nothing of belong to other models.
        let judge = GateJudge(repo: repo, gates: spec.gates.filter { metrics[$0.file] != nil },
                              baselines: [CatalogBaselines(root: root, model: r.model, registry: registry)])
        let parent = try repo.git.commitInfo(r.commit).parents.first
        for f in try judge.judge(metrics: metrics, at: parent) where f.verdict != .skipped {
            out.append(GateResult(metric: f.column.map { "\(f.subject):\($0)" } ?? f.subject, passed: f.verdict != .fail,
                                  detail: (f.verdict == .warn ? "warning: " : "") + f.line))
        }
        return out
    }
}

/// `audit` entries of kind `bypass`: commits made with `--no-verify` past failing checks, as the
/// post-commit hook noted them.
public struct BypassAuditSource: AuditSource {
    public init() {}

    public func entries(_ c: AuditContext) throws -> [AuditEntry] {
        guard let journal = c.journal else { return [] }
        return try journal.validationEntries().compactMap { commit, e -> AuditEntry? in
            guard e["kind"]?.string == "bypass" else { return nil }
            let failed = (e["failed"]?.array ?? []).compactMap(\.string)
            let subjects = (e["findings"]?.array ?? []).compactMap { $0["subject"]?.string }
            switch c.subject {
            case .everything: break
            case .model, .path:
                guard subjects.contains(where: { s in c.paths.contains { s == $0 || s.hasPrefix($0 + "/") } }) else { return nil }
            }
            let at = e["at"]?.string.flatMap(Self.seconds)
            let time = try at ?? Double(c.registry.git.commitInfo(commit).time)
            let who = (e["user"]?.string ?? "?") + (e["host"]?.string.map { "@" + $0 } ?? "")
            var what = "committed with --no-verify past failing checks"
            if let first = failed.first { what += ": " + first + (failed.count > 1 ? " (and \(failed.count - 1) more)" : "") }
            return AuditEntry(kind: "bypass", time: time, who: String(who.prefix(200)), commit: commit, what: String(what.prefix(2000)), details: e)
        }
    }

    static func seconds(_ iso: String) -> Double? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: iso) { return d.timeIntervalSince1970 }
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: iso)?.timeIntervalSince1970
    }
}

/// `model show`: the checks and gates at the version's commit, from stored profiles only (nothing is
/// fetched, computed or run), and any bypass noted on that commit.
public struct ValidationFacts: VersionFactsProvider {
    public init() {}

    public func facts(model: String, version: ModelVersion, registry: ModelRegistry) throws -> (key: String, json: JSON, text: [String])? {
        guard let repo = registry.repo else { return nil }
        var o = ValidationOptions()
        o.side = .commit(version.commit)
        o.readData = false
        o.commands = false
        o.storedProfilesOnly = true
        let report: ValidationReport
        do { report = try Validator(repo: repo).run(o) } catch {
            return ("validation", .object(["error": .string("\(error)")]), [displayable("validation: not run at \(version.commit.short): \(error)", newlines: false)])
        }
        let bypasses = Journal(repo: repo).validationEntries(on: version.commit).filter { $0["kind"]?.string == "bypass" }
        guard !report.findings.isEmpty || !bypasses.isEmpty else { return nil }
        let counts = [Verdict.pass, .fail, .warn, .skipped].map { v in (v, report.findings.filter { $0.verdict == v }.count) }.filter { $0.1 > 0 }
        var text = ["validation: " + (counts.isEmpty ? "nothing checked" : counts.map { "\($0.1) \($0.0 == .fail ? "FAILED" : $0.0.rawValue)" }.joined(separator: ", "))
                    + " at \(version.commit.short) (`git mlops validate --rev \(version.commit.short)`)"]
        for f in report.findings where f.verdict == .fail || f.verdict == .warn { text.append("  \(f.verdict == .fail ? "FAIL" : "warn"): \(f.line)") }
        if !bypasses.isEmpty { text.append("  committed with --no-verify past failing checks (`git mlops audit` shows them)") }
        var json = report.json.object ?? [:]
        json["bypasses"] = .array(bypasses)
        return ("validation", .object(json), text.map { displayable($0, newlines: false) })
    }
}
