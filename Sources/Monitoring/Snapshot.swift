import Foundation
import GitBridge
import Lineage
import MLOpsBasics

/// What one window of live records showed for a model version: its figures and verdicts. Recorded as
/// one canonical JSON line in the note of the version's commit on `refs/notes/mlops`, beside run
/// records (docs/monitoring.md, "Snapshot notes", schema version 1).
public struct Snapshot: Sendable, Equatable {
    public static let schema = "https://git-mlops.dev/spec/monitor/v1"
    static let schemaPrefix = "https://git-mlops.dev/spec/monitor/v"

    public struct WindowInfo: Sendable, Equatable {
        /// 1 for the first window of a monitor's run.
        public var index: Int
        public var records: Int64
        public var malformed: Int64
        public var inputs: [String]
        public var started: String
        public var ended: String
        public var follow: Bool
    }

    public struct BaselineData: Sendable, Equatable {
        public var path: String
        public var id: String
    }

    public var id: String
    public var model: String
    public var version: String
    public var stage: String?
    public var commit: String
    /// When the window closed (ISO 8601, UTC, milliseconds).
    public var at: String
    /// `user@host` that ran the monitor.
    public var by: String
    public var window: WindowInfo
    public var run: String
    public var trainingStage: String
    public var baseline: [BaselineData]
    public var figures: [Figure]

    public var alerts: [Figure] { figures.filter { $0.verdict == .alert } }
    public var isAlert: Bool { figures.contains { $0.verdict == .alert } }

    /// `model#production (v1.0.0)` or `model@v1.0.0`.
    public var subject: String { stage.map { "\(model)#\($0) (\(version))" } ?? "\(model)@\(version)" }

    /// `window 3: 10000 records from live.log`.
    public var windowText: String {
        let from = window.inputs.isEmpty ? "" : " from \(window.inputs.joined(separator: ", "))"
        return "\(window.follow ? "window \(window.index): " : "")\(window.records) record\(window.records == 1 ? "" : "s")\(from)"
    }

    // MARK: JSON

    public var json: JSON {
        var o: [String: JSON] = [
            "schema": .string(Snapshot.schema),
            "id": .string(id), "model": .string(model), "version": .string(version), "commit": .string(commit), "at": .string(at),
            "by": .string(by),
            "window": .object([
                "index": JSON(window.index), "records": .int(window.records), "malformed": .int(window.malformed),
                "inputs": .array(window.inputs.map { .string($0) }), "started": .string(window.started), "ended": .string(window.ended),
                "follow": .bool(window.follow),
            ]),
            "baseline": .object([
                "run": .string(run), "stage": .string(trainingStage),
                "data": .array(baseline.map { .object(["path": .string($0.path), "id": .string($0.id)]) }),
            ]),
            "verdict": .string(isAlert ? "alert" : "ok"),
            "alerts": .array(alerts.map { .string($0.alertText) }),
            "figures": .array(figures.map(\.json)),
        ]
        if let stage { o["stage"] = .string(stage) }
        return .object(o)
    }

    /// The note line.
    public var line: String { json.canonical }

    /// Reads a note line of this schema; nil for any other line or a line that does not hold what a
    /// snapshot must (notes come from anyone's clone).
    public init?(json j: JSON) {
        guard let o = j.object, let s = o["schema"]?.string, s.hasPrefix(Snapshot.schemaPrefix),
              let id = o["id"]?.string, let model = o["model"]?.string, let version = o["version"]?.string,
              let commit = o["commit"]?.string, let at = o["at"]?.string, let w = o["window"]?.object else { return nil }
        self.id = id; self.model = model; self.version = version; self.commit = commit; self.at = at
        by = o["by"]?.string ?? ""
        stage = o["stage"]?.string
        window = WindowInfo(index: Int(w["index"]?.int ?? 1), records: w["records"]?.int ?? 0, malformed: w["malformed"]?.int ?? 0,
                            inputs: w["inputs"]?.array?.compactMap(\.string) ?? [], started: w["started"]?.string ?? "",
                            ended: w["ended"]?.string ?? "", follow: w["follow"]?.bool ?? false)
        let b = o["baseline"]?.object ?? [:]
        run = b["run"]?.string ?? ""
        trainingStage = b["stage"]?.string ?? ""
        baseline = b["data"]?.array?.compactMap { d in d["path"]?.string.map { BaselineData(path: $0, id: d["id"]?.string ?? "") } } ?? []
        figures = o["figures"]?.array?.compactMap(Figure.init(json:)) ?? []
    }

    init(id: String, model: MonitoredModel, at: String, window: WindowInfo, figures: [Figure]) {
        self.id = id
        self.model = model.name
        version = model.version
        stage = model.stage
        commit = model.commit.hex
        self.at = at
        by = NoteAuthor.current
        self.window = window
        run = model.run.id
        trainingStage = model.run.stage
        baseline = model.inputs.map { BaselineData(path: $0.path, id: "sha256:" + $0.id.hex) }
        self.figures = figures
    }

    /// Snapshot lines of every note, newest first; `model` keeps one model's.
    public static func all(in journal: Journal, model: String? = nil) throws -> [(commit: GitOID, snapshot: Snapshot)] {
        var out: [(GitOID, Snapshot)] = []
        for (c, line) in try journal.lines(schemaPrefix: schemaPrefix) {
            guard let j = try? JSON.parse(line), let s = Snapshot(json: j), model.map({ s.model == $0 }) ?? true else { continue }
            out.append((c, s))
        }
        return out.sorted { ($0.1.at, $0.1.id) > ($1.1.at, $1.1.id) }
    }

    static func now() -> String { iso(Date()) }

    static func iso(_ d: Date) -> String { ISO8601DateFormatter.monitoring.string(from: d) }

    static func newID() -> String {
        let v = UInt64.random(in: 0...UInt64.max)
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}

extension Figure {
    var json: JSON {
        var o: [String: JSON] = ["figure": .string(name), "group": .string(group.rawValue), "verdict": .string(verdict.rawValue)]
        if let feature { o["feature"] = .string(feature) }
        if let cls { o["class"] = .string(cls) }
        if let v = value, v.isFinite { o["value"] = .double(v) }
        if let lo = limit?.min { o["min"] = .double(lo) }
        if let hi = limit?.max { o["max"] = .double(hi) }
        if let note { o["note"] = .string(note) }
        return .object(o)
    }

    init?(json j: JSON) {
        guard let name = j["figure"]?.string, let g = j["group"]?.string.flatMap(Group.init(rawValue:)),
              let v = j["verdict"]?.string.flatMap(Verdict.init(rawValue:)) else { return nil }
        let lo = j["min"]?.double, hi = j["max"]?.double
        self.init(group: g, name: name, feature: j["feature"]?.string, cls: j["class"]?.string, value: j["value"]?.double,
                  limit: lo != nil || hi != nil ? .init(min: lo, max: hi) : nil, verdict: v, note: j["note"]?.string)
    }
}
