import Foundation
import GitBridge
import MLOpsBasics
import Workspace

/// Reading run records across history: `log`, and the metadata of a revision or the workspace that
/// `params` and `metrics` compare.
public final class History {
    public let repo: Repo
    public let journal: Journal

    public init(repo: Repo) {
        self.repo = repo
        journal = Journal(repo: repo)
        journal.attachPendingQuietly()
    }

    /// Lines of notes and pending files that could not be read.
    public var problems: [RecordProblem] { journal.problems }

    // MARK: log

    /// Runs newest first: pending runs, then runs in notes of HEAD and its ancestors. `filter` is a
    /// stage name, or a path (relative to `cwd`) that runs read or wrote.
    public func log(_ filter: String?, cwd: String = FS.currentDirectory, limit: Int? = nil) throws -> [Journal.Entry] {
        var include: (RunRecord) -> Bool = { _ in true }
        var needle: String?
        if let filter {
            let stages = Set((try? Pipeline.load(root: repo.root))??.stages.map(\.name) ?? []).union(journal.pending().map(\.record.stage))
            let stageNeedle = "\"stage\":" + JSON.string(filter).canonical
            let recordedStage = try !journal.history(from: repo.git.head, needle: stageNeedle, limit: 1, where: { $0.stage == filter }).isEmpty
            if stages.contains(filter) || recordedStage {
                include = { $0.stage == filter }
                needle = stageNeedle
            } else {
                var rel = try repo.relativePath(filter, cwd: cwd)
                if rel.hasSuffix(".mlops") { rel = String(rel.dropLast(6)) }
                include = { $0.paths.contains { Pipeline.overlaps($0, rel) } }
                // Overlapping paths share their first component: notes without it cannot match.
                let first = String(rel.split(separator: "/").first ?? Substring(rel))
                needle = "\"path\":" + String(JSON.string(first).canonical.dropLast())
            }
        }
        var entries = Array(journal.pending().reversed().filter { include($0.record) })
        if let limit, entries.count >= limit { return Array(entries.prefix(limit)) }
        entries += try journal.history(from: repo.git.head, needle: needle, limit: limit.map { $0 - entries.count }, where: include)
        return entries
    }

    /// One commit's summary line for log output.
    public func summary(of commit: GitOID) -> String { (try? repo.git.commitInfo(commit).summary) ?? "" }

    // MARK: Revisions

    /// One side of a comparison: a commit, or the workspace (nil commit).
    public struct Side: Sendable {
        public var label: String
        public var commit: GitOID?
    }

    public func side(_ rev: String?) throws -> Side {
        guard let rev, rev != "workspace" else { return Side(label: "workspace", commit: nil) }
        return Side(label: rev, commit: try repo.git.resolveCommit(rev))
    }

    func text(_ path: String, at side: Side) throws -> String? {
        if let c = side.commit {
            return (try? repo.git.file(path, in: c))?.map { String(decoding: $0, as: UTF8.self) } ?? nil
        }
        let abs = repo.absolute(path)
        return FS.exists(abs) ? try Values.readDocument(root: repo.root, path: path) : nil
    }

    /// The pipeline at a side; nil when it has none.
    public func pipeline(at side: Side) throws -> Pipeline? {
        guard let t = try text(Pipeline.fileName, at: side) else { return nil }
        return try Pipeline.parse(t, path: side.commit == nil ? Pipeline.fileName : "\(side.label):\(Pipeline.fileName)")
    }

    func document(_ path: String, at side: Side) throws -> JSON? {
        guard let t = try text(path, at: side) else { return nil }
        return try Values.parseDocument(t, path: side.commit == nil ? path : "\(side.label):\(path)")
    }

    /// Every param leaf at a side, by name: all of `params.yaml`, and the keys stages name in other files.
    public func params(at side: Side) throws -> [String: JSON] {
        var out: [String: JSON] = [:]
        var refs = Set<ParamRef>()
        for s in try pipeline(at: side)?.stages ?? [] { refs.formUnion(s.params) }
        if let doc = try document(Pipeline.defaultParamsFile, at: side) {
            for (k, v) in Values.flatten(doc) where !k.isEmpty { out[k] = v }
        }
        var docs: [String: JSON?] = [:]
        for ref in refs where ref.file != Pipeline.defaultParamsFile {
            if docs[ref.file] == nil { docs[ref.file] = try document(ref.file, at: side) }
            guard let doc = docs[ref.file] ?? nil, let v = Values.lookup(doc, ref.key) else { continue }
            let prefix = ref.name
            for (k, leaf) in Values.flatten(v) {
                out[k.isEmpty ? prefix : (prefix.hasSuffix(":") ? prefix + k : prefix + "." + k)] = leaf
            }
        }
        return out
    }

    /// Metrics at a side, by file: the metrics files the pipeline declares, read from the workspace or
    /// the commit; for a commit that lacks a file, the values its run records hold.
    public func metrics(at side: Side) throws -> [String: JSON] {
        var problems: [Error] = []
        let out = try metrics(at: side, problems: &problems)
        if let first = problems.first { throw first }
        return out
    }

    /// `metrics(at:)`, but a metrics file that cannot be read goes to `problems` and the rest are kept.
    public func metrics(at side: Side, problems: inout [Error]) throws -> [String: JSON] {
        var out: [String: JSON] = [:]
        let files = (try pipeline(at: side)?.stages ?? []).flatMap(\.metrics)
        for f in files {
            do {
                if let doc = try document(f, at: side) { out[f] = doc }
            } catch {
                problems.append(error)
            }
        }
        if let c = side.commit {
            // Later runs on the commit win; files read from the commit itself are never overridden.
            var fromRecords = Set<String>()
            for r in try journal.records(on: c).sorted(by: { $0.recorded < $1.recorded }) {
                for (f, v) in r.metrics where out[f] == nil || fromRecords.contains(f) {
                    out[f] = v
                    fromRecords.insert(f)
                }
            }
        }
        return out
    }
}

/// Plain-text tables: columns padded to the widest cell, two spaces apart.
public struct TextTable: Sendable {
    public var headers: [String]
    public var rows: [[String]]

    public init(headers: [String], rows: [[String]]) {
        self.headers = headers
        self.rows = rows
    }

    public var text: String {
        let all = [headers] + rows
        var widths = [Int](repeating: 0, count: headers.count)
        for r in all { for (i, c) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) } }
        return all.map { r in
            var line = ""
            for (i, c) in r.enumerated() {
                line += c
                if i < r.count - 1 { line += String(repeating: " ", count: widths[i] - c.count + 2) }
            }
            return line
        }.joined(separator: "\n") + "\n"
    }
}

/// Comparisons of params and metrics between two sides, as rows and as JSON.
public enum Compare {
    public struct Row: Sendable, Equatable {
        /// File (metrics) or empty (params).
        public var file: String
        public var name: String
        public var old: JSON?
        public var new: JSON?
        public var changed: Bool { old != new }
        /// new - old, when both are numbers.
        public var delta: Double? {
            guard let a = old?.double, let b = new?.double, old?.bool == nil, new?.bool == nil else { return nil }
            return b - a
        }
    }

    public static func params(_ a: [String: JSON], _ b: [String: JSON], all: Bool) -> [Row] {
        Set(a.keys).union(b.keys).sorted().map { Row(file: "", name: $0, old: a[$0], new: b[$0]) }.filter { all || $0.changed }
    }

    public static func metrics(_ a: [String: JSON], _ b: [String: JSON], all: Bool) -> [Row] {
        var rows: [Row] = []
        for f in Set(a.keys).union(b.keys).sorted() {
            let l = Dictionary(a[f].map { Values.flatten($0) }?.map { ($0.key, $0.value) } ?? [], uniquingKeysWith: { x, _ in x })
            let r = Dictionary(b[f].map { Values.flatten($0) }?.map { ($0.key, $0.value) } ?? [], uniquingKeysWith: { x, _ in x })
            for k in Set(l.keys).union(r.keys).sorted() {
                rows.append(Row(file: f, name: k, old: l[k], new: r[k]))
            }
        }
        return rows.filter { all || $0.changed }
    }

    public static func paramsTable(_ rows: [Row], _ a: String, _ b: String) -> String {
        TextTable(headers: ["param", a, b], rows: rows.map { [$0.name, Values.display($0.old), Values.display($0.new)] }).text
    }

    public static func metricsTable(_ rows: [Row], _ a: String, _ b: String, precision: Int? = nil) -> String {
        TextTable(headers: ["file", "metric", a, b, "change"], rows: rows.map {
            [$0.file, $0.name, Values.display($0.old, precision: precision), Values.display($0.new, precision: precision),
             $0.delta.map(Values.formatDelta) ?? (($0.changed) ? "changed" : "")]
        }).text
    }

    public static func json(_ rows: [Row], from a: String, to b: String, key: String) -> JSON {
        .object([
            "from": .string(a), "to": .string(b),
            key: .array(rows.map { r in
                var o: [String: JSON] = ["name": .string(r.name), "old": r.old ?? .null, "new": r.new ?? .null]
                if !r.file.isEmpty { o["file"] = .string(r.file) }
                if let d = r.delta {
                    o["change"] = .double(d)
                    if let old = r.old?.double, old != 0 { o["change_pct"] = .double((d / abs(old) * 10000).rounded() / 100) }
                }
                return .object(o)
            }),
        ])
    }

    /// `metrics show`: one column per side.
    public static func showTable(_ sides: [(label: String, metrics: [String: JSON])], precision: Int? = nil) -> String {
        var keys: [(String, String)] = []
        var seen = Set<String>()
        var cells: [[String: JSON]] = []
        for s in sides {
            var flat: [String: JSON] = [:]
            for (f, doc) in s.metrics {
                for (k, v) in Values.flatten(doc) {
                    flat[f + "\u{0}" + k] = v
                    if seen.insert(f + "\u{0}" + k).inserted { keys.append((f, k)) }
                }
            }
            cells.append(flat)
        }
        keys.sort { ($0.0, $0.1) < ($1.0, $1.1) }
        return TextTable(headers: ["file", "metric"] + sides.map(\.label), rows: keys.map { f, k in
            [f, k] + cells.map { Values.display($0[f + "\u{0}" + k], precision: precision) }
        }).text
    }
}

extension Journal.Entry {
    /// The record as `log --json` prints it.
    public var json: JSON {
        .object(["commit": commit.map { .string($0.hex) } ?? .null, "pending": .bool(isPending), "record": record.json])
    }
}

/// How `log` shows a run.
public enum LogFormat {
    public static func text(_ e: Journal.Entry, summary: String?) -> String {
        let r = e.record
        var lines = ["run \(r.id) (\(r.stage))"]
        if let c = e.commit {
            lines.append("Commit:   \(c.short)\(summary.map { " " + $0 } ?? "")")
        } else {
            let base = r.commit.map { String($0.prefix(10)) } ?? "no commit"
            lines.append("Commit:   none yet (ran on \(base)\(r.dirty ? " with uncommitted changes" : "; results not committed"))")
        }
        if let from = r.restoredFrom {
            lines.append("Date:     \(Clock.display(r.recorded)), restored from the run cache")
            lines.append("Restored: outputs of run \(from.prefix(12)), which ran \(Clock.display(r.started))")
        } else {
            var date = "Date:     \(Clock.display(r.started))"
            if let d = r.duration { date += ", took \(Clock.duration(d))" }
            lines.append(date)
        }
        lines.append("Command:  \(r.cmd)")
        if !r.params.isEmpty { lines.append("Params:   \(inline(r.params))") }
        if !r.metrics.isEmpty {
            lines.append("Metrics:  " + r.metrics.keys.sorted().map { "\($0): \(inline(r.metrics[$0]!))" }.joined(separator: "; "))
        }
        if !r.outputs.isEmpty {
            lines.append("Outputs:  " + r.outputs.map { "\($0.path) (\($0.shortID))" }.joined(separator: ", "))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `a=1 b.c=2` for an object of values (flattened), or the value itself.
    static func inline(_ v: JSON) -> String {
        Values.flatten(v).map { $0.key.isEmpty ? Values.display($0.value) : "\($0.key)=\(Values.display($0.value))" }.joined(separator: " ")
    }

    static func inline(_ o: [String: JSON]) -> String {
        o.keys.sorted().flatMap { k in
            Values.flatten(o[k]!).map { "\($0.key.isEmpty ? k : k + "." + $0.key)=\(Values.display($0.value))" }
        }.joined(separator: " ")
    }
}
