import Foundation
import GitBridge
import Lineage
import MLOpsBasics
import Profiling
import Workspace

/// What to validate and how.
public struct ValidationOptions: Sendable {
    /// Only datasets and metrics files at or under these paths (relative to `cwd`); all when empty.
    public var paths: [String] = []
    public var side: ValidationSide = .workspace
    /// Only what changes: datasets whose pointer and metrics files whose content is staged (for
    /// `.staged` and `.workspace`), or changed by the commit (for `.commit`).
    public var changedOnly = false
    public var dataChecks = true
    public var gates = true
    /// Read the data for `unique` and `allowed` when the profile cannot decide.
    public var readData = true
    /// Run trusted `cmd:` checks.
    public var commands = true
    /// Only profiles already in the store: nothing is fetched or computed (`model show`).
    public var storedProfilesOnly = false
    /// Untrusted commands fail instead of being reported as not run (`mlops.checks.strict`).
    public var strict = false
    public var cwd = FS.currentDirectory

    public init() {}
}

/// Runs the checks, drift comparisons and gates of mlops.yaml. Every answer comes from profiles
/// where they can give it: no data is read unless a rule needs the values themselves.
public final class Validator {
    public let repo: Repo
    /// Named baselines for gates: the catalog's stages (`production`), read only when a gate names one.
    public var baselines: [BaselineProvider]

    public init(repo: Repo) {
        self.repo = repo
        baselines = [CatalogBaselines(root: repo.root)]
    }

    public func run(_ o: ValidationOptions) throws -> ValidationReport {
        let reader = SideReader(repo: repo, side: o.side)
        let spec = try reader.spec()
        guard !spec.isEmpty else { return ValidationReport() }
        let selected = try o.paths.map { try selection($0, cwd: o.cwd) }
        func wanted(_ p: String) -> Bool {
            selected.isEmpty || selected.contains { $0.isEmpty || p == $0 || p.hasPrefix($0 + "/") || $0.hasPrefix(p + "/") }
        }
        let changed = o.changedOnly ? try reader.changedPaths() : nil
        var report = ValidationReport()
        if o.dataChecks && !spec.checks.isEmpty {
            let lock = try repo.lockStore()
            defer { lock.release() }
            let access = DataAccess(repo: repo)
            access.storedOnly = o.storedProfilesOnly
            defer { access.close() }
            let run = DataRun(repo: repo, reader: reader, access: access, options: o)
            let tracked = try reader.pointers()
            for block in spec.checks {
                let sets: [Dataset]
                do { sets = try access.datasets(block.target, isGlob: block.isGlob, in: tracked) } catch {
                    report.findings.append(Finding(subject: block.target, check: "data", observed: "\(error)", expected: "data to check", verdict: .fail))
                    continue
                }
                if sets.isEmpty && changed == nil && selected.isEmpty {
                    report.findings.append(.judged(false, block.severity, subject: block.target, check: "data", observed: "nothing tracked matches",
                                                   expected: "a tracked file or directory", note: "fix the path at line \(block.line) of \(Pipeline.fileName), or `git mlops add` the data"))
                }
                for d in sets where wanted(d.path) {
                    if let changed, !changed.contains(Pointer.pointerPath(forData: d.trackedPath)) { continue }
                    report.findings += try run.check(d, block)
                }
            }
        }
        if o.gates && !spec.gates.isEmpty {
            let judge = GateJudge(repo: repo, gates: spec.gates, baselines: baselines)
            let pipeline = try reader.pipeline()
            for g in spec.gates where wanted(g.file) {
                if let changed, !changed.contains(g.file) { continue }
                var doc: JSON?
                if let bytes = try reader.file(g.file) {
                    doc = try Values.parseDocument(String(decoding: bytes, as: UTF8.self), path: g.file)
                } else if let c = reader.commit {
                    doc = try judge.metrics(file: g.file, at: c)
                }
                guard let doc else {
                    report.findings += g.gates.map { Finding(subject: g.file, column: $0.metric, check: "gate", observed: "no such file",
                                                             expected: judge.describe($0), verdict: .skipped, note: "nothing to judge until a stage writes it") }
                    continue
                }
                report.findings += try judge.judge(g, doc: doc, previousStart: reader.previousStart, pipeline: pipeline)
            }
        }
        return report
    }

    /// A path given on the command line, repository-relative ("" for the root).
    func selection(_ u: String, cwd: String) throws -> String {
        let abs = u.hasPrefix("/") ? u : joinPath(cwd, u)
        if FS.realpath(abs) == repo.root { return "" }
        var rel = try repo.relativePath(u, cwd: cwd)
        if rel.hasSuffix(Pointer.suffix) { rel = Pointer.dataPath(forPointer: rel) }
        return rel
    }
}

/// The data checks of one validation run.
struct DataRun {
    let repo: Repo
    let reader: SideReader
    let access: DataAccess
    let options: ValidationOptions

    func check(_ d: Dataset, _ block: DataChecks) throws -> [Finding] {
        let profile: Profile
        do { profile = try access.profile(d) } catch {
            let notHere = access.storedOnly || ((try? access.localFile(d)) == nil && !repo.store.contains(d.id) && !d.isDirectory)
            return [Finding(subject: d.path, check: "readable", observed: "\(error)", expected: "a table git-mlops reads",
                            verdict: notHere ? .skipped : (block.severity == .warn ? .warn : .fail))]
        }
        var out = DataRules.rows(block, profile, subject: d.path)
        var rules = block.columns
        if let schemaPath = block.schema {
            do {
                guard let bytes = try reader.file(schemaPath) else { throw MLOpsError("\(schemaPath): no such file", hint: "fix `schema:` at line \(block.line) of \(Pipeline.fileName)") }
                let schema = try TableSchema.parse(try Values.parseDocument(String(decoding: bytes, as: UTF8.self), path: schemaPath), path: schemaPath)
                let names = profile.columns.map(\.name)
                let missing = schema.fields.filter { !names.contains($0) }, extra = names.filter { !schema.fields.contains($0) }
                let observed = missing.isEmpty && extra.isEmpty ? "\(names.count) columns as listed"
                    : [missing.isEmpty ? nil : "missing \(missing.joined(separator: ", "))", extra.isEmpty ? nil : "not in the schema: \(extra.joined(separator: ", "))"].compactMap { $0 }.joined(separator: "; ")
                out.append(.judged(missing.isEmpty && extra.isEmpty, block.severity, subject: d.path, check: "schema fields", observed: observed, expected: "the fields of \(schemaPath)"))
                for u in schema.unsupported {
                    out.append(Finding(subject: d.path, check: "schema", observed: u, expected: "", verdict: .skipped, note: "a profile cannot check this"))
                }
                rules += schema.rules.filter { profile.column($0.name) != nil }
            } catch {
                out.append(.judged(false, block.severity, subject: d.path, check: "schema", observed: "\(error)", expected: "a readable Table Schema"))
            }
        }
        for r in rules {
            out += DataRules.column(r, profile, subject: d.path, severity: block.severity)
            guard let c = profile.column(r.name) else { continue }
            let sev = r.severity ?? block.severity
            if r.unique {
                out.append(try exact(d, c, rule: r, check: "unique", answer: DataRules.unique(c), expected: "no repeated value", sev) { file in
                    try ExactAnswer.firstDuplicate(file: file, name: d.path, column: r.name, values: c.count - c.nulls).map { (false, "repeated: \($0)") }
                        ?? (true, "\(c.count - c.nulls) distinct values (read)")
                })
            }
            if let allowed = r.allowed {
                let expected = "one of " + allowed.prefix(10).joined(separator: ", ") + (allowed.count > 10 ? ", ..." : "")
                out.append(try exact(d, c, rule: r, check: "allowed", answer: DataRules.allowed(c, allowed), expected: expected, sev) { file in
                    let (n, examples) = try ExactAnswer.disallowed(file: file, name: d.path, column: r.name, allowed: allowed)
                    return n == 0 ? (true, "all allowed (read)") : (false, "\(n) other value\(n == 1 ? "" : "s"): " + examples.joined(separator: ", "))
                })
            }
        }
        if let rule = block.drift { out += drift(d, profile, rule, block) }
        if let cmd = block.cmd { out.append(try command(cmd, d, block)) }
        return out
    }

    /// A rule the profile decides, or that reads the data.
    private func exact(_ d: Dataset, _ c: ColumnProfile, rule: ColumnRule, check: String, answer: DataRules.Answer, expected: String,
                       _ sev: Severity, read: (String) throws -> (Bool, String)) throws -> Finding {
        switch answer {
        case .decided(let ok, let observed):
            return .judged(ok, sev, subject: d.path, column: rule.name, check: check, observed: observed, expected: expected)
        case .needsData(let why):
            guard options.readData else {
                return Finding(subject: d.path, column: rule.name, check: check, observed: "-", expected: expected, verdict: .skipped, note: why)
            }
            guard TableScan.supports(d.path), !d.isDirectory else {
                return Finding(subject: d.path, column: rule.name, check: check, observed: "-", expected: expected, verdict: .skipped,
                               note: why + "; \(d.isDirectory ? "check its files with a glob" : "its values cannot be read one by one")")
            }
            guard let file = try access.localFile(d) else {
                return Finding(subject: d.path, column: rule.name, check: check, observed: "-", expected: expected, verdict: .skipped,
                               note: why + "; the data is not here (`git mlops pull \(d.trackedPath)`)")
            }
            do {
                let (ok, observed) = try read(file)
                return .judged(ok, sev, subject: d.path, column: rule.name, check: check, observed: observed, expected: expected)
            } catch {
                return .judged(false, sev, subject: d.path, column: rule.name, check: check, observed: "\(error)", expected: expected)
            }
        }
    }

    private func drift(_ d: Dataset, _ current: Profile, _ rule: DriftRule, _ block: DataChecks) -> [Finding] {
        let sev = rule.severity ?? block.severity
        do {
            let base = try DriftCheck.baseline(for: d, against: rule.against, repo: repo, access: access, journal: Journal(repo: repo),
                                               pipeline: try reader.pipeline(), start: reader.previousStart)
            if base.dataset.id == d.id {
                return [Finding(subject: d.path, check: "drift", observed: "the same data as \(base.label)", expected: "", verdict: .pass)]
            }
            let baseline = try access.profile(base.dataset)
            return DriftCheck.findings(DriftCheck.rows(baseline: baseline, current: current, rule: rule), rule: rule, severity: sev,
                                       subject: d.path, against: base.label)
        } catch let e as NoBaselineYet {
            return [Finding(subject: d.path, check: "drift", observed: "not run", expected: "", verdict: .skipped, note: "\(e)")]
        } catch {
            return [.judged(false, sev, subject: d.path, check: "drift", observed: "\(error)", expected: "a baseline to compare with")]
        }
    }

    private func command(_ cmd: String, _ d: Dataset, _ block: DataChecks) throws -> Finding {
        let trusted = try CommandChecks.trusted(in: repo).contains(cmd)
        guard options.commands else {
            return Finding(subject: d.path, check: "cmd", observed: "-", expected: "exit 0", verdict: .skipped, note: "commands are not run here")
        }
        guard trusted else {
            let note = "a command from \(Pipeline.fileName) that you have not trusted; if you trust it, run `\(CommandChecks.trustCommand(cmd))`"
            return Finding(subject: d.path, check: "cmd", observed: "not run: \(cmd)", expected: "exit 0", verdict: options.strict ? .fail : .skipped, note: note)
        }
        guard let data = try d.isDirectory ? access.workspaceDirectory(d) : access.localFile(d) else {
            return Finding(subject: d.path, check: "cmd", observed: "not run", expected: "exit 0", verdict: .skipped,
                           note: "the data is not here (`git mlops pull \(d.trackedPath)`)")
        }
        let (status, output) = try CommandChecks.run(cmd, repo: repo, data: data, path: d.path, id: d.id)
        return .judged(status == 0, block.severity, subject: d.path, check: "cmd", observed: "\(cmd): exit \(status)" + (output.isEmpty ? "" : ": \(output)"), expected: "exit 0")
    }
}
