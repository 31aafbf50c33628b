import Foundation
import GitBridge
import MLOpsBasics
import Workspace

/// The chain of runs and data that made an artifact: model <- train run <- prepared data <- prepare
/// run <- raw data. Data versions are nodes by (path, id); each is linked to the run that wrote it.
public struct LineageGraph: Sendable {
    public struct DataNode: Sendable {
        public var artifact: Artifact
        /// Index into `runs` of the run that wrote this version; nil for source data.
        public var producer: Int?
    }

    public struct RunNode: Sendable {
        public var record: RunRecord
        /// The commit whose note holds the record; nil when pending.
        public var commit: GitOID?
        /// Indexes into `data`.
        public var inputs: [Int]
    }

    public var data: [DataNode] = []
    public var runs: [RunNode] = []
    /// The artifact asked about (index into `data`).
    public var root = 0
    /// The revision the artifact was read at ("workspace" when none).
    public var revision = "workspace"

    // MARK: Building

    /// Builds the lineage of `userPath` at `rev` (the workspace when nil).
    public static func build(repo: Repo, journal: Journal, path userPath: String, rev: String?, cwd: String = FS.currentDirectory) throws -> LineageGraph {
        let commit = try rev.map { try repo.git.resolveCommit($0) }
        var rel = try repo.relativePath(userPath, cwd: cwd)
        if rel.hasSuffix(".mlops") { rel = String(rel.dropLast(6)) }
        let target = try resolve(repo: repo, rel: rel, commit: commit, rev: rev)

        // Candidate producers, best first: runs on the revision, pending runs, runs on its ancestors,
        // then any other run in the notes. Only notes that mention the artifact's id are parsed.
        let tip = commit ?? repo.git.head
        func producer(of a: Artifact) throws -> Journal.Entry? {
            guard let oid = a.oid else { return nil }
            let needle = "sha256:" + oid.hex
            func writes(_ e: Journal.Entry) -> Bool {
                (e.record.outputs + e.record.metricFiles).contains { $0.path == a.path && $0.oid == oid }
            }
            var hit: Journal.Entry?
            if let commit { hit = try journal.records(on: commit).map { Journal.Entry(record: $0, commit: commit, pendingFile: nil) }.first(where: writes) }
            if hit == nil { hit = journal.pending().reversed().first(where: writes) }
            if hit == nil {
                hit = try journal.history(from: tip, needle: needle, limit: 1, lines: { mayWrite($0, needle) }) { r in
                    writes(Journal.Entry(record: r, commit: nil, pendingFile: nil))
                }.first
            }
            if hit == nil { hit = try journal.records(mentioning: needle, lines: { mayWrite($0, needle) }).first(where: writes) }
            // Outputs restored from the run cache: show the run that computed them, when it is known.
            // Outputs restored from the run cache (perhaps more than once): show the run that computed them.
            var seen = Set<String>()
            while let from = hit?.record.restoredFrom, seen.insert(from).inserted,
                  let original = try journal.records(mentioning: "\"id\":" + JSON.string(from).canonical).first(where: { $0.record.id == from && writes($0) }) {
                hit = original
            }
            return hit
        }

        var g = LineageGraph()
        g.revision = rev ?? "workspace"
        var dataIndex: [String: Int] = [:]
        var runIndex: [String: Int] = [:]
        func addData(_ a: Artifact) throws -> Int {
            let key = a.path + "@" + (a.oid?.hex ?? a.blob ?? "?")
            if let i = dataIndex[key] { return i }
            g.data.append(DataNode(artifact: a, producer: nil))
            let i = g.data.count - 1
            dataIndex[key] = i
            if let e = try producer(of: a) {
                let id = e.record.id
                if let r = runIndex[id] {
                    g.data[i].producer = r
                } else {
                    g.runs.append(RunNode(record: e.record, commit: e.commit, inputs: []))
                    let r = g.runs.count - 1
                    runIndex[id] = r
                    g.data[i].producer = r
                    let inputs = try e.record.inputs.map { try addData($0) }
                    g.runs[r].inputs = inputs
                }
            }
            return i
        }
        g.root = try addData(target)
        return g
    }

    /// `model.npy@HEAD~1` -> ("model.npy", "HEAD~1"); the first `@` after which a revision resolves
    /// splits, so paths containing `@` and revisions like `main@{1}` both work.
    public static func split(_ target: String, repo: Repo) -> (path: String, rev: String?) {
        var from = target.startIndex
        while let at = target[from...].firstIndex(of: "@") {
            let left = String(target[..<at]), right = String(target[target.index(after: at)...])
            if !left.isEmpty, !right.isEmpty, (try? repo.git.resolveCommit(right)) != nil { return (left, right) }
            from = target.index(after: at)
        }
        return (target, nil)
    }

    /// The artifact at `rel`: a pointer (or the pointer of a directory containing it), or a file git tracks.
    static func resolve(repo: Repo, rel: String, commit: GitOID?, rev: String?) throws -> Artifact {
        let pointers = try commit.map { try repo.pointers(at: $0, strict: false) } ?? repo.workspacePointers()
        if let t = pointers.first(where: { $0.path == rel }) ?? pointers.first(where: { rel.hasPrefix($0.path + "/") }) {
            return Artifact(path: t.path, oid: t.pointer.id, size: t.pointer.size, type: t.pointer.kind.rawValue, files: t.pointer.files)
        }
        let bytes: [UInt8]?
        if let commit { bytes = try repo.git.file(rel, in: commit) } else { bytes = try? FS.readFile(repo.absolute(rel)) }
        guard let bytes else {
            throw MLOpsError("\(rel) is not tracked \(rev.map { "at \($0)" } ?? "in the workspace")",
                             hint: "name a file tracked by git-mlops (a path with a .mlops pointer) or by git")
        }
        return Artifact(path: rel, oid: ObjectID.hashing(bytes), size: Int64(bytes.count), type: "file", blob: GitRepository.blobID(bytes).hex)
    }

    // MARK: Output

    /// An indented tree, the artifact first and each run's inputs below it.
    public var tree: String {
        var out: [String] = []
        var shown = Set<Int>()
        func describe(_ a: Artifact) -> String {
            var parts = [a.shortID]
            if let s = a.size { parts.append(formatBytes(s)) }
            if let f = a.files { parts.append("\(f) files") }
            return "\(a.path) (\(parts.joined(separator: ", ")))"
        }
        func walk(_ i: Int, _ depth: Int) {
            let pad = String(repeating: "  ", count: depth * 2)
            let node = data[i]
            guard shown.insert(i).inserted || node.producer == nil else {
                out.append("\(pad)\(describe(node.artifact)), made as shown above")
                return
            }
            out.append(pad + describe(node.artifact))
            guard let r = node.producer else {
                out.append("\(pad)  <- no recorded run (source data)")
                return
            }
            let run = runs[r]
            let rec = run.record
            let on = run.commit.map { "on \($0.short)" } ?? "not committed yet"
            out.append("\(pad)  <- \(rec.stage): run \(rec.shortID) \(on), \(Clock.display(rec.started))")
            let detail = pad + "     "
            if let from = rec.restoredFrom { out.append("\(detail)restored from run \(from.prefix(12)) (run cache)") }
            out.append("\(detail)cmd:     \(rec.cmd)")
            if !rec.params.isEmpty { out.append("\(detail)params:  \(LogFormat.inline(rec.params))") }
            let code = rec.codeDeps.map { d in "\(d.path)" + (d.blob.map { " (blob \($0.prefix(10)))" } ?? d.files.map { " (\($0) files)" } ?? "") }
            if !code.isEmpty { out.append("\(detail)code:    \(code.joined(separator: ", "))") }
            if !rec.metrics.isEmpty {
                out.append("\(detail)metrics: " + rec.metrics.keys.sorted().map { "\($0): \(LogFormat.inline(rec.metrics[$0]!))" }.joined(separator: "; "))
            }
            for input in run.inputs { walk(input, depth + 1) }
        }
        walk(root, 0)
        return out.joined(separator: "\n") + "\n"
    }

    public var json: JSON {
        var visiting = Set<Int>()
        func dataJSON(_ i: Int) -> JSON {
            var o = data[i].artifact.json.object ?? [:]
            if let r = data[i].producer, visiting.insert(i).inserted {
                let run = runs[r]
                o["run"] = .object([
                    "id": .string(run.record.id), "stage": .string(run.record.stage), "cmd": .string(run.record.cmd),
                    "commit": run.commit.map { .string($0.hex) } ?? .null, "started": .string(run.record.started),
                    "params": .object(run.record.params), "metrics": .object(run.record.metrics),
                    "code": .array(run.record.codeDeps.map(\.json)),
                    "restored_from": run.record.restoredFrom.map { .string($0) } ?? .null,
                    "inputs": .array(run.inputs.map(dataJSON)),
                ])
                visiting.remove(i)
            } else {
                o["run"] = .null
            }
            return .object(o)
        }
        return .object(["revision": .string(revision), "artifact": dataJSON(root)])
    }

    /// Graphviz: data versions as boxes, runs as ellipses, code as notes; edges follow the data.
    public var dot: String {
        func q(_ s: String) -> String { JSON.string(s).canonical }
        var lines = ["digraph lineage {", "  rankdir=LR;", "  node [fontname=\"Helvetica\", fontsize=10];"]
        for (i, d) in data.enumerated() {
            let a = d.artifact
            lines.append("  d\(i) [shape=box, label=\(q("\(a.path)\n\(a.shortID)"))\(i == root ? ", style=bold" : "")];")
        }
        var codeNodes: [String: Int] = [:]
        for (r, run) in runs.enumerated() {
            let rec = run.record
            let on = run.commit.map { $0.short } ?? "pending"
            var label = "\(rec.stage)\nrun \(rec.shortID) @ \(on)"
            if !rec.params.isEmpty { label += "\n" + LogFormat.inline(rec.params) }
            lines.append("  r\(r) [shape=ellipse, label=\(q(label))];")
            for input in run.inputs { lines.append("  d\(input) -> r\(r);") }
            for c in rec.codeDeps {
                let key = c.path + "@" + (c.blob ?? c.digest ?? "")
                let n: Int
                if let k = codeNodes[key] { n = k } else {
                    n = codeNodes.count
                    codeNodes[key] = n
                    let id = (c.blob ?? c.digest ?? "").prefix(10)
                    lines.append("  c\(n) [shape=note, label=\(q("\(c.path)\n\(id)"))];")
                }
                lines.append("  c\(n) -> r\(r);")
            }
        }
        for (i, d) in data.enumerated() {
            if let r = d.producer { lines.append("  r\(r) -> d\(i);") }
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }
}
