import Foundation
import GitBridge
import MLOpsBasics
import Store
import Workspace

/// How a re-run compares with its record.
public enum Verdict: Sendable, Equatable {
    /// Every output and metrics file has the recorded id.
    case identical
    /// Ran, but some outputs differ: one line per difference (metrics with their change).
    case differs([String])
    /// Could not run, failed, or did not write its outputs.
    case failed(String)
}

public struct ReproduceResult: Sendable {
    public var stage: String
    public var run: String
    public var commit: GitOID
    public var verdict: Verdict
    public var seconds: Double
    public var outputs: Int

    /// The lines commands print for this result.
    public var text: String {
        switch verdict {
        case .identical:
            return "\(stage): identical to run \(run.prefix(12)) (\(outputs) output\(outputs == 1 ? "" : "s")) in \(Clock.duration(seconds))\n"
        case .differs(let lines):
            return "\(stage): differs from run \(run.prefix(12)):\n" + lines.map { "  \($0)\n" }.joined()
        case .failed(let why):
            return "\(stage): failed: \(why)\n"
        }
    }

    public var json: JSON {
        var o: [String: JSON] = ["stage": .string(stage), "run": .string(run), "commit": .string(commit.hex),
                                 "seconds": .double((seconds * 1000).rounded() / 1000)]
        switch verdict {
        case .identical: o["result"] = "identical"
        case .differs(let l): o["result"] = "differs"; o["differences"] = .array(l.map { .string($0) })
        case .failed(let w): o["result"] = "failed"; o["reason"] = .string(w)
        }
        return .object(o)
    }
}

/// `reproduce REV[:STAGE]`: re-runs recorded runs in a temporary worktree and compares what they
/// write with their records. The user's workspace, index, branches and notes are not touched.
public final class Reproducer {
    public let repo: Repo
    public let journal: Journal
    /// Send the commands' output to stderr, keeping stdout for `--json`.
    public var commandOutputToStderr = false

    public init(repo: Repo) {
        self.repo = repo
        journal = Journal(repo: repo)
    }

    /// `HEAD~1:train` -> ("HEAD~1", "train"); `HEAD` -> ("HEAD", nil).
    public func split(_ spec: String) -> (rev: String, stage: String?) {
        if let colon = spec.lastIndex(of: ":") {
            let rev = String(spec[..<colon]), stage = String(spec[spec.index(after: colon)...])
            if !rev.isEmpty, Pipeline.isValidName(stage), (try? repo.git.resolveCommit(rev)) != nil { return (rev, stage) }
        }
        return (spec, nil)
    }

    /// The records to reproduce for REV: per stage, the run on REV, else the newest run reachable from
    /// REV whose outputs are the ones REV holds, else the newest reachable run.
    public func select(rev: String, stage: String?) throws -> [Journal.Entry] {
        let commit = try repo.git.resolveCommit(rev)
        journal.attachPendingQuietly()
        let reachable = try journal.history(from: commit)
        let pointers = Dictionary(try repo.pointers(at: commit, strict: false).map { ($0.path, $0.pointer.id) }, uniquingKeysWith: { a, _ in a })
        var names: [String] = []
        if let stage { names = [stage] } else {
            if let bytes = try repo.git.file(Pipeline.fileName, in: commit),
               let p = try? Pipeline.parse(String(decoding: bytes, as: UTF8.self)) {
                names = try p.order().map(\.name)
            }
            for e in reachable.reversed() where !names.contains(e.record.stage) { names.append(e.record.stage) }
        }
        var out: [Journal.Entry] = []
        for name in names {
            let runs = reachable.filter { $0.record.stage == name }
            let matching = runs.first { e in e.record.outputs.allSatisfy { pointers[$0.path] == $0.oid } }
            if let e = runs.first(where: { $0.commit == commit }) ?? matching ?? runs.first { out.append(e) }
        }
        if out.isEmpty {
            throw MLOpsError(stage.map { "no recorded run of stage '\($0)' at \(rev) or before it" } ?? "no recorded runs at \(rev) or before it",
                             hint: "`git mlops log` lists recorded runs; records travel with refs/notes/mlops (fetch them from the remote)")
        }
        return out
    }

    /// Reproduces each selected run; `starting` is called before each run and `finished` after it.
    public func reproduce(_ entries: [Journal.Entry], starting: (Journal.Entry) -> Void,
                          finished: (ReproduceResult) -> Void = { _ in }) throws -> [ReproduceResult] {
        Interrupts.install()
        var worktrees: [GitOID: String] = [:]
        defer { for (_, dir) in worktrees { removeWorktree(dir) } }
        var results: [ReproduceResult] = []
        for e in entries {
            guard let commit = e.commit else { continue }
            try Interrupts.check("before reproducing stage '\(e.record.stage)'")
            if worktrees[commit] == nil { worktrees[commit] = try addWorktree(commit) }
            starting(e)
            let r = try reproduce(e.record, commit: commit, in: worktrees[commit]!)
            finished(r)
            results.append(r)
        }
        return results
    }

    // MARK: Worktrees

    func addWorktree(_ commit: GitOID) throws -> String {
        let base = FS.realpath(NSTemporaryDirectory()) ?? "/tmp"
        let dir = base + "/git-mlops-reproduce-" + RunRecord.newID().prefix(10)
        do {
            try repo.gitCommand.run(["-c", "core.hooksPath=/dev/null", "worktree", "add", "--detach", "-q", dir, commit.hex],
                                    hint: "check `git worktree list`; `git worktree prune` removes stale entries")
        } catch {
            try? FS.removeTree(dir)
            throw error
        }
        return dir
    }

    func removeWorktree(_ dir: String) {
        if (try? repo.gitCommand.run(["worktree", "remove", "--force", dir])) == nil {
            try? FS.removeTree(dir)
            _ = try? repo.gitCommand.run(["worktree", "prune"])
        }
    }

    // MARK: One run

    func reproduce(_ rec: RunRecord, commit: GitOID, in dir: String) throws -> ReproduceResult {
        var result = ReproduceResult(stage: rec.stage, run: rec.id, commit: commit, verdict: .identical, seconds: 0,
                                     outputs: rec.outputs.count + rec.metricFiles.count)
        func fail(_ why: String) -> ReproduceResult { result.verdict = .failed(why); return result }
        let wt = try Repo.open(from: dir)

        // Inputs, exactly as recorded, from the cache (or the default remote as configured now, not at the
        // recorded commit, which may predate the remote).
        let pointers = try wt.workspacePointers()
        var checkout: [String] = []
        for i in rec.inputs {
            guard let id = i.oid else { continue }
            if let cover = pointers.first(where: { i.path.hasPrefix($0.path + "/") }) {
                if !checkout.contains(cover.path) { checkout.append(cover.path) }
                continue
            }
            if pointers.contains(where: { $0.path == i.path }) || FS.lstat(wt.absolute(i.path)) == nil {
                let p = Pointer(id: id, size: i.size ?? 0, kind: i.type == "dir" ? .dir : .file, files: i.files)
                try wt.ensureSafeParents(of: i.path, create: true)
                try FS.writeAtomic(wt.absolute(Pointer.pointerPath(forData: i.path)), p.encode())
                checkout.append(i.path)
            }
        }
        do {
            try repo.ensureObjects(rec.inputs.filter { checkout.contains($0.path) }.compactMap(\.oid))
            if !checkout.isEmpty { _ = try wt.checkout(checkout, force: true, cwd: dir) }
        } catch let e as MLOpsError {
            return fail("cannot materialize its inputs: \(e)")
        }
        let hashed = try wt.hash(rec.inputs.map(\.path))
        for i in rec.inputs where (hashed[i.path] ?? nil)?.id != i.oid {
            return fail("input \(i.path) is not the recorded \(i.shortID)")
        }

        // Code must be the recorded code; params are set to the recorded values.
        for d in rec.codeDeps {
            let abs = wt.absolute(d.path)
            let same: Bool
            if let blob = d.blob { same = (try? CodeHasher.blob(abs)) == blob } else { same = (try? CodeHasher.directory(wt, d.path))?.digest == d.digest }
            if !same { return fail("code \(d.path) at \(commit.short) is not the code that ran") }
        }
        var docs: [String: JSON] = [:]
        for (name, value) in rec.params {
            let ref = ParamRef(name: name)
            if docs[ref.file] == nil {
                let abs = wt.absolute(ref.file)
                docs[ref.file] = FS.exists(abs) ? try Values.parseDocument(try Values.readDocument(root: wt.root, path: ref.file), path: ref.file) : .object([:])
            }
            if Values.lookup(docs[ref.file]!, ref.key) != value {
                docs[ref.file] = Values.setting(docs[ref.file]!, ref.key, to: value)
                // JSON is YAML too, so one writer serves both kinds of params file.
                try wt.ensureSafeParents(of: ref.file, create: true)
                try FS.writeAtomic(wt.absolute(ref.file), docs[ref.file]!.pretty + "\n")
            }
        }

        // Run, with the outputs cleared first.
        for o in rec.outputs.map(\.path) + rec.metricFiles.map(\.path) {
            try wt.ensureSafeParents(of: o, create: true)
            try FS.removeTree(wt.absolute(o))
        }
        let cwd = rec.wdir.isEmpty ? dir : wt.absolute(rec.wdir)
        let (status, seconds) = try Shell.run(rec.cmd, cwd: cwd, stdoutToStderr: commandOutputToStderr)
        result.seconds = seconds
        try Interrupts.check("while reproducing stage '\(rec.stage)'")
        if status != 0 { return fail("exit code \(status)" + Reproducer.undeclaredDataNote(stage: rec.stage, pointers: pointers, materialized: checkout)) }
        let absent = (rec.outputs + rec.metricFiles).map(\.path).filter { FS.lstat(wt.absolute($0)) == nil }
        if !absent.isEmpty { return fail("did not write \(absent.joined(separator: ", "))") }

        // Compare.
        var diffs: [String] = []
        let now = try wt.hash(rec.outputs.map(\.path))
        for o in rec.outputs {
            let cur = now[o.path] ?? nil
            if cur?.id != o.oid {
                diffs.append("\(o.path): \(o.shortID) -> \(cur.map { "sha256:" + $0.id.short } ?? "missing")")
            }
        }
        for m in rec.metricFiles {
            let bytes = try FS.readFile(wt.absolute(m.path))
            guard ObjectID.hashing(bytes) != m.oid else { continue }
            let newDoc = try? Values.parseDocument(String(decoding: bytes, as: UTF8.self), path: m.path)
            let rows = Compare.metrics([m.path: rec.metrics[m.path] ?? .object([:])], [m.path: newDoc ?? .object([:])], all: false)
            if rows.isEmpty {
                diffs.append("\(m.path): same values, different bytes")
            }
            for r in rows {
                let change = r.delta.map { " (\(Values.formatDelta($0)))" } ?? ""
                diffs.append("\(m.path): \(r.name) \(Values.display(r.old)) -> \(Values.display(r.new))\(change)")
            }
        }
        if !diffs.isEmpty { result.verdict = .differs(diffs) }
        return result
    }
}
