import Foundation
import GitBridge
import Lineage
import MLOpsBasics
import Store
import Workspace

/// Sections other features fill in. Each is asked once per report; nil (or no source) leaves the
/// section out. The command wires them in, so this target needs none of them.
public protocol CatalogSource {
    func catalogReport(repo: Repo) throws -> CatalogReport?
}

public protocol ValidationSource {
    func validationReport(repo: Repo) throws -> ValidationReport?
}

public protocol MonitoringSource {
    func monitoringReport(repo: Repo) throws -> MonitoringReport?
}

public struct ReportSources {
    public var catalog: (any CatalogSource)?
    public var validation: (any ValidationSource)?
    public var monitoring: (any MonitoringSource)?

    public init(catalog: (any CatalogSource)? = nil, validation: (any ValidationSource)? = nil, monitoring: (any MonitoringSource)? = nil) {
        self.catalog = catalog
        self.validation = validation
        self.monitoring = monitoring
    }
}

public struct ReportOptions: Sendable {
    /// The two revisions to compare (`workspace` names the working tree); nil: the two latest commits
    /// with runs.
    public var diff: (from: String, to: String)?
    public var now: Date

    public init(diff: (from: String, to: String)? = nil, now: Date = Date()) {
        self.diff = diff
        self.now = now
    }
}

/// Reads what a report shows from a repository: run records from the notes (and pending runs),
/// params and metrics of two revisions, the lineage of each output at HEAD, and the plots files stages
/// declare, from git or from the cache. Problems with what was read (an unreadable note line, a
/// malformed plots file) become warnings in the model; only bad arguments fail.
public final class ReportCollector {
    let repo: Repo
    let history: History
    var journal: Journal { history.journal }
    var git: GitRepository { repo.git }
    private var infos: [GitOID: CommitInfo] = [:]
    private var warnings: [String] = []

    /// Plots files larger than this are not read (a page cannot draw them anyway).
    static let maxPlotBytes: Int64 = 64 << 20

    public init(repo: Repo) {
        self.repo = repo
        history = History(repo: repo)
    }

    public static func collect(repo: Repo, options: ReportOptions = ReportOptions(), sources: ReportSources = ReportSources()) throws -> ReportModel {
        try ReportCollector(repo: repo).collect(options: options, sources: sources)
    }

    public func collect(options: ReportOptions = ReportOptions(), sources: ReportSources = ReportSources()) throws -> ReportModel {
        // Revisions named on the command line are checked before any work.
        let named = try options.diff.map { (try side($0.from), try side($0.to)) }
        let head = git.head
        var model = ReportModel(title: basename(repo.root), generated: ReportFormat.iso(options.now), head: head.map(ref))

        let entries = Array(journal.pending().reversed()) + (try journal.history(from: head))
        model.runs = entries.map(summary)
        let headPipeline = try head.flatMap { self.pipeline(at: try commitSide($0)) }
        model.trends = try trends(head: head, stageOrder: headPipeline?.stages.map(\.name) ?? [])

        var withRuns: [GitOID] = []
        for e in entries { if let c = e.commit, !withRuns.contains(c) { withRuns.append(c); if withRuns.count == 2 { break } } }
        let sides = try named ?? (withRuns.count == 2 ? (commitSide(withRuns[1]), commitSide(withRuns[0])) : nil)
        if let (a, b) = sides { model.diff = diff(a, b) }

        if let head, let headPipeline { model.lineage = lineage(head: head, pipeline: headPipeline) }
        let plotSides = try sides.map { [$0.0, $0.1] } ?? withRuns.first.map { [try commitSide($0)] } ?? []
        if let newest = plotSides.last, let p = newest.commit == head ? headPipeline : self.pipeline(at: newest) {
            model.plots = plots(p, sides: plotSides)
        }

        model.catalog = section("catalog") { try sources.catalog?.catalogReport(repo: repo) }
        model.validation = section("validation") { try sources.validation?.validationReport(repo: repo) }
        model.monitoring = section("monitoring") { try sources.monitoring?.monitoringReport(repo: repo) }
        model.warnings = history.problems.map(\.description) + warnings
        return model
    }

    private func section<T>(_ name: String, _ body: () throws -> T?) -> T? {
        do { return try body() } catch {
            warnings.append("\(name): \(error)")
            return nil
        }
    }

    // MARK: Commits

    func info(_ c: GitOID) -> CommitInfo? {
        if let i = infos[c] { return i }
        let i = try? git.commitInfo(c)
        infos[c] = i
        return i
    }

    func ref(_ c: GitOID) -> CommitRef {
        guard let i = info(c) else { return CommitRef(hex: c.hex) }
        return CommitRef(hex: c.hex, summary: i.summary, author: i.author, time: i.time)
    }

    func side(_ rev: String) throws -> History.Side {
        do { return try history.side(rev) } catch {
            throw MLOpsError("unknown revision '\(rev)' for --diff", hint: "name a commit, branch or tag, or `workspace`")
        }
    }

    /// A commit as one side of a comparison, named by its short id.
    func commitSide(_ c: GitOID) throws -> History.Side {
        var s = try history.side(c.hex)
        s.label = c.short
        return s
    }

    func pipeline(at side: History.Side) -> Pipeline? {
        do { return try history.pipeline(at: side) } catch {
            warnings.append("\(error)")
            return nil
        }
    }

    // MARK: Runs

    func summary(_ e: Journal.Entry) -> RunSummary {
        let r = e.record
        let who = [r.user, r.host].compactMap { $0 }.joined(separator: "@")
        return RunSummary(id: r.id, stage: r.stage, commit: e.commit.map(ref), who: who, started: r.recorded, duration: r.duration,
                          command: r.cmd, params: ReportFormat.leaves(r.params), metrics: ReportFormat.leaves(r.metrics, separator: ": "),
                          restored: r.restoredFrom != nil)
    }

    /// For each stage, each metric over the first-parent commits that have a run of the stage, oldest
    /// first; the newest run of the stage on a commit stands for it. Only metrics with at least one
    /// number get a chart.
    func trends(head: GitOID?, stageOrder: [String]) throws -> [TrendChart] {
        var line: [GitOID] = []
        var seen = Set<GitOID>()
        var c = head
        while let cur = c, seen.insert(cur).inserted {
            line.append(cur)
            c = info(cur)?.parents.first
        }
        var byStage: [String: [(CommitRef, RunRecord)]] = [:]
        for commit in line.reversed() {
            let records = try journal.records(on: commit)
            guard !records.isEmpty else { continue }
            var newest: [String: RunRecord] = [:]
            for r in records where newest[r.stage].map({ $0.recorded < r.recorded }) ?? true { newest[r.stage] = r }
            let cref = ref(commit)
            for (stage, r) in newest { byStage[stage, default: []].append((cref, r)) }
        }
        let stages = stageOrder.filter { byStage[$0] != nil } + byStage.keys.filter { !stageOrder.contains($0) }.sorted()
        var out: [TrendChart] = []
        for stage in stages {
            let runs = byStage[stage]!
            let values = runs.map { Dictionary(ReportFormat.leaves($0.1.metrics, separator: ": ").map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a }) }
            var names = Set<String>()
            for v in values { for (k, x) in v where ReportFormat.finite(x) != nil { names.insert(k) } }
            for name in names.sorted() {
                out.append(TrendChart(stage: stage, metric: name, points: zip(runs, values).map { TrendChart.Point(commit: $0.0.0, value: $0.1[name]) }))
            }
        }
        return out
    }

    // MARK: Diff

    func diff(_ a: History.Side, _ b: History.Side) -> ReportDiff {
        var d = ReportDiff(from: a.label, to: b.label, fromCommit: a.commit.map(ref), toCommit: b.commit.map(ref))
        do {
            d.params = Compare.params(try history.params(at: a), try history.params(at: b), all: true)
                .map { ReportDiff.Row(name: $0.name, old: $0.old, new: $0.new) }
            d.metrics = Compare.metrics(try history.metrics(at: a), try history.metrics(at: b), all: true)
                .map { ReportDiff.Row(file: $0.file, name: $0.name, old: $0.old, new: $0.new) }
        } catch {
            warnings.append("diff \(a.label) \(b.label): \(error)")
        }
        return d
    }

    // MARK: Lineage

    /// The lineage of every output of every stage that HEAD holds a pointer for.
    func lineage(head: GitOID, pipeline: Pipeline) -> [ArtifactLineage] {
        let tracked = Set(((try? repo.pointers(at: head, strict: false)) ?? []).map(\.path))
        var out: [ArtifactLineage] = []
        for stage in pipeline.stages {
            for path in stage.outs where tracked.contains(path) {
                do {
                    let g = try LineageGraph.build(repo: repo, journal: journal, path: repo.absolute(path), rev: head.hex, cwd: repo.root)
                    out.append(ReportCollector.lineage(g, path: path, revision: "HEAD (\(head.short))"))
                } catch {
                    warnings.append("lineage of \(path): \(error)")
                }
            }
        }
        return out
    }

    /// The graph as nodes and edges: data versions first, then runs.
    public static func lineage(_ g: LineageGraph, path: String, revision: String) -> ArtifactLineage {
        var nodes: [ArtifactLineage.Node] = []
        var edges: [ArtifactLineage.Edge] = []
        for d in g.data {
            let a = d.artifact
            var sub = [a.shortID]
            if let s = a.size { sub.append(formatBytes(s)) }
            if let f = a.files { sub.append("\(f) files") }
            var details = [a.oid.map { "sha256:" + $0.hex } ?? a.blob.map { "blob " + $0 } ?? "no id"]
            if d.producer == nil { details.append("source data: no recorded run made it") }
            nodes.append(.init(kind: .data, label: a.path, sublabel: sub.joined(separator: ", "), details: details))
        }
        for (r, run) in g.runs.enumerated() {
            let rec = run.record
            var details = ["command: \(rec.cmd)", "started: \(ReportFormat.time(rec.started))"]
            if let from = rec.restoredFrom { details.append("restored from run \(from.prefix(12)) (run cache)") }
            for p in ReportFormat.leaves(rec.params) { details.append("param \(p.name) = \(ReportFormat.value(p.value))") }
            for m in ReportFormat.leaves(rec.metrics, separator: ": ") { details.append("metric \(m.name) = \(ReportFormat.value(m.value))") }
            for c in rec.codeDeps { details.append("code \(c.path)") }
            nodes.append(.init(kind: .run, label: rec.stage, sublabel: "run \(rec.id.prefix(8)) @ \(run.commit?.short ?? "pending")", details: details))
            let me = g.data.count + r
            for i in run.inputs { edges.append(.init(i, me)) }
        }
        for (i, d) in g.data.enumerated() {
            if let r = d.producer { edges.append(.init(g.data.count + r, i)) }
        }
        return ArtifactLineage(path: path, revision: revision, nodes: nodes, edges: edges, root: g.root)
    }

    // MARK: Plots

    /// Each plot the pipeline declares, drawn from its file at each side (oldest first).
    func plots(_ pipeline: Pipeline, sides: [History.Side]) -> [PlotFigure] {
        var out: [PlotFigure] = []
        for stage in pipeline.stages {
            for spec in stage.plots {
                let revisions = sides.map { side -> PlotData.Revision in
                    let table: Result<PlotData.Table, PlotData.Problem>?
                    do {
                        table = try plotBytes(spec.path, at: side).map { .success(try PlotData.parse($0, path: spec.path)) }
                    } catch let p as PlotData.Problem {
                        table = .failure(p)
                    } catch {
                        table = .failure(PlotData.Problem("\(error)"))
                    }
                    return PlotData.Revision(label: side.label, table: table)
                }
                let figure = PlotData.figure(stage: stage.name, spec: spec, revisions: revisions)
                // One line a plot; the page lists every problem.
                if let first = figure.problems.first {
                    let more = figure.problems.count - 1
                    warnings.append("plots of stage \(stage.name): \(first)" + (more > 0 ? " (and \(more) more on the Plots page)" : ""))
                }
                out.append(figure)
            }
        }
        return out
    }

    private var pointerCache: [GitOID: [Tracked]] = [:]

    /// The file at a side: the blob git holds, or, for data git-mlops tracks, the bytes in the cache
    /// (a pointer naming the file, or a directory pointer containing it). nil when the side has none.
    func plotBytes(_ path: String, at side: History.Side) throws -> [UInt8]? {
        guard let commit = side.commit else { return try workspaceBytes(path) }
        if let bytes = try git.file(path, in: commit) {
            guard Int64(bytes.count) <= ReportCollector.maxPlotBytes else { throw tooLarge(Int64(bytes.count)) }
            return bytes
        }
        if pointerCache[commit] == nil { pointerCache[commit] = (try? repo.pointers(at: commit, strict: false)) ?? [] }
        for t in pointerCache[commit]! {
            if t.path == path, t.pointer.kind == .file { return try cached(t.pointer.id, size: t.pointer.size) }
            if path.hasPrefix(t.path + "/"), t.pointer.kind == .dir {
                let rest = String(path.dropFirst(t.path.count + 1))
                guard repo.store.contains(t.pointer.id) else { throw notCached() }
                guard let e = try repo.store.directory(t.pointer.id).entries.first(where: { $0.path == rest }) else { return nil }
                return try cached(e.id, size: e.size)
            }
        }
        return nil
    }

    private func tooLarge(_ n: Int64) -> PlotData.Problem {
        PlotData.Problem("\(formatBytes(n)), larger than the \(formatBytes(ReportCollector.maxPlotBytes)) a plots file may have")
    }

    private func notCached() -> PlotData.Problem { PlotData.Problem("not in the cache; fetch it with `git mlops pull`") }

    /// A file from the cache, through a temporary file (the materializer verifies it on the way).
    func cached(_ id: ObjectID, size: Int64) throws -> [UInt8] {
        guard size <= ReportCollector.maxPlotBytes else { throw tooLarge(size) }
        guard repo.store.contains(id) else { throw notCached() }
        return try repo.cachedBytes(of: id, size: size)
    }

    /// A workspace file, never through a symlink.
    func workspaceBytes(_ path: String) throws -> [UInt8]? {
        try repo.ensureSafeParents(of: path, create: false)
        guard let st = FS.lstat(repo.absolute(path)) else { return nil }
        guard st.isRegular else { throw PlotData.Problem("not a regular file") }
        guard st.size <= ReportCollector.maxPlotBytes else { throw tooLarge(st.size) }
        // Read by a descriptor that refuses a symlink, a FIFO or growth past the limit put there since the lstat.
        return try FS.readBounded(repo.absolute(path), name: path, limit: Int(ReportCollector.maxPlotBytes), followSymlink: false,
                                  fix: "make it a regular file of at most \(formatBytes(ReportCollector.maxPlotBytes))")
    }
}
