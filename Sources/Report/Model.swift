import MLOpsBasics

/// Everything a report shows, as plain values: the collector fills it from a repository, the renderer
/// turns it into pages, and tests build it by hand. Optional sections (catalog, validation, monitoring)
/// are nil until something provides them (see `ReportSources`).
public struct ReportModel: Sendable {
    /// The repository's name, for titles.
    public var title: String
    /// When the report was made (ISO 8601, UTC).
    public var generated: String
    public var head: CommitRef?
    /// Runs across history, newest first (pending runs, not yet committed, first).
    public var runs: [RunSummary]
    /// Metric trends over the first-parent history, by stage.
    public var trends: [TrendChart]
    public var diff: ReportDiff?
    /// The lineage graph of each artifact a stage produces, at HEAD.
    public var lineage: [ArtifactLineage]
    /// Plots the stages declare (`plots` in mlops.yaml).
    public var plots: [PlotFigure]
    public var catalog: CatalogReport?
    public var validation: ValidationReport?
    public var monitoring: MonitoringReport?
    /// Problems met while collecting (unreadable notes, malformed plot files), one line each.
    public var warnings: [String]

    public init(title: String, generated: String, head: CommitRef? = nil, runs: [RunSummary] = [], trends: [TrendChart] = [],
                diff: ReportDiff? = nil, lineage: [ArtifactLineage] = [], plots: [PlotFigure] = [],
                catalog: CatalogReport? = nil, validation: ValidationReport? = nil, monitoring: MonitoringReport? = nil,
                warnings: [String] = []) {
        self.title = title; self.generated = generated; self.head = head; self.runs = runs; self.trends = trends
        self.diff = diff; self.lineage = lineage; self.plots = plots
        self.catalog = catalog; self.validation = validation; self.monitoring = monitoring; self.warnings = warnings
    }
}

/// A commit as the report names it.
public struct CommitRef: Sendable, Equatable, Hashable {
    public var hex: String
    public var summary: String
    public var author: String
    /// Seconds since 1970.
    public var time: Int64

    public init(hex: String, summary: String = "", author: String = "", time: Int64 = 0) {
        self.hex = hex; self.summary = summary; self.author = author; self.time = time
    }

    public var short: String { String(hex.prefix(10)) }
}

/// A name and a value: a param (`train.lr`) or a metric (`metrics.json: mse`).
public struct NamedValue: Sendable, Equatable {
    public var name: String
    public var value: JSON

    public init(_ name: String, _ value: JSON) {
        self.name = name
        self.value = value
    }
}

/// One row of the runs table.
public struct RunSummary: Sendable, Equatable {
    public var id: String
    public var stage: String
    /// The commit whose note holds the run; nil while pending.
    public var commit: CommitRef?
    /// `user@host` as recorded.
    public var who: String
    /// The record's start time (ISO 8601).
    public var started: String
    public var duration: Double?
    public var command: String
    /// Leaves of the params, by dotted name, sorted.
    public var params: [NamedValue]
    /// Leaves of the metrics, as `FILE: key`, sorted.
    public var metrics: [NamedValue]
    /// Outputs restored from the run cache rather than computed.
    public var restored: Bool

    public init(id: String, stage: String, commit: CommitRef?, who: String = "", started: String = "", duration: Double? = nil,
                command: String = "", params: [NamedValue] = [], metrics: [NamedValue] = [], restored: Bool = false) {
        self.id = id; self.stage = stage; self.commit = commit; self.who = who; self.started = started
        self.duration = duration; self.command = command; self.params = params; self.metrics = metrics; self.restored = restored
    }
}

/// One metric of one stage over the commits of the first-parent history that have a run of the stage,
/// oldest first. A value that is not a finite number is listed but not drawn.
public struct TrendChart: Sendable, Equatable {
    public struct Point: Sendable, Equatable {
        public var commit: CommitRef
        /// nil: this commit's run has no such metric.
        public var value: JSON?

        public init(commit: CommitRef, value: JSON?) {
            self.commit = commit
            self.value = value
        }
    }

    public var stage: String
    public var metric: String
    public var points: [Point]

    public init(stage: String, metric: String, points: [Point]) {
        self.stage = stage; self.metric = metric; self.points = points
    }
}

/// Params and metrics of two revisions side by side.
public struct ReportDiff: Sendable, Equatable {
    public struct Row: Sendable, Equatable {
        /// The metrics file; empty for params.
        public var file: String
        public var name: String
        public var old: JSON?
        public var new: JSON?

        public init(file: String = "", name: String, old: JSON?, new: JSON?) {
            self.file = file; self.name = name; self.old = old; self.new = new
        }

        public var changed: Bool { old != new }
    }

    /// `A` and `B` as given (or the commits chosen), and what they resolved to (nil: the workspace).
    public var from: String
    public var to: String
    public var fromCommit: CommitRef?
    public var toCommit: CommitRef?
    public var params: [Row]
    public var metrics: [Row]

    public init(from: String, to: String, fromCommit: CommitRef? = nil, toCommit: CommitRef? = nil, params: [Row] = [], metrics: [Row] = []) {
        self.from = from; self.to = to; self.fromCommit = fromCommit; self.toCommit = toCommit
        self.params = params; self.metrics = metrics
    }
}

/// The runs and data that made one artifact, as a graph: data versions and runs are nodes, edges
/// follow the data (input -> run -> output).
public struct ArtifactLineage: Sendable, Equatable {
    public struct Node: Sendable, Equatable {
        public enum Kind: String, Sendable { case data, run }
        public var kind: Kind
        /// First line: the path (data) or stage (run).
        public var label: String
        /// Second line: the short id (data) or `run ID @ COMMIT` (run).
        public var sublabel: String
        /// Everything else, shown on hover.
        public var details: [String]

        public init(kind: Kind, label: String, sublabel: String = "", details: [String] = []) {
            self.kind = kind; self.label = label; self.sublabel = sublabel; self.details = details
        }
    }

    public struct Edge: Sendable, Equatable, Hashable {
        public var from: Int
        public var to: Int

        public init(_ from: Int, _ to: Int) {
            self.from = from
            self.to = to
        }
    }

    public var path: String
    public var revision: String
    public var nodes: [Node]
    public var edges: [Edge]
    /// The artifact itself (index into `nodes`).
    public var root: Int

    public init(path: String, revision: String, nodes: [Node], edges: [Edge], root: Int) {
        self.path = path; self.revision = revision; self.nodes = nodes; self.edges = edges; self.root = root
    }
}

/// One `plots` entry of a stage, drawn from its file at one or more commits.
public struct PlotFigure: Sendable, Equatable {
    public enum Body: Sendable, Equatable {
        /// Line or scatter chart: one series per revision and y field.
        case xy(scatter: Bool, series: [PlotSeries])
        /// One matrix per revision.
        case confusion(normalized: Bool, matrices: [ConfusionMatrix])
    }

    public var stage: String
    public var path: String
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var body: Body
    /// What could not be drawn (a malformed file, a missing field), one line each.
    public var problems: [String]

    public init(stage: String, path: String, title: String, xLabel: String, yLabel: String, body: Body, problems: [String] = []) {
        self.stage = stage; self.path = path; self.title = title; self.xLabel = xLabel; self.yLabel = yLabel
        self.body = body; self.problems = problems
    }
}

/// Points of one y field of a plots file at one revision. When x is not numeric, `xCategories` names
/// the positions (x = 0, 1, ...).
public struct PlotSeries: Sendable, Equatable {
    public var label: String
    public var points: [(x: Double, y: Double)]
    public var xCategories: [String]?
    /// Points left out to keep the drawing light (every k-th point is kept).
    public var dropped: Int

    public init(label: String, points: [(x: Double, y: Double)], xCategories: [String]? = nil, dropped: Int = 0) {
        self.label = label; self.points = points; self.xCategories = xCategories; self.dropped = dropped
    }

    public static func == (a: PlotSeries, b: PlotSeries) -> Bool {
        a.label == b.label && a.xCategories == b.xCategories && a.dropped == b.dropped
            && a.points.count == b.points.count && zip(a.points, b.points).allSatisfy { $0.x == $1.x && $0.y == $1.y }
    }
}

/// Counts of (x, y) label pairs, as DVC's `confusion` template draws them: x values are columns, y
/// values rows.
public struct ConfusionMatrix: Sendable, Equatable {
    public var label: String
    public var columns: [String]
    public var rows: [String]
    /// counts[row][column]
    public var counts: [[Int]]

    public init(label: String, columns: [String], rows: [String], counts: [[Int]]) {
        self.label = label; self.columns = columns; self.rows = rows; self.counts = counts
    }
}

// MARK: Sections other features provide

/// A pass/fail judgement as validation and monitoring give it.
public enum Verdict: String, Sendable, Equatable {
    case pass, warn, fail, unknown
}

/// The model catalog: artifacts, their versions, the stages they are assigned to, and the events that
/// got them there.
public struct CatalogReport: Sendable, Equatable {
    public struct Version: Sendable, Equatable {
        public var version: String
        public var commit: String
        public var by: String
        public var at: String
        public var deprecated: Bool

        public init(version: String, commit: String, by: String = "", at: String = "", deprecated: Bool = false) {
            self.version = version; self.commit = commit; self.by = by; self.at = at; self.deprecated = deprecated
        }
    }

    public struct Assignment: Sendable, Equatable {
        public var stage: String
        public var version: String
        public var by: String
        public var at: String

        public init(stage: String, version: String, by: String = "", at: String = "") {
            self.stage = stage; self.version = version; self.by = by; self.at = at
        }
    }

    public struct Event: Sendable, Equatable {
        /// `register`, `deregister`, `assign`, `unassign`, `deprecate`.
        public var kind: String
        public var version: String
        public var stage: String?
        public var by: String
        public var at: String
        /// The tag that records it.
        public var ref: String

        public init(kind: String, version: String, stage: String? = nil, by: String = "", at: String = "", ref: String = "") {
            self.kind = kind; self.version = version; self.stage = stage; self.by = by; self.at = at; self.ref = ref
        }
    }

    public struct Artifact: Sendable, Equatable {
        public var name: String
        public var path: String?
        /// Newest first.
        public var versions: [Version]
        /// Current stage assignments.
        public var stages: [Assignment]
        /// Newest first.
        public var events: [Event]

        public init(name: String, path: String? = nil, versions: [Version] = [], stages: [Assignment] = [], events: [Event] = []) {
            self.name = name; self.path = path; self.versions = versions; self.stages = stages; self.events = events
        }
    }

    public var artifacts: [Artifact]
    /// Stages whose assignment is marked as the production model.
    public var productionStages: Set<String>

    public init(artifacts: [Artifact], productionStages: Set<String> = ["prod", "production"]) {
        self.artifacts = artifacts
        self.productionStages = productionStages
    }
}

/// The latest validation: checks and drift of data against a baseline profile.
public struct ValidationReport: Sendable, Equatable {
    public struct Check: Sendable, Equatable {
        public var target: String
        public var name: String
        public var verdict: Verdict
        public var value: String
        public var threshold: String
        public var detail: String

        public init(target: String, name: String, verdict: Verdict, value: String = "", threshold: String = "", detail: String = "") {
            self.target = target; self.name = name; self.verdict = verdict; self.value = value; self.threshold = threshold; self.detail = detail
        }
    }

    public struct Drift: Sendable, Equatable {
        public var feature: String
        /// `PSI`, `KS`, ...
        public var method: String
        public var value: Double
        public var threshold: Double?
        public var verdict: Verdict

        public init(feature: String, method: String, value: Double, threshold: Double? = nil, verdict: Verdict) {
            self.feature = feature; self.method = method; self.value = value; self.threshold = threshold; self.verdict = verdict
        }
    }

    /// What was validated, against what (`data/live.csv vs data/train.csv`), and when.
    public var subject: String
    public var commit: String?
    public var at: String
    public var checks: [Check]
    public var drift: [Drift]

    public init(subject: String, commit: String? = nil, at: String = "", checks: [Check] = [], drift: [Drift] = []) {
        self.subject = subject; self.commit = commit; self.at = at; self.checks = checks; self.drift = drift
    }
}

/// Snapshots that `monitor` recorded for model versions.
public struct MonitoringReport: Sendable, Equatable {
    public struct Figure: Sendable, Equatable {
        public var name: String
        public var value: JSON
        public var threshold: String
        public var verdict: Verdict

        public init(name: String, value: JSON, threshold: String = "", verdict: Verdict = .unknown) {
            self.name = name; self.value = value; self.threshold = threshold; self.verdict = verdict
        }
    }

    public struct Snapshot: Sendable, Equatable {
        /// `NAME@VERSION` or `NAME#STAGE`.
        public var model: String
        public var window: String
        public var at: String
        public var figures: [Figure]

        public init(model: String, window: String = "", at: String = "", figures: [Figure] = []) {
            self.model = model; self.window = window; self.at = at; self.figures = figures
        }
    }

    /// Newest first.
    public var snapshots: [Snapshot]

    public init(snapshots: [Snapshot]) { self.snapshots = snapshots }
}
