import Foundation
import GitBridge
import MLOpsBasics
import Store
import Workspace

public struct RunOptions: Sendable {
    /// Stages to bring up to date (with everything upstream of them); all when empty.
    public var targets: [String]
    /// Run even when up to date, and never restore from the run cache.
    public var force: Bool
    /// Say what would run and why, changing nothing.
    public var dryRun: Bool
    /// git-mlops' version, for records.
    public var toolVersion: String

    public init(targets: [String] = [], force: Bool = false, dryRun: Bool = false, toolVersion: String) {
        self.targets = targets; self.force = force; self.dryRun = dryRun; self.toolVersion = toolVersion
    }
}

/// What `run` reports while it works, in order.
public enum RunEvent: Sendable, Equatable {
    case upToDate(stage: String)
    case starting(stage: String, cmd: String, reasons: [String])
    case finished(stage: String, seconds: Double)
    case restored(stage: String, run: String)
    case wouldRun(stage: String, reasons: [String])
    case wouldRestore(stage: String, run: String)
    /// Dry run: up to date now, but downstream of a stage that would run.
    case wouldFollow(stage: String, upstream: [String])

    /// The line commands print.
    public var text: String {
        func because(_ r: [String]) -> String { r.isEmpty ? "" : " (\(r.joined(separator: "; ")))" }
        switch self {
        case .upToDate(let s): return "\(s): up to date"
        case let .starting(s, cmd, r): return "\(s): running `\(cmd)`\(because(r))"
        case let .finished(s, secs): return "\(s): done in \(Clock.duration(secs))"
        case let .restored(s, run): return "\(s): restored outputs of run \(run.prefix(12)) from the run cache"
        case let .wouldRun(s, r): return "\(s): would run\(because(r))"
        case let .wouldRestore(s, run): return "\(s): would restore outputs of run \(run.prefix(12)) from the run cache"
        case let .wouldFollow(s, up): return "\(s): up to date now; runs again if \(up.joined(separator: ", ")) change\(up.count == 1 ? "s" : "") its outputs"
        }
    }
}

/// The outcome of `run`.
public struct RunSummary: Sendable {
    public var ran: [String] = []
    public var restored: [String] = []
    public var upToDate: [String] = []
    /// Records kept until a commit holds what ran.
    public var pending = 0
    /// Records attached at once, because HEAD already holds everything the runs read and wrote.
    public var attached: [String: Int] = [:]
    /// Records kept until a commit holds what ran, made by this run.
    public var pendingRecords: [RunRecord] = []
    /// Files to commit so that the records attach (see `CommitPlan`).
    public var toCommit: [String] = []
    /// Whether git-mlops' post-commit hook is installed (else records attach at the next command).
    public var hookInstalled = true

    /// Lines printed after the stages.
    public var closingLines: [String] {
        var out: [String] = []
        let n = pending + attached.values.reduce(0, +)
        guard n > 0 else { return out }
        for (c, k) in attached.sorted(by: { $0.key < $1.key }) { out.append("recorded \(k) run\(k == 1 ? "" : "s") on \(c.prefix(10))") }
        if pending > 0 {
            out.append("recorded \(pending) run\(pending == 1 ? "" : "s"); \(pending == 1 ? "it attaches" : "they attach") to the commit that holds these results")
            if !toCommit.isEmpty { out.append("hint: git add \(ShellQuoting.join(toCommit)) && git commit") }
            if !hookInstalled { out.append("hint: `git mlops hooks install` attaches run records when you commit") }
        }
        return out
    }
}

/// Runs the pipeline: decides per stage whether to skip it, restore it from the run cache or run it,
/// stores outputs and writes run records.
public final class Runner {
    public let repo: Repo
    public let journal: Journal

    public init(repo: Repo) {
        self.repo = repo
        journal = Journal(repo: repo)
    }

    public func run(_ options: RunOptions, report: (RunEvent) -> Void) throws -> RunSummary {
        Interrupts.install()
        try FS.mkdirs(repo.worktreeState)
        let runLock: FileLock
        do {
            runLock = try FileLock(path: repo.worktreeState + "/run.lock", wait: false)
        } catch is MLOpsError {
            throw MLOpsError("another `git mlops run` is running in this worktree", hint: "wait for it to finish")
        }
        defer { runLock.release() }
        let pipeline = try Pipeline.require(root: repo.root)
        if !options.dryRun { journal.attachPendingQuietly() }
        let stages = try pipeline.order(options.targets)
        let probe = try Probe(repo: repo, pipeline: pipeline)
        let environment = RunEnvironment(toolVersion: options.toolVersion)

        var summary = RunSummary()
        var changing = Set<String>()
        for stage in stages {
            try Interrupts.check("before stage '\(stage.name)'")
            let upstreamChanging = pipeline.upstream(of: stage.name).filter(changing.contains)
            if options.dryRun && !upstreamChanging.isEmpty && !probe.missingDeps(stage).isEmpty {
                report(.wouldRun(stage: stage.name, reasons: ["after \(upstreamChanging.joined(separator: ", "))"]))
                changing.insert(stage.name)
                continue
            }
            let inputs = try probe.inputs(stage)
            let hits = try journal.records(withKey: inputs.key).map(\.record)

            let current = hits.isEmpty ? nil : try probe.outputs(stage)
            if !options.force, let current, let hit = hits.first(where: { Probe.outputsMatch(stage, current, $0) }) {
                if options.dryRun && !upstreamChanging.isEmpty {
                    report(.wouldFollow(stage: stage.name, upstream: upstreamChanging))
                    changing.insert(stage.name)
                    continue
                }
                if !options.dryRun { try syncPointers(stage, hit) }
                report(.upToDate(stage: stage.name))
                summary.upToDate.append(stage.name)
                continue
            }
            if !options.force, let hit = hits.first(where: { restorable($0, fetch: !options.dryRun) }) {
                if options.dryRun {
                    report(.wouldRestore(stage: stage.name, run: hit.id))
                    changing.insert(stage.name)
                    continue
                }
                try restore(stage, from: hit)
                let r = restoredRecord(hit, stage: stage, inputs: inputs)
                try save(r, into: &summary)
                report(.restored(stage: stage.name, run: hit.id))
                summary.restored.append(stage.name)
                try probe.refresh()
                continue
            }
            let reasons = options.force ? ["forced"] : try self.reasons(stage, inputs, try journal.lastRun(of: stage.name), probe, hits)
            if options.dryRun {
                report(.wouldRun(stage: stage.name, reasons: reasons))
                changing.insert(stage.name)
                continue
            }
            report(.starting(stage: stage.name, cmd: stage.cmd, reasons: reasons))
            let record = try execute(stage, inputs, probe: probe, environment: environment)
            try save(record, into: &summary)
            report(.finished(stage: stage.name, seconds: record.duration ?? 0))
            summary.ran.append(stage.name)
            try probe.refresh()
        }
        summary.toCommit = CommitPlan.files(for: summary.pendingRecords, repo: repo)
        let hook = (try? FS.readText(Hooks.directory(repo) + "/post-commit")) ?? ""
        summary.hookInstalled = hook.contains("git mlops hook post-commit")
        return summary
    }

    // MARK: Deciding

    /// Why a stage must run, compared with its last recorded run.
    func reasons(_ stage: Stage, _ inputs: StageInputs, _ last: RunRecord?, _ probe: Probe, _ hits: [RunRecord]) throws -> [String] {
        if !hits.isEmpty {
            // Same inputs as a recorded run, but its outputs are neither here nor in the cache.
            let (outs, metrics) = try probe.outputs(stage)
            let missing = stage.outs.filter { outs[$0] == .some(nil) } + stage.metrics.filter { metrics[$0] == .some(nil) }
            if !missing.isEmpty { return ["outputs missing: \(missing.joined(separator: ", "))"] }
            return ["outputs changed since run \(hits[0].shortID), whose outputs are not in the cache"]
        }
        guard let last else { return ["never run"] }
        var out: [String] = []
        if last.cmd != stage.cmd { out.append("command changed") }
        var before: [String: String] = [:]
        for d in last.codeDeps { before[d.path] = d.keyValue }
        for i in last.inputs { before[i.path] = i.oid.map { "sha256:" + $0.hex } ?? "" }
        var now: [String: String] = [:]
        for d in inputs.codeDeps { now[d.path] = d.keyValue }
        for i in inputs.inputs { now[i.path] = i.oid.map { "sha256:" + $0.hex } ?? "" }
        let changed = stage.deps.filter { before[$0] != now[$0] }
        if !changed.isEmpty { out.append("deps changed: \(changed.joined(separator: ", "))") }
        var params: [String] = []
        let oldParams = ParamLeaves.leaves(last.params), newParams = ParamLeaves.leaves(inputs.params)
        for name in Set(oldParams.keys).union(newParams.keys).sorted() where oldParams[name] != newParams[name] {
            params.append("\(name) \(Values.display(oldParams[name])) -> \(Values.display(newParams[name]))")
        }
        if !params.isEmpty { out.append("params changed: \(params.joined(separator: ", "))") }
        if out.isEmpty { out.append("outputs declared differently than in run \(last.shortID)") }
        return out
    }

    /// Whether every output of a record can be rebuilt from the cache (fetching from the default
    /// remote when `fetch`).
    func restorable(_ r: RunRecord, fetch: Bool) -> Bool {
        let ids = r.outputs.compactMap(\.oid) + r.metricFiles.compactMap(\.oid)
        guard ids.count == r.outputs.count + r.metricFiles.count else { return false }
        if repo.store.closure(of: ids).missing.isEmpty { return true }
        guard fetch else { return false }
        return (try? repo.ensureObjects(ids)) != nil
    }

    // MARK: Doing

    /// Runs the stage's command and stores what it wrote. Nothing is recorded when it fails.
    func execute(_ stage: Stage, _ inputs: StageInputs, probe: Probe, environment: RunEnvironment) throws -> RunRecord {
        let gitFiles = try repo.git.indexFiles(endingWith: "").map(\.path)
        for o in stage.outs {
            if let f = gitFiles.first(where: { Pipeline.overlaps($0, o) }) {
                throw MLOpsError("stage '\(stage.name)': output \(o) is tracked by git itself (\(f))",
                                 hint: "run `git rm -r --cached \(o)` so that git-mlops can store it")
            }
        }
        let tree = repo.workTree()
        for w in stage.writes {
            let p = try RepoPath(w)
            _ = try tree.directory(p.parent, create: true)
            try tree.remove(p)
        }
        let started = Date()
        let envText = environment.describe(stage.cmd)
        let cwd = stage.wdir.isEmpty ? repo.root : repo.absolute(stage.wdir)
        let (status, seconds) = try Shell.run(stage.cmd, cwd: cwd)
        try Interrupts.check("during stage '\(stage.name)'")
        guard status == 0 else {
            throw MLOpsError("stage '\(stage.name)' failed with exit code \(status) after \(Clock.duration(seconds))",
                             hint: "nothing was recorded for it; fix the problem and run `git mlops run` again", exitCode: status)
        }
        let absent = stage.writes.filter { FS.lstat(repo.absolute($0)) == nil }
        if !absent.isEmpty {
            throw MLOpsError("stage '\(stage.name)' finished but did not write \(absent.joined(separator: ", "))",
                             hint: "nothing was recorded for it; fix the command or the stage's outs in \(Pipeline.fileName)")
        }
        let metricValues = try probe.metricValues(stage)
        var outputs: [Artifact] = []
        if !stage.outs.isEmpty {
            for r in try repo.add(stage.outs, cwd: repo.root) {
                outputs.append(Artifact(path: r.path, oid: r.pointer.id, size: r.pointer.size, type: r.pointer.kind.rawValue, files: r.pointer.files))
            }
        }
        let metricFiles = try storeMetricFiles(stage)
        var fields: [String: JSON] = [
            "schema": .string(RunRecord.schema),
            "id": .string(RunRecord.newID()),
            "stage": .string(stage.name),
            "cmd": .string(stage.cmd),
            "key": .string(inputs.key),
            "code": .object(["deps": .array(inputs.codeDeps.map(\.json))]),
            "params": .object(inputs.params),
            "inputs": .array(inputs.inputs.map(\.json)),
            "outputs": .array(outputs.map(\.json)),
            "metric_files": .array(metricFiles.map(\.json)),
            "metrics": .object(metricValues),
            "env": envText,
            "started": .string(Clock.iso(started)),
            "duration": .double((seconds * 1000).rounded() / 1000),
            "exit": .int(Int64(status)),
            "user": .string(RunEnvironment.user),
            "host": .string(RunEnvironment.host),
        ]
        if !stage.wdir.isEmpty { fields["wdir"] = .string(stage.wdir) }
        return RunRecord(fields: fields)
    }

    /// Keeps a copy of each metrics file in the cache, so the run cache can restore it.
    func storeMetricFiles(_ stage: Stage) throws -> [Artifact] {
        guard !stage.metrics.isEmpty else { return [] }
        let blobs = try stage.metrics.map { GitRepository.blobID(try FS.readFile(repo.absolute($0))).hex }
        return zip(stage.metrics, zip(try repo.storeCopies(of: stage.metrics), blobs)).map { m, stored in
            Artifact(path: m, oid: stored.0.id, size: stored.0.size, type: "file", blob: stored.1)
        }
    }

    /// Puts a recorded run's outputs in place from the cache, with their pointers.
    func restore(_ stage: Stage, from r: RunRecord) throws {
        for w in stage.writes { try repo.ensureSafeParents(of: w, create: true) }
        for o in r.outputs where stage.outs.contains(o.path) {
            guard let id = o.oid, let kind = Pointer.Kind(rawValue: o.type ?? "file") else { continue }
            let p = Pointer(id: id, size: o.size ?? 0, kind: kind, files: o.files)
            try FS.writeAtomic(repo.absolute(Pointer.pointerPath(forData: o.path)), p.encode())
        }
        if !stage.outs.isEmpty {
            _ = try repo.checkout(stage.outs, force: true, cwd: repo.root)
            _ = try repo.add(stage.outs, cwd: repo.root)
        }
        try repo.restore(r.metricFiles.filter { stage.metrics.contains($0.path) }.compactMap { f in
            f.oid.map { Repo.CachedFile(path: f.path, id: $0, size: f.size ?? 0, origin: "run \(r.shortID) in \(Journal.ref)") }
        })
    }

    /// A record for outputs restored from the run cache: the original run's, under a new id.
    func restoredRecord(_ hit: RunRecord, stage: Stage, inputs: StageInputs) -> RunRecord {
        var f = hit.fields
        f["id"] = .string(RunRecord.newID())
        f["stage"] = .string(stage.name)
        f["restored_from"] = .string(hit.restoredFrom ?? hit.id)
        f["restored_at"] = .string(Clock.iso(Date()))
        f["code"] = .object(["deps": .array(inputs.codeDeps.map(\.json))])
        return RunRecord(fields: f)
    }

    /// When an up-to-date stage's pointers do not name its outputs (e.g. after `git checkout` of other
    /// pointers), rewrites them.
    func syncPointers(_ stage: Stage, _ r: RunRecord) throws {
        guard !stage.outs.isEmpty else { return }
        let pointers = Dictionary(try repo.workspacePointers().map { ($0.path, $0.pointer.id) }, uniquingKeysWith: { a, _ in a })
        if r.outputs.contains(where: { pointers[$0.path] != $0.oid }) {
            _ = try repo.add(stage.outs, cwd: repo.root)
        }
    }

    /// Stamps the record with HEAD and attaches it there if HEAD already holds everything it read and
    /// wrote; otherwise keeps it pending until a commit does. Returns whether it is pending.
    @discardableResult
    func save(_ record: RunRecord, into summary: inout RunSummary) throws -> Bool {
        var r = record
        var code = r.code.object ?? [:]
        guard let head = repo.git.head else {
            code["commit"] = .null
            code["dirty"] = .bool(true)
            r.fields["code"] = .object(code)
            try journal.savePending(r)
            summary.pending += 1
            summary.pendingRecords.append(r)
            return true
        }
        let view = CommitView(repo: repo, commit: head)
        code["commit"] = .string(head.hex)
        code["tree"] = .string(view.tree.hex)
        r.fields["code"] = .object(code)
        code["dirty"] = .bool(view.mismatch(r, includeOutputs: false) != nil)
        r.fields["code"] = .object(code)
        if view.mismatch(r, includeOutputs: true) == nil {
            try journal.append([r], to: head)
            summary.attached[head.hex, default: 0] += 1
            return false
        }
        try journal.savePending(r)
        summary.pending += 1
        summary.pendingRecords.append(r)
        return true
    }
}

/// Params as scalar leaves (`train` -> `train.lr`, `train.epochs`), for messages.
enum ParamLeaves {
    static func leaves(_ params: [String: JSON]) -> [String: JSON] {
        var out: [String: JSON] = [:]
        for (name, v) in params {
            for (k, leaf) in Values.flatten(v) { out[k.isEmpty ? name : (name.hasSuffix(":") ? name + k : name + "." + k)] = leaf }
        }
        return out
    }
}
