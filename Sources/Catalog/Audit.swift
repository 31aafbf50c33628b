import Foundation
import GitBridge
import Lineage
import MLOpsBasics
import Workspace

/// What `audit` tells the story of.
public enum AuditSubject: Equatable, Sendable {
    case model(String)
    /// A tracked path (a dataset, or a model's weights), repository-relative.
    case path(String)
    case everything
}

/// One thing that happened: who, when, which commit, what.
public struct AuditEntry: Sendable {
    /// `run`, `data`, `register`, `deregister`, `promote`, `unassign`, `deprecate`; sources added
    /// later bring their own (the validation work: `bypass`, a check skipped with `--no-verify`).
    public var kind: String
    /// Seconds since the epoch (runs have milliseconds).
    public var time: Double
    public var who: String
    public var commit: GitOID?
    /// One line for people.
    public var what: String
    /// The same and more for `--json`.
    public var details: JSON
    /// Order among entries of one kind within one second (a catalog tag's counter).
    public var sequence = 0
    /// When it sorts: never before what it follows (see `AuditTrail.causal`). Clocks of whole
    /// seconds (commits, tags) and of milliseconds (runs) disagree within one second.
    var sortTime: Double?

    public init(kind: String, time: Double, who: String, commit: GitOID?, what: String, details: JSON) {
        self.kind = kind; self.time = time; self.who = who; self.commit = commit; self.what = what; self.details = details
    }

    /// Within one second: runs, then the commits of their results, then the tags made on them.
    static let kindOrder = ["run", "data", "register", "deregister", "promote", "unassign", "deprecate"]

    static func chronological(_ a: AuditEntry, _ b: AuditEntry) -> Bool {
        let ka = kindOrder.firstIndex(of: a.kind) ?? kindOrder.count, kb = kindOrder.firstIndex(of: b.kind) ?? kindOrder.count
        return (a.sortTime ?? a.time, ka, a.sequence, a.what) < (b.sortTime ?? b.time, kb, b.sequence, b.what)
    }

    public var json: JSON {
        var o = details.object ?? [:]
        o["kind"] = .string(kind)
        o["at"] = .string(CatalogTime.iso(Int64(time.rounded(.down))))
        o["who"] = .string(who)
        o["commit"] = commit.map { .string($0.hex) } ?? .null
        o["what"] = .string(what)
        return .object(o)
    }

    public var line: String {
        let k = kind.padding(toLength: 10, withPad: " ", startingAt: 0)
        return displayable("\(CatalogTime.display(Int64(time.rounded(.down))))  \(k)\(commit?.short ?? "uncommitted")  \(who)  \(what)", newlines: false)
    }
}

/// What an audit source may read: the catalog, the repository, the run records, signatures, and the
/// subject resolved to model names and tracked paths.
public final class AuditContext {
    public let registry: ModelRegistry
    public let subject: AuditSubject
    public let signatures: SignatureChecker
    /// Models the subject covers.
    public private(set) var models: [ModelEntry] = []
    /// Tracked paths the subject covers (a model's declared weights).
    public private(set) var paths: Set<String> = []
    /// Ids of the weights of the subject's model versions.
    public private(set) var weightIDs: Set<ObjectID> = []
    public lazy var journal: Journal? = registry.repo.map { r in
        let j = Journal(repo: r)
        j.attachPendingQuietly()
        return j
    }

    init(registry: ModelRegistry, subject: AuditSubject) throws {
        self.registry = registry
        self.subject = subject
        signatures = SignatureChecker(git: registry.git)
        switch subject {
        case .model(let name):
            models = [try registry.catalog.model(name)]
        case .path(let p):
            paths = [p]
            models = registry.catalog.list(deprecated: true).filter { m in
                m.versions.contains { (try? registry.declaration(m.name, at: $0.commit))??.path == p }
            }
        case .everything:
            models = registry.catalog.list(deprecated: true)
            if let repo = registry.repo, let head = repo.git.head {
                paths.formUnion(try repo.pointers(at: head, strict: false).map(\.path))
            }
        }
        if case .path = subject { return }
        for m in models {
            for v in m.versions {
                // A declaration history cannot fix (a malformed artifacts.yaml) leaves that version out.
                guard let w = try? registry.weights(m.name, v) else { continue }
                if let p = w.path { paths.insert(p) }
                if let id = w.pointer?.id { weightIDs.insert(id) }
            }
        }
    }
}

/// A kind of history `audit` draws on. The validation work adds one for checks bypassed with
/// `--no-verify` (see `AuditTrail.defaultSources`).
public protocol AuditSource {
    func entries(_ context: AuditContext) throws -> [AuditEntry]
}

public enum AuditTrail {
    /// The sources every audit reads; later layers append theirs.
    public static var defaultSources: [AuditSource] { [CatalogTagsSource(), RunRecordsSource(), DataCommitsSource()] }

    /// The subject named on the command line: a model in the catalog, else a path git-mlops tracks.
    public static func subject(_ text: String?, registry: ModelRegistry, cwd: String = FS.currentDirectory) throws -> AuditSubject {
        guard let text else { return .everything }
        if registry.catalog.models[text] != nil { return .model(text) }
        guard let repo = registry.repo else {
            throw MLOpsError("no model named '\(text)' in the catalog", hint: "`git mlops model list` shows the models")
        }
        var rel = try repo.relativePath(text, cwd: cwd)
        if rel.hasSuffix(Pointer.suffix) { rel = Pointer.dataPath(forPointer: rel) }
        return .path(rel)
    }

    /// Every entry since `since` (seconds), oldest first.
    public static func build(_ subject: AuditSubject, registry: ModelRegistry, since: Int64? = nil,
                             sources: [AuditSource] = defaultSources) throws -> [AuditEntry] {
        let context = try AuditContext(registry: registry, subject: subject)
        var out: [AuditEntry] = []
        for s in sources { out += try s.entries(context) }
        if let since { out = out.filter { $0.time >= Double(since) } }
        return causal(out).sorted(by: AuditEntry.chronological)
    }

    /// A commit sorts after the runs noted on it (whose results it holds), and a tag after the
    /// commit it names: a commit made in the same second as a run has an earlier whole-second time.
    static func causal(_ entries: [AuditEntry]) -> [AuditEntry] {
        var latest: [GitOID: Double] = [:]
        func clamp(_ out: inout [AuditEntry], _ which: (String) -> Bool) {
            for i in out.indices where which(out[i].kind) {
                if let c = out[i].commit, let after = latest[c], after > out[i].time { out[i].sortTime = after }
            }
            for e in out where which(e.kind) { if let c = e.commit { latest[c] = max(latest[c] ?? 0, e.sortTime ?? e.time) } }
        }
        var out = entries
        clamp(&out) { $0 == "run" }
        clamp(&out) { $0 == "data" }
        clamp(&out) { $0 != "run" && $0 != "data" }
        return out
    }

    /// `--since`: `2026-12-03` (UTC midnight) or an ISO 8601 time (`2026-12-03T18:00:00Z`).
    public static func parseDate(_ text: String) throws -> Int64 {
        let f = ISO8601DateFormatter()
        f.timeZone = TimeZone(identifier: "UTC")
        let forms: [ISO8601DateFormatter.Options] = text.count == 10 ? [[.withFullDate]] : [[.withInternetDateTime], [.withInternetDateTime, .withFractionalSeconds]]
        for opts in forms {
            f.formatOptions = opts
            if let d = f.date(from: text) { return Int64(d.timeIntervalSince1970) }
        }
        throw MLOpsError("--since: '\(text)' is not a date", hint: "write YYYY-MM-DD or an ISO 8601 time such as 2026-12-03T18:00:00Z", exitCode: 129)
    }
}

/// Registrations, promotions (with overrides and their reasons), deregistrations, deprecations.
public struct CatalogTagsSource: AuditSource {
    public init() {}

    public func entries(_ c: AuditContext) throws -> [AuditEntry] {
        c.models.flatMap { m in
            m.events.map { e in
                let kind: String
                var what: String
                switch e.action {
                case .register: kind = "register"; what = "registered \(m.name) \(e.version ?? "")"
                case .deregister: kind = "deregister"; what = "deregistered \(m.name) \(e.version ?? "")"
                case .assign: kind = "promote"; what = "promoted \(m.name) \(e.version ?? "") to \(e.stage ?? "")"
                case .unassign: kind = "unassign"; what = "removed \(m.name) \(e.version ?? "") from \(e.stage ?? "")"
                case .deprecate: kind = "deprecate"; what = "deprecated \(m.name)"
                }
                if let ov = PromotionOverride(message: e.tag.message) {
                    what += ", overriding " + (ov.failed.isEmpty ? "its gates" : ov.failed.joined(separator: "; ")) + " because: \(ov.reason)"
                }
                what += " (tag \(e.tag.name), \(c.signatures.check(e.tag).status.rawValue))"
                var entry = AuditEntry(kind: kind, time: Double(e.tag.time), who: "\(e.tag.taggerName) <\(e.tag.taggerEmail)>",
                                       commit: e.commit, what: what, details: e.json(c.signatures))
                entry.sequence = e.name.counter ?? 0
                return entry
            }
        }
    }
}

/// Runs from the notes (and pending ones) that wrote the subject's weights, or read or wrote its path.
public struct RunRecordsSource: AuditSource {
    public init() {}

    public func entries(_ c: AuditContext) throws -> [AuditEntry] {
        guard let journal = c.journal else { return [] }
        var entries: [(record: RunRecord, commit: GitOID?)] = journal.pending().map { ($0.record, nil) }
        for (commit, records) in try journal.noted() { entries += records.map { ($0, commit) } }
        func touches(_ a: Artifact) -> Bool {
            c.paths.contains { a.path == $0 || a.path.hasPrefix($0 + "/") || $0.hasPrefix(a.path + "/") }
        }
        return entries.compactMap { e in
            let r = e.record
            let relevant: Bool
            switch c.subject {
            case .everything: relevant = true
            case .model: relevant = r.outputs.contains { touches($0) || ($0.oid.map(c.weightIDs.contains) ?? false) }
            case .path: relevant = (r.inputs + r.outputs).contains(where: touches)
            }
            guard relevant else { return nil }
            let time = Double(CatalogTime.seconds(r.started) ?? 0) + (Double(r.started.split(separator: ".").last?.prefix(3) ?? "0").map { $0 / 1000 } ?? 0)
            var what = "\(r.stage) run \(r.shortID): \(r.cmd)"
            if let code = r.commit { what += " on code \(code.prefix(10))\(r.dirty ? " (uncommitted changes)" : "")" }
            if !r.params.isEmpty { what += "; params \(inline(r.params))" }
            if !r.inputs.isEmpty { what += "; inputs " + r.inputs.map { "\($0.path) (\($0.shortID))" }.joined(separator: ", ") }
            if !r.outputs.isEmpty { what += "; outputs " + r.outputs.map { "\($0.path) (\($0.shortID))" }.joined(separator: ", ") }
            if let from = r.restoredFrom { what += "; restored from run \(from.prefix(12))" }
            let who = (r.user ?? "?") + (r.host.map { "@" + $0 } ?? "")
            return AuditEntry(kind: "run", time: time, who: who, commit: e.commit, what: what,
                              details: .object(["run": r.json, "pending": .bool(e.commit == nil)]))
        }
    }
}

/// Commits on HEAD's history that changed the pointer of one of the subject's paths.
public struct DataCommitsSource: AuditSource {
    public init() {}

    public func entries(_ c: AuditContext) throws -> [AuditEntry] {
        guard let repo = c.registry.repo, let head = repo.git.head, !c.paths.isEmpty else { return [] }
        let git = repo.git
        var out: [AuditEntry] = []
        let paths = c.paths.sorted()
        for commit in try git.commits(reachableFrom: [head]) {
            let info = try git.commitInfo(commit)
            for path in paths {
                let pp = Pointer.pointerPath(forData: path)
                let now = try git.file(pp, in: commit)
                let before = try info.parents.first.flatMap { try git.file(pp, in: $0) }
                guard now != before else { continue }
                let p = now.flatMap { try? Pointer.decode(String(decoding: $0, as: UTF8.self), path: "\(commit.short):\(pp)") }
                let change = before == nil ? "added" : now == nil ? "removed" : "changed"
                var what = "\(path) \(change)"
                if let p { what += " (sha256:\(p.id.short), \(formatBytes(p.size))\(p.files.map { ", \($0) files" } ?? ""))" }
                what += ": \(info.summary)"
                var d: [String: JSON] = ["path": .string(path), "change": .string(change), "summary": .string(info.summary)]
                if let p { d["id"] = .string("sha256:" + p.id.hex); d["size"] = .int(p.size) }
                out.append(AuditEntry(kind: "data", time: Double(info.time), who: info.author, commit: commit, what: what, details: .object(d)))
            }
        }
        return out
    }
}
