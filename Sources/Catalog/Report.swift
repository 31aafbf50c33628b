import Foundation
#if canImport(Glibc)
import Glibc
#endif
import GitBridge
import Lineage
import MLOpsBasics
import Workspace

/// Times as the catalog prints them: ISO 8601 UTC in JSON, `2026-12-03 18:00:01 UTC` for people.
public enum CatalogTime {
    public static func iso(_ seconds: Int64) -> String {
        // By hand: `model list` prints thousands of times, and a date formatter costs more than the rest.
        var t = time_t(seconds)
        var tm = Glibc.tm()
        gmtime_r(&t, &tm)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(tm.tm_year + 1900)-\(two(tm.tm_mon + 1))-\(two(tm.tm_mday))T\(two(tm.tm_hour)):\(two(tm.tm_min)):\(two(tm.tm_sec))Z"
    }

    public static func display(_ seconds: Int64) -> String {
        String(iso(seconds).prefix(19)).replacingOccurrences(of: "T", with: " ") + " UTC"
    }

    /// Seconds since the epoch of a run record's ISO time stamp.
    static func seconds(_ iso: String) -> Int64? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: iso) { return Int64(d.timeIntervalSince1970.rounded(.down)) }
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: iso).map { Int64($0.timeIntervalSince1970) }
    }
}

/// Text from tags and run records (which may come from anyone's clone) made safe for a terminal:
/// control characters, escape sequences included, become `?`; newlines too unless `newlines`.
public func displayable(_ s: String, newlines: Bool = true) -> String {
    guard s.unicodeScalars.contains(where: { ($0.value < 0x20 && $0 != "\n") || ($0.value >= 0x7f && $0.value < 0xa0) || (!newlines && $0 == "\n") }) else { return s }
    return String(String.UnicodeScalarView(s.unicodeScalars.map { c in
        (c.value < 0x20 && (c != "\n" || !newlines)) || (c.value >= 0x7f && c.value < 0xa0) ? "?" : c
    }))
}

/// `a=1 b.c=2`: values flattened for one line.
func inline(_ o: [String: JSON]) -> String {
    o.keys.sorted().flatMap { k in
        Values.flatten(o[k]!).map { "\($0.key.isEmpty ? k : k + "." + $0.key)=\(Values.display($0.value))" }
    }.joined(separator: " ")
}

/// Signature checks, one `git verify-tag` per signed tag, remembered for the command's duration.
public final class SignatureChecker {
    let git: GitRepository
    private var seen: [String: (SignatureStatus, String)] = [:]

    public init(git: GitRepository) { self.git = git }

    public func check(_ tag: AnnotatedTag) -> (status: SignatureStatus, detail: String) {
        if let s = seen[tag.name] { return s }
        let r = (try? git.verifyTag(tag)) ?? (.bad, "git verify-tag could not run")
        seen[tag.name] = r
        return r
    }
}

extension CatalogEvent {
    /// The event as `show --json` and `audit --json` print it.
    func json(_ signatures: SignatureChecker?) -> JSON {
        var o: [String: JSON] = [
            "event": .string(action.rawValue), "tag": .string(tag.name), "commit": .string(commit.hex),
            "at": .string(CatalogTime.iso(tag.time)), "by": .string(tag.taggerName), "email": .string(tag.taggerEmail),
            "message": .string(tag.message.trimmingCharacters(in: .whitespacesAndNewlines)),
        ]
        if let version { o["version"] = .string(version) }
        if let stage { o["stage"] = .string(stage) }
        if let c = name.counter { o["counter"] = JSON(c) }
        if let ov = PromotionOverride(message: tag.message) {
            o["override"] = .object(["reason": .string(ov.reason), "failed_gates": .array(ov.failed.map { .string($0) })])
        }
        if let signatures {
            let (s, d) = signatures.check(tag)
            o["signature"] = .string(s.rawValue)
            if !d.isEmpty { o["signature_detail"] = .string(d) }
        }
        return .object(o)
    }

    /// `2026-12-03 18:00:01 UTC  assign production  by Test User <test@example.com>  (tag model#production#1, verified)`.
    func line(_ signatures: SignatureChecker?) -> String {
        let what: String
        switch action {
        case .register: what = "registered \(version ?? "")"
        case .deregister: what = "deregistered \(version ?? "")"
        case .assign: what = "promoted \(version ?? "") to \(stage ?? "")"
        case .unassign: what = "removed \(version ?? "") from \(stage ?? "")"
        case .deprecate: what = "deprecated the model"
        }
        let sig = signatures.map { ", " + $0.check(tag).status.rawValue } ?? ""
        return displayable("\(CatalogTime.display(tag.time))  \(what) by \(tag.taggerName) <\(tag.taggerEmail)> (tag \(tag.name)\(sig))", newlines: false)
    }
}

// MARK: list

extension ModelEntry {
    /// One model as `list --json` prints it.
    public var listJSON: JSON {
        var stagesJSON: [String: JSON] = [:]
        for (s, hit) in stages {
            stagesJSON[s] = .object([
                "version": .string(hit.version.name), "commit": .string(hit.version.commit.hex), "tag": .string(hit.assignment.tag.name),
                "at": .string(CatalogTime.iso(hit.assignment.tag.time)), "by": .string(hit.assignment.tag.taggerName),
            ])
        }
        return .object([
            "name": .string(name), "registered": .bool(isRegistered), "deprecated": .bool(isDeprecated),
            "latest": latest.map { .string($0.name) } ?? .null,
            "latest_commit": latest.map { .string($0.commit.hex) } ?? .null,
            "versions": JSON(activeVersions.filter(\.isRegistered).count),
            "stages": .object(stagesJSON),
        ])
    }
}

extension Catalog {
    /// `model list`: one row per model, a column per stage in use (as `gto show` prints it).
    public static func listText(_ models: [ModelEntry]) -> String {
        guard !models.isEmpty else { return "" }
        let stageNames = Set(models.flatMap { $0.stages.keys }).sorted()
        let rows = models.map { m -> [String] in
            let st = m.stages
            return [m.isRegistered ? m.name : "*" + m.name, m.latest?.name ?? "-"] + stageNames.map { st[$0]?.version.name ?? "-" }
                + (m.isDeprecated ? ["(deprecated)"] : [])
        }
        return displayable(TextTable(headers: ["name", "latest"] + stageNames.map { "#" + $0 }, rows: rows).text)
    }
}

// MARK: show NAME

extension ModelEntry {
    public func versionsJSON(_ signatures: SignatureChecker?) -> JSON {
        .object([
            "name": .string(name), "deprecated": .bool(isDeprecated), "latest": latest.map { .string($0.name) } ?? .null,
            "versions": .array(activeVersions.map { v in
                .object([
                    "version": .string(v.name), "commit": .string(v.commit.hex), "registered": .bool(v.isRegistered),
                    "stages": .array(v.activeStages.keys.sorted().filter { stages[$0]?.version.name == v.name }.map { .string($0) }),
                    "registration": v.registration.map { $0.json(signatures) } ?? .null,
                ])
            }),
        ])
    }

    public var versionsText: String {
        let st = stages
        let rows = activeVersions.map { v -> [String] in
            let inStages = st.filter { $0.value.version.name == v.name }.keys.sorted().joined(separator: ", ")
            let reg = v.registration
            return [v.name, v.commit.short, inStages.isEmpty ? "-" : inStages,
                    reg.map { CatalogTime.display($0.tag.time) } ?? "-", reg.map { $0.tag.taggerName } ?? "-"]
        }
        return displayable("\(name)\(isDeprecated ? " (deprecated)" : "")\n" + TextTable(headers: ["version", "commit", "stages", "registered", "by"], rows: rows).text)
    }
}

// MARK: show NAME@VERSION

/// Something more that `show` tells about a version. The validation work adds its results at the
/// version's commit through this (pass it to `ModelRegistry.report(_:_:facts:)`).
public protocol VersionFactsProvider {
    /// A key for `--json` and lines for the text form; nil when there is nothing to say.
    func facts(model: String, version: ModelVersion, registry: ModelRegistry) throws -> (key: String, json: JSON, text: [String])?
}

/// What `show NAME@VERSION` tells.
public struct VersionReport {
    public var model: ModelEntry
    public var version: ModelVersion
    public var weights: ModelRegistry.Weights
    public var run: RunRecord?
    public var runCommit: GitOID?
    public var lineage: LineageGraph?
    public var extras: [(key: String, json: JSON, text: [String])] = []
    let signatures: SignatureChecker

    var stageNow: [String] {
        model.stages.filter { $0.value.version.name == version.name && $0.value.version.commit == version.commit }.keys.sorted()
    }

    var stageHistory: [CatalogEvent] { version.stageEvents.sorted(by: CatalogEvent.precedes) }

    public var json: JSON {
        var w: [String: JSON] = ["path": weights.path.map { .string($0) } ?? .null,
                                 "declared_in": weights.declaration.map { .string($0.source) } ?? .null,
                                 "type": weights.declaration?.type.map { .string($0) } ?? .null]
        if let p = weights.pointer {
            w["id"] = .string("sha256:" + p.id.hex); w["size"] = .int(p.size); w["kind"] = .string(p.kind.rawValue)
            if let f = p.files { w["files"] = JSON(f) }
        } else if let b = weights.blob {
            w["git_blob"] = .string(b.hex)
        }
        var runJSON: JSON = .null
        if let r = run {
            runJSON = .object([
                "id": .string(r.id), "stage": .string(r.stage), "cmd": .string(r.cmd), "started": .string(r.started),
                "commit": runCommit.map { .string($0.hex) } ?? .null, "user": r.user.map { .string($0) } ?? .null,
                "host": r.host.map { .string($0) } ?? .null, "params": .object(r.params), "metrics": .object(r.metrics),
                "inputs": .array(r.inputs.map { a in
                    .object(["path": .string(a.path), "id": a.oid.map { .string("sha256:" + $0.hex) } ?? .null, "size": a.size.map { .int($0) } ?? .null])
                }),
            ])
        }
        var o: [String: JSON] = [
            "model": .string(model.name), "version": .string(version.name), "commit": .string(version.commit.hex),
            "registered": .bool(version.isRegistered), "active": .bool(version.isActive),
            "registration": version.registration.map { $0.json(signatures) } ?? .null,
            "stages": .array(stageNow.map { .string($0) }),
            "stage_history": .array(stageHistory.map { $0.json(signatures) }),
            "weights": .object(w), "run": runJSON,
            "lineage": lineage.map { $0.json["artifact"] ?? .null } ?? .null,
        ]
        for e in extras { o[e.key] = e.json }
        return .object(o)
    }

    public var text: String {
        var lines = ["\(model.name) \(version.name)\(version.isActive ? "" : " (deregistered)")\(model.isDeprecated ? " (model deprecated)" : "")"]
        lines.append("commit:     \(version.commit.hex)")
        if let reg = version.registration {
            lines.append("registered: \(CatalogTime.display(reg.tag.time)) by \(reg.tag.taggerName) <\(reg.tag.taggerEmail)> (tag \(reg.tag.name), \(signatures.check(reg.tag).status.rawValue))")
            let msg = reg.tag.message.trimmingCharacters(in: .whitespacesAndNewlines)
            if !msg.isEmpty { lines.append("            \(msg.split(separator: "\n").joined(separator: " / "))") }
        }
        lines.append("stages:     \(stageNow.isEmpty ? "none" : stageNow.joined(separator: ", "))")
        if let path = weights.path {
            var w = "weights:    \(path)"
            if let p = weights.pointer {
                w += " (\(p.kind.rawValue), sha256:\(p.id.hex), \(formatBytes(p.size))\(p.files.map { ", \($0) files" } ?? ""))"
            } else if let b = weights.blob {
                w += " (kept in git, blob \(b.short))"
            } else {
                w += " (not in this commit)"
            }
            lines.append(w + ", declared in \(weights.declaration?.source ?? "?")\(weights.declaration?.type.map { " as \($0)" } ?? "")")
        } else {
            lines.append("weights:    no path declared (register with --path, or declare it in artifacts.yaml)")
        }
        if let r = run {
            let on = runCommit.map { "on \($0.short)" } ?? "not committed"
            lines.append("run:        \(r.stage) run \(r.shortID) \(on), \(RunRecord.formatTime(r.started))\(r.user.map { " by \($0)" } ?? "")\(r.host.map { "@\($0)" } ?? "")")
            lines.append("  cmd:      \(r.cmd)")
            if !r.params.isEmpty { lines.append("  params:   \(inline(r.params))") }
            if !r.metrics.isEmpty {
                lines.append("  metrics:  " + r.metrics.keys.sorted().map { f in
                    "\(f): " + Values.flatten(r.metrics[f]!).map { "\($0.key)=\(Values.display($0.value))" }.joined(separator: " ")
                }.joined(separator: "; "))
            }
            for i in r.inputs { lines.append("  data:     \(i.path) (\(i.shortID)\(i.size.map { ", " + formatBytes($0) } ?? ""))") }
        } else {
            lines.append("run:        no recorded run made these weights")
        }
        if let g = lineage, run != nil {
            lines.append("lineage:")
            lines += g.tree.split(separator: "\n").map { "  " + $0 }
        }
        for e in extras { lines += e.text }
        lines.append("stage history:")
        let history = stageHistory
        if history.isEmpty { lines.append("  none") }
        for e in history {
            lines.append("  " + e.line(signatures))
            let msg = e.tag.message.trimmingCharacters(in: .whitespacesAndNewlines)
            if !msg.isEmpty { lines.append("    " + msg.split(separator: "\n").filter { !$0.isEmpty }.joined(separator: " / ")) }
        }
        return displayable(lines.joined(separator: "\n") + "\n")
    }
}

extension ModelRegistry {
    /// Everything `show NAME@VERSION` tells.
    public func report(_ m: ModelEntry, _ v: ModelVersion, facts: [VersionFactsProvider] = []) throws -> VersionReport {
        let w = try weights(m.name, v)
        var graph: LineageGraph?
        var run: RunRecord?, runCommit: GitOID?
        if let repo {
            let journal = Journal(repo: repo)
            journal.attachPendingQuietly()
            graph = try lineage(m.name, v, journal: journal)
            if let g = graph, let r = g.data[g.root].producer {
                run = g.runs[r].record
                runCommit = g.runs[r].commit
            }
        }
        var report = VersionReport(model: m, version: v, weights: w, run: run, runCommit: runCommit, lineage: graph, signatures: SignatureChecker(git: git))
        for p in facts { if let f = try p.facts(model: m.name, version: v, registry: self) { report.extras.append(f) } }
        return report
    }
}
