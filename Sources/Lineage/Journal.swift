import Foundation
import GitBridge
import MLOpsBasics
import Workspace

/// Where run records live: notes on `refs/notes/mlops` (one JSON line per record, attached to the commit
/// that holds the code that ran) and, for runs on a workspace that no commit holds yet,
/// `.git/mlops/runs/pending/` (one file per record), until a commit holds what ran.
public final class Journal: @unchecked Sendable {
    public let repo: Repo
    public static let ref = Repo.notesRef

    /// A record and where it was found.
    public struct Entry: Sendable {
        public var record: RunRecord
        /// The commit whose note holds it; nil while pending.
        public var commit: GitOID?
        /// The pending file, for pending records.
        public var pendingFile: String?
        public var isPending: Bool { commit == nil }
    }

    /// Lines that could not be read, reported by the commands and otherwise skipped.
    public private(set) var problems: [RecordProblem] = []
    private var texts: [GitOID: String]?
    private var parsed: [GitOID: [RunRecord]] = [:]
    private var pendingCache: [Entry]?

    public init(repo: Repo) { self.repo = repo }

    var runsDir: String { Journal.runsDirectory(of: repo) }
    /// Where pending records and the notes lock live: shared by every worktree.
    static func runsDirectory(of repo: Repo) -> String { repo.storeRoot + "/runs" }
    var pendingDir: String { runsDir + "/pending" }

    /// Serialises note updates and pending-file moves between processes and worktrees.
    func lock() throws -> FileLock {
        try FS.mkdirs(runsDir)
        return try FileLock(path: runsDir + "/notes.lock")
    }

    /// Forgets what was read, after a write.
    func invalidate() {
        texts = nil
        parsed = [:]
        pendingCache = nil
    }

    // MARK: Reading
    //
    // Note bodies are read as text once; a note is parsed only when a command needs its records, and
    // the run cache finds its candidates by the canonical `"key":"<hex>"` text before parsing anything.

    /// Raw note bodies by annotated commit.
    func noteTexts() throws -> [GitOID: String] {
        if let texts { return texts }
        var out: [GitOID: String] = [:]
        for (c, t) in try repo.git.notes(ref: Journal.ref) { out[c] = t }
        texts = out
        return out
    }

    /// The records in one commit's note. A line that is not a record is reported once and skipped.
    public func records(on commit: GitOID) throws -> [RunRecord] {
        if let r = parsed[commit] { return r }
        guard let text = try noteTexts()[commit] else { return [] }
        let (records, problems) = RunRecord.parseNote(text, source: "note on \(commit.short)")
        self.problems += problems
        parsed[commit] = records
        return records
    }

    /// Every record in every note, by annotated commit.
    public func noted() throws -> [GitOID: [RunRecord]] {
        var out: [GitOID: [RunRecord]] = [:]
        for c in try noteTexts().keys {
            let r = try records(on: c)
            if !r.isEmpty { out[c] = r }
        }
        return out
    }

    /// Records waiting for a commit, oldest first.
    public func pending() -> [Entry] {
        if let pendingCache { return pendingCache }
        guard let names = try? FS.listDirectory(pendingDir) else { return [] }
        var out: [Entry] = []
        for e in names where e.kind == .file && e.name.hasSuffix(".json") {
            let path = pendingDir + "/" + e.name
            let text: String
            do {
                text = String(decoding: try FS.readBounded(path, name: e.name, followSymlink: false, fix: "remove it"), as: UTF8.self)
            } catch {
                if FS.exists(path) { problems.append(RecordProblem(source: "pending run \(e.name)", line: 1, reason: "\(error)")) }
                continue
            }
            let (records, problems) = RunRecord.parseNote(text, source: "pending run \(e.name)")
            self.problems += problems
            out += records.map { Entry(record: $0, commit: nil, pendingFile: path) }
        }
        out.sort { $0.record.recorded < $1.record.recorded }
        pendingCache = out
        return out
    }

    /// Records reachable from `tip` (its note and its ancestors'), newest commit first and within a
    /// commit newest run first, that `include` accepts, at most `limit`. Only notes containing
    /// `needle` (a piece of canonical JSON such as `"stage":"train"`) are parsed.
    public func history(from tip: GitOID?, needle: String? = nil, limit: Int? = nil,
                        lines lineFilter: ((String) -> Bool)? = nil,
                        where include: (RunRecord) -> Bool = { _ in true }) throws -> [Entry] {
        guard let tip else { return [] }
        let texts = try noteTexts()
        guard !texts.isEmpty else { return [] }
        var out: [Entry] = []
        for c in try repo.git.commits(reachableFrom: [tip]) {
            guard let t = texts[c], needle.map({ fastContains(t, $0) }) ?? true else { continue }
            if let lineFilter, !t.split(separator: "\n").contains(where: { lineFilter(String($0)) }) { continue }
            for r in try records(on: c).sorted(by: { $0.recorded > $1.recorded }) where include(r) {
                out.append(Entry(record: r, commit: c, pendingFile: nil))
                if let limit, out.count >= limit { return out }
            }
        }
        return out
    }

    /// Records, pending or in any note, with this run-cache key: newest first.
    public func records(withKey key: String) throws -> [Entry] {
        let needle = "\"key\":\"\(key)\""
        var out = pending().filter { $0.record.key == key }
        for (c, text) in try noteTexts() where fastContains(text, needle) {
            out += try records(on: c).filter { $0.key == key }.map { Entry(record: $0, commit: c, pendingFile: nil) }
        }
        return out.sorted { $0.record.recorded > $1.record.recorded }
    }

    /// Records, pending or in any note, whose text contains `needle` (and passes `lineFilter`):
    /// candidates for a search.
    func records(mentioning needle: String, lines lineFilter: ((String) -> Bool)? = nil) throws -> [Entry] {
        var out = pending().filter { fastContains($0.record.line, needle) }
        for (c, text) in try noteTexts() where fastContains(text, needle) {
            if let lineFilter, !text.split(separator: "\n").contains(where: { lineFilter(String($0)) }) { continue }
            out += try records(on: c).map { Entry(record: $0, commit: c, pendingFile: nil) }
        }
        return out
    }

    /// The most recent run of a stage: pending, or on HEAD or its ancestors.
    public func lastRun(of stage: String) throws -> RunRecord? {
        let rs = pending().filter { $0.record.stage == stage }.map(\.record)
            + (try history(from: repo.git.head, needle: "\"stage\":" + JSON.string(stage).canonical, limit: 1, where: { $0.stage == stage })).map(\.record)
        return rs.max { $0.recorded < $1.recorded }
    }

    // MARK: Writing

    /// Adds records to the note of `commit`, keeping the note sorted and free of duplicates.
    public func append(_ records: [RunRecord], to commit: GitOID) throws {
        let l = try lock()
        defer { l.release() }
        try appendLocked(records, to: commit)
    }

    private func appendLocked(_ records: [RunRecord], to commit: GitOID) throws {
        let old = repo.git.note(ref: Journal.ref, on: commit) ?? ""
        let lines = old.split(separator: "\n").map(String.init) + records.map(\.line)
        let text = RunRecord.noteText(lines)
        if text != old { try repo.git.setNote(ref: Journal.ref, on: commit, text: text) }
        invalidate()
    }

    /// Keeps a record until a commit holds what ran.
    public func savePending(_ record: RunRecord) throws {
        try FS.mkdirs(pendingDir)
        let stamp = record.recorded.filter { $0.isNumber }
        try FS.writeAtomic(pendingDir + "/\(stamp)-\(record.id).json", record.line + "\n")
        pendingCache = nil
    }

    /// Attaches every pending record whose files `commit` holds exactly (see `CommitView.mismatch`),
    /// moving it from the pending directory into the commit's note. Returns what was attached and,
    /// for the rest, why not.
    @discardableResult
    public func attachPending(to commit: GitOID) throws -> (attached: [RunRecord], kept: [(RunRecord, String)]) {
        let waiting = pending()
        guard !waiting.isEmpty else { return ([], []) }
        let l = try lock()
        defer { l.release() }
        let view = CommitView(repo: repo, commit: commit)
        var attached: [RunRecord] = []
        var files: [String] = []
        var kept: [(RunRecord, String)] = []
        for e in waiting {
            guard let file = e.pendingFile, FS.exists(file) else { continue }
            if let why = view.mismatch(e.record, includeOutputs: true) {
                kept.append((e.record, why))
                continue
            }
            attached.append(e.record.attached(to: commit, tree: view.tree))
            files.append(file)
        }
        if !attached.isEmpty {
            try appendLocked(attached, to: commit)
            for f in Set(files) { try FS.remove(f) }
            invalidate()
        }
        return (attached, kept)
    }

    /// Attaches pending records to HEAD or to one of the commits on its first-parent line made since
    /// the oldest pending run (commits made without the post-commit hook), the oldest such commit
    /// first. Errors are swallowed: this runs on the side of other commands.
    public func attachPendingQuietly() {
        let waiting = pending()
        guard let oldest = waiting.first?.record.recorded.prefix(19), var c = repo.git.head else { return }
        var chain: [GitOID] = []
        for _ in 0..<20 {
            // Commit times have whole seconds. HEAD may share the run's second (checking it again is
            // harmless: a commit that held the run would have taken it when it ran); an older commit must
            // be from a later second, or it may be one the run started after.
            guard let info = try? repo.git.commitInfo(c) else { break }
            let t = Clock.iso(Date(timeIntervalSince1970: TimeInterval(info.time))).prefix(19)
            guard chain.isEmpty ? t >= oldest : t > oldest else { break }
            chain.append(c)
            guard let parent = info.parents.first else { break }
            c = parent
        }
        for commit in chain.reversed() { _ = try? attachPending(to: commit) }
    }
}

/// What a commit holds, read lazily, to decide whether a record's files are the committed ones.
final class CommitView {
    let repo: Repo
    let commit: GitOID
    let tree: GitOID

    init(repo: Repo, commit: GitOID) {
        self.repo = repo
        self.commit = commit
        tree = (try? repo.git.commitInfo(commit).tree) ?? commit
    }

    private lazy var pointers: [String: Pointer] = {
        var out: [String: Pointer] = [:]
        for t in (try? repo.pointers(at: commit, strict: false)) ?? [] { out[t.path] = t.pointer }
        return out
    }()

    private lazy var allFiles: [TreeFile] = (try? repo.git.files(endingWith: "", in: commit)) ?? []

    private lazy var pipeline: Pipeline? = {
        guard let bytes = try? repo.git.file(Pipeline.fileName, in: commit) else { return nil }
        return try? Pipeline.parse(String(decoding: bytes, as: UTF8.self))
    }()

    private var documents: [String: JSON?] = [:]

    func bytes(_ path: String) -> [UInt8]? { (try? repo.git.file(path, in: commit)) ?? nil }

    func document(_ path: String) -> JSON? {
        if let d = documents[path] { return d }
        let d = bytes(path).flatMap { try? Values.parseDocument(String(decoding: $0, as: UTF8.self), path: path) }
        documents[path] = d
        return d
    }

    /// Digest of the files under `dir` in the commit, as `CodeDep.digest` computes it for the workspace.
    func digest(_ dir: String) -> (String, Int) {
        let entries = allFiles.filter { $0.path.hasPrefix(dir + "/") && !CodeHasher.isNeverCode($0.path) }.map { (String($0.path.dropFirst(dir.count + 1)), $0.blob.hex) }
        return (CodeHasher.digest(entries), entries.count)
    }

    /// Why the commit does not hold what the record ran (nil when it does): the stage's command in
    /// mlops.yaml, code deps (blob ids), param values, inputs (pointer ids) and, with
    /// `includeOutputs`, outputs (pointer ids) and metrics files (blob ids).
    func mismatch(_ r: RunRecord, includeOutputs: Bool) -> String? {
        guard let stage = pipeline?.stage(r.stage) else { return "\(Pipeline.fileName) has no stage '\(r.stage)'" }
        guard stage.cmd == r.cmd else { return "the command of stage '\(r.stage)' in \(Pipeline.fileName) differs" }
        for d in r.codeDeps {
            if let blob = d.blob {
                guard let b = bytes(d.path), GitRepository.blobID(b).hex == blob else { return "\(d.path) differs" }
            } else if let digest = d.digest {
                guard self.digest(d.path).0 == digest else { return "\(d.path) differs" }
            }
        }
        for (name, value) in r.params {
            let ref = ParamRef(name: name)
            guard let doc = document(ref.file), Values.lookup(doc, ref.key) == value else {
                return "param \(name) differs"
            }
        }
        for i in r.inputs {
            if let p = pointers[i.path] {
                guard p.id == i.oid else { return "\(i.path) differs" }
            } else if let b = bytes(i.path) {
                guard ObjectID.hashing(b) == i.oid else { return "\(i.path) differs" }
            } else if !pointers.keys.contains(where: { Pipeline.overlaps($0, i.path) }) {
                return "\(i.path) is not committed"
            }
        }
        guard includeOutputs else { return nil }
        for o in r.outputs {
            guard let p = pointers[o.path] else { return "\(o.path).mlops is not committed" }
            guard p.id == o.oid else { return "\(o.path) differs" }
        }
        for m in r.metricFiles {
            guard let b = bytes(m.path) else { return "\(m.path) is not committed" }
            guard GitRepository.blobID(b).hex == m.blob else { return "\(m.path) differs" }
        }
        return nil
    }
}

extension ParamRef {
    /// The inverse of `name`: `train.lr` is a key of params.yaml, `FILE:key` a key of FILE.
    public init(name: String) {
        if let colon = name.firstIndex(of: ":") {
            self.init(file: String(name[..<colon]), key: String(name[name.index(after: colon)...]))
        } else {
            self.init(file: Pipeline.defaultParamsFile, key: name)
        }
    }
}

/// Byte-wise substring search (memchr for the first byte, then memcmp), returning the byte offset of the
/// first match at or after `from`: note bodies are JSON and the needles pieces of canonical JSON, so no
/// Unicode-aware comparison is needed, and this is far faster than one.
func fastFind(_ haystack: String, _ needle: String, from: Int = 0) -> Int? {
    var h = haystack, n = needle
    return h.withUTF8 { hb in
        n.withUTF8 { nb -> Int? in
            guard nb.count > 0 else { return from }
            guard hb.count >= nb.count + from else { return nil }
            let base = hb.baseAddress!, last = hb.count - nb.count
            var i = from
            while i <= last {
                guard let p = memchr(base + i, Int32(nb[0]), last - i + 1) else { return nil }
                let at = base.distance(to: p.assumingMemoryBound(to: UInt8.self))
                if memcmp(p, nb.baseAddress!, nb.count) == 0 { return at }
                i = at + 1
            }
            return nil
        }
    }
}

func fastContains(_ haystack: String, _ needle: String) -> Bool { fastFind(haystack, needle) != nil }

/// Whether a canonical record line may name `needle` among what the run wrote: keys are sorted, so
/// `metric_files`, `metrics` and `outputs` come after `inputs` and `code`. A cheap test before parsing.
func mayWrite(_ line: String, _ needle: String) -> Bool {
    guard let m = fastFind(line, "\"metric_files\":[") else { return fastContains(line, needle) }
    return fastFind(line, needle, from: m) != nil
}
