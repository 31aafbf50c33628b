import Foundation
import GitBridge
import MLOpsBasics

/// A file or directory a run read or wrote, as a record names it.
public struct Artifact: Equatable, Sendable {
    public var path: String
    /// SHA-256 id (the file's or the directory manifest's), as stored in the cache.
    public var oid: ObjectID?
    public var size: Int64?
    /// `file` or `dir`.
    public var type: String?
    public var files: Int?
    /// git blob id, for files kept in git (metrics files).
    public var blob: String?

    public init(path: String, oid: ObjectID?, size: Int64? = nil, type: String? = nil, files: Int? = nil, blob: String? = nil) {
        self.path = path; self.oid = oid; self.size = size; self.type = type; self.files = files; self.blob = blob
    }

    init?(_ j: JSON) {
        guard let path = j["path"]?.string else { return nil }
        self.path = path
        oid = j["oid"]?.string.flatMap { $0.hasPrefix("sha256:") ? ObjectID(hex: $0.dropFirst(7)) : nil }
        size = j["size"]?.int
        type = j["type"]?.string
        files = j["files"]?.int.map { Int($0) }
        blob = j["blob"]?.string
    }

    var json: JSON {
        var o: [String: JSON] = ["path": .string(path)]
        if let oid { o["oid"] = .string("sha256:" + oid.hex) }
        if let size { o["size"] = .int(size) }
        if let type { o["type"] = .string(type) }
        if let files { o["files"] = JSON(files) }
        if let blob { o["blob"] = .string(blob) }
        return .object(o)
    }

    /// `sha256:3f2a1c0d9e12` for messages.
    public var shortID: String { oid.map { "sha256:" + $0.short } ?? blob.map { "blob " + $0.prefix(10) } ?? "?" }
}

/// A code dependency: a file (git blob id) or a directory (digest of its files' blob ids).
public struct CodeDep: Equatable, Sendable {
    public var path: String
    public var blob: String?
    /// SHA-256 of `"<blob> <path>\n"` for every file under the directory that git does not ignore, sorted by path.
    public var digest: String?
    public var files: Int?

    init?(_ j: JSON) {
        guard let path = j["path"]?.string else { return nil }
        self.path = path
        blob = j["blob"]?.string
        digest = j["digest"]?.string
        files = j["files"]?.int.map { Int($0) }
    }

    public init(path: String, blob: String? = nil, digest: String? = nil, files: Int? = nil) {
        self.path = path; self.blob = blob; self.digest = digest; self.files = files
    }

    var json: JSON {
        var o: [String: JSON] = ["path": .string(path)]
        if let blob { o["blob"] = .string(blob) }
        if let digest { o["digest"] = .string(digest) }
        if let files { o["files"] = JSON(files) }
        return .object(o)
    }

    /// The value the run-cache key uses for this dependency.
    var keyValue: String { blob.map { "blob:" + $0 } ?? "tree:" + (digest ?? "") }
}

/// One run of a stage: what ran, on which code, with which params and inputs, and what it produced.
///
/// Held as the JSON object it was read from, so fields written by newer versions survive and are
/// written back unchanged. Serialised as one canonical line (sorted keys, no spaces): see docs/lineage.md.
public struct RunRecord: Equatable, Sendable {
    public static let schema = "https://git-mlops.dev/spec/run/v1"
    static let schemaPrefix = "https://git-mlops.dev/spec/run/v"
    public static let schemaVersion = 1

    public var fields: [String: JSON]

    public init(fields: [String: JSON]) { self.fields = fields }

    /// Parses one line; throws a short reason when it is not a run record.
    public init(line: String) throws {
        let j: JSON
        // A record holds params and metrics documents two levels down: room for those at their limit.
        do { j = try JSON.parse(line, maxDepth: DocumentLimits.maxDepth + 4) } catch { throw RecordError("not JSON (\(error))") }
        guard case .object(let o) = j else { throw RecordError("not a JSON object") }
        guard let s = o["schema"]?.string, s.hasPrefix(RunRecord.schemaPrefix), Int(s.dropFirst(RunRecord.schemaPrefix.count)) != nil else {
            throw RecordError("not a git-mlops run record (no `schema` \(RunRecord.schemaPrefix)N)")
        }
        for k in ["id", "stage", "cmd"] where o[k]?.string == nil {
            throw RecordError("run record without `\(k)`")
        }
        fields = o
    }

    struct RecordError: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }

    /// The canonical one-line form written to notes.
    public var line: String { JSON.object(fields).canonical }
    public var json: JSON { .object(fields) }

    // MARK: Fields

    public var schemaVersion: Int { fields["schema"]?.string.flatMap { Int($0.dropFirst(RunRecord.schemaPrefix.count)) } ?? 0 }
    public var id: String { fields["id"]?.string ?? "" }
    public var shortID: String { String(id.prefix(12)) }
    public var stage: String { fields["stage"]?.string ?? "" }
    public var cmd: String { fields["cmd"]?.string ?? "" }
    /// Repository-relative working directory of the command; empty for the root.
    public var wdir: String { fields["wdir"]?.string ?? "" }
    /// The run-cache key: SHA-256 of the command, dependency ids and param values (hex).
    public var key: String? { fields["key"]?.string }
    /// ISO 8601 UTC start time with milliseconds (`2025-06-01T12:00:03.123Z`).
    public var started: String { fields["started"]?.string ?? "" }
    /// Seconds.
    public var duration: Double? { fields["duration"]?.double }
    public var exitCode: Int? { fields["exit"]?.int.map { Int($0) } }
    public var user: String? { fields["user"]?.string }
    public var host: String? { fields["host"]?.string }
    /// When outputs were restored from the run cache: the id of the run that made them.
    public var restoredFrom: String? { fields["restored_from"]?.string }
    /// When the record was made: the restore time for restored outputs, else the start time.
    public var recorded: String { fields["restored_at"]?.string ?? started }

    public var code: JSON { fields["code"] ?? .object([:]) }
    public var commit: String? { code["commit"]?.string }
    public var dirty: Bool { code["dirty"]?.bool ?? true }
    public var codeDeps: [CodeDep] { code["deps"]?.array?.compactMap(CodeDep.init) ?? [] }
    public var params: [String: JSON] { fields["params"]?.object ?? [:] }
    public var inputs: [Artifact] { fields["inputs"]?.array?.compactMap(Artifact.init) ?? [] }
    public var outputs: [Artifact] { fields["outputs"]?.array?.compactMap(Artifact.init) ?? [] }
    /// Metrics by file, as parsed from each metrics file.
    public var metrics: [String: JSON] { fields["metrics"]?.object ?? [:] }
    /// Metrics files, with their ids (kept in git, and in the cache for the run cache).
    public var metricFiles: [Artifact] { fields["metric_files"]?.array?.compactMap(Artifact.init) ?? [] }
    public var env: [String: JSON] { fields["env"]?.object ?? [:] }

    /// Every path the run read or wrote.
    public var paths: [String] {
        codeDeps.map(\.path) + inputs.map(\.path) + outputs.map(\.path) + metricFiles.map(\.path)
    }

    /// The same record attached to `commit`: the code that ran is that commit's.
    func attached(to commit: GitOID, tree: GitOID) -> RunRecord {
        var r = self
        var c = code.object ?? [:]
        if let base = c["commit"], base.string != commit.hex, c["base"] == nil, base != .null { c["base"] = base }
        c["commit"] = .string(commit.hex)
        c["tree"] = .string(tree.hex)
        c["dirty"] = .bool(false)
        r.fields["code"] = .object(c)
        return r
    }

    // MARK: Notes

    /// Problems reported one by one for each note; the rest are counted in one more line.
    static let maxProblemsPerNote = 10

    /// Records of a note body (JSON Lines). A line that is not a record is reported, not fatal; a note
    /// from a stranger may hold any number of them, so past `maxProblemsPerNote` they are only counted.
    public static func parseNote(_ text: String, source: String) -> (records: [RunRecord], problems: [RecordProblem]) {
        var records: [RunRecord] = []
        var problems: [RecordProblem] = []
        var more = 0, firstMore = 0
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let t = line.trimmingCharacters(in: .whitespaces)
            if t.isEmpty { continue }
            do { records.append(try RunRecord(line: t)) } catch {
                if problems.count < maxProblemsPerNote {
                    problems.append(RecordProblem(source: source, line: i + 1, reason: "\(error)"))
                } else {
                    if more == 0 { firstMore = i + 1 }
                    more += 1
                }
            }
        }
        if more > 0 {
            problems.append(RecordProblem(source: source, line: firstMore, reason: "and \(more - 1) more lines after it are not run records either"))
        }
        return (records, problems)
    }

    /// A note body: the lines given, sorted and without duplicates, so that git's `cat_sort_uniq`
    /// notes merge strategy gives the same text whichever side merges.
    static func noteText(_ lines: [String]) -> String {
        let set = Set(lines.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
        return set.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }).joined(separator: "\n") + "\n"
    }

    /// A fresh run id: 16 random hex digits.
    static func newID() -> String {
        var g = SystemRandomNumberGenerator()
        let v = g.next() as UInt64
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }

    /// The run-cache key of a stage's inputs: SHA-256 (hex) of the canonical JSON of the command, its
    /// working directory, the id of every dependency, every param value and the declared outputs.
    public static func cacheKey(cmd: String, wdir: String, deps: [String: String], params: [String: JSON],
                                outs: [String], metrics: [String]) -> String {
        let j: JSON = .object([
            "v": 1, "cmd": .string(cmd), "wdir": .string(wdir),
            "deps": .object(deps.mapValues { .string($0) }), "params": .object(params),
            "outs": .array(outs.sorted().map { .string($0) }), "metrics": .array(metrics.sorted().map { .string($0) }),
        ])
        return ObjectID.hashing(j.canonical).hex
    }
}

/// A line of a note or a pending file that could not be read as a run record.
public struct RecordProblem: Sendable, Equatable, CustomStringConvertible {
    /// `note on 1a2b3c4d5e` or `pending run 20250601-...json`.
    public var source: String
    public var line: Int
    public var reason: String
    public var description: String { "\(source), line \(line): \(reason); skipped" }
}

/// Time stamps as records write them.
enum Clock {
    static func iso(_ d: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: d)
    }

    /// `2025-06-01T12:00:03.123Z` -> `2025-06-01 12:00:03 UTC`.
    static func display(_ iso: String) -> String {
        guard iso.count >= 19 else { return iso }
        let s = iso.prefix(19).replacingOccurrences(of: "T", with: " ")
        return s + " UTC"
    }

    /// `0.42 s`, `12.3 s`, `2 min 5 s`. Any double from a record prints, NaN and 1e300 included.
    static func duration(_ s: Double) -> String {
        guard s.isFinite, abs(s) < 1e15 else { return "\(s) s" }
        if s < 10 { return String(format: "%.2f s", s) }
        if s < 120 { return String(format: "%.1f s", s) }
        let m = Int(s) / 60
        return "\(m) min \(Int(s) - m * 60) s"
    }
}

extension RunRecord {
    /// Formats a duration as commands print it.
    public static func formatDuration(_ s: Double) -> String { Clock.duration(s) }
    /// Formats a record time stamp as commands print it.
    public static func formatTime(_ iso: String) -> String { Clock.display(iso) }
}
