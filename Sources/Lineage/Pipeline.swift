import MLOpsBasics
import Yams

/// A parameter a stage reads: a key path in a YAML or JSON file.
public struct ParamRef: Hashable, Sendable, Comparable {
    /// Repository-relative path of the file.
    public var file: String
    /// Dotted key path (`train.lr`); empty for the whole file.
    public var key: String

    public init(file: String, key: String) {
        self.file = file
        self.key = key
    }

    /// The name records and tables use: `train.lr` for `params.yaml` at the root, `FILE:key` otherwise.
    public var name: String { file == Pipeline.defaultParamsFile ? key : file + ":" + key }

    public static func < (a: ParamRef, b: ParamRef) -> Bool { a.name < b.name }
}

/// A stage as written in `mlops.yaml`: paths relative to its `wdir`, params as written.
public struct StageSpec: Equatable, Sendable {
    public var name: String
    public var cmd: String
    public var wdir: String?
    public var deps: [String]
    public var params: [String]
    public var outs: [String]
    public var metrics: [String]
    /// Files of points the stage writes, and how to draw them (`plots`; see docs/lineage.md).
    public var plots: [PlotSpec] = []

    public init(name: String, cmd: String, wdir: String? = nil, deps: [String] = [], params: [String] = [],
                outs: [String] = [], metrics: [String] = []) {
        self.name = name; self.cmd = cmd; self.wdir = wdir
        self.deps = deps; self.params = params; self.outs = outs; self.metrics = metrics
    }
}

/// A stage with every path made repository-relative.
public struct Stage: Equatable, Sendable {
    public var name: String
    public var cmd: String
    /// Where the command runs, repository-relative; empty for the root.
    public var wdir: String
    public var deps: [String]
    public var params: [ParamRef]
    /// Outputs stored in the cache with `PATH.mlops` pointers.
    public var outs: [String]
    /// Metrics files (JSON or YAML), kept in git; their values go into run records.
    public var metrics: [String]
    public var spec: StageSpec
    /// Plots, with repository-relative paths.
    public var plots: [PlotSpec] = []

    /// Everything the stage writes.
    public var writes: [String] { outs + metrics }
}

/// The pipeline declared in `mlops.yaml`:
///
///     stages:
///       train:
///         cmd: python3 train.py
///         deps: [train.py, data/prepared]
///         params: [train.lr, "config.json:model.depth"]
///         outs: [model.npy]
///         metrics: [metrics.json]
///         wdir: .            (optional; paths and the command are relative to it)
public struct Pipeline: Equatable, Sendable {
    public static let fileName = "mlops.yaml"
    public static let defaultParamsFile = "params.yaml"
    static let stageKeys = ["cmd", "deps", "params", "outs", "metrics", "wdir"]
    /// Top-level sections that other layers read (the catalog's promotion thresholds, monitoring
    /// settings); skipped here.
    public static let otherSections = ["promotion", "monitor"]
    /// Bounds on what a pipeline declares, so that a stranger's `mlops.yaml` cannot make every
    /// command slow.
    static let maxStages = 2_000
    static let maxPaths = 20_000

    /// Stages in file order.
    public var stages: [Stage]

    public init(stages: [Stage]) { self.stages = stages }

    public func stage(_ name: String) -> Stage? { stages.first { $0.name == name } }

    /// Reads `mlops.yaml` at the repository root; nil when there is none.
    public static func load(root: String) throws -> Pipeline? {
        let path = root + "/" + fileName
        guard FS.exists(path) else { return nil }
        return try parse(try Values.readDocument(root: root, path: fileName))
    }

    /// Like `load`, but a missing file is an error that says how to create one.
    public static func require(root: String) throws -> Pipeline {
        guard let p = try load(root: root) else {
            throw MLOpsError("no \(fileName) in \(root)", hint: "declare a stage with `git mlops stage add -n NAME -d DEP -o OUT -- CMD`")
        }
        return p
    }

    // MARK: Parsing

    /// Parses and validates the text of `mlops.yaml`. `path` names the file in errors.
    public static func parse(_ text: String, path: String = fileName) throws -> Pipeline {
        func bad(_ what: String, _ fix: String) -> MLOpsError { .malformed(path, what, fix: fix) }
        guard let root = try Values.composeYAML(text, path: path, fix: "fix the syntax of \(path) (see docs/lineage.md)") else {
            return Pipeline(stages: [])
        }
        guard let top = root.mapping else {
            throw bad("the top level must be a mapping with a `stages` key", "write `stages:` followed by one entry per stage")
        }
        var specs: [StageSpec] = []
        for (k, v) in top {
            if let name = k.string, otherSections.contains(name) { continue }
            if try isValidationSection(k, v, path: path) { continue }
            guard k.string == "stages" else {
                throw bad("line \(k.mark?.line ?? 0): unknown top-level key '\(k.string ?? "?")'", "the top-level keys are \(topLevelKeys)")
            }
            if case .scalar(let s) = v, s.string.isEmpty || v.tagName == .null { continue }
            guard let stages = v.mapping else {
                throw bad("`stages` must map stage names to stages", "write each stage as `NAME:` with `cmd`, `deps`, `outs` below it")
            }
            for (nameNode, body) in stages {
                specs.append(try parseStage(nameNode, body, path: path))
            }
        }
        var pipeline = Pipeline(stages: [])
        for spec in specs {
            pipeline.stages.append(try resolve(spec, path: path))
        }
        try pipeline.validate(path: path)
        return pipeline
    }

    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.unicodeScalars.allSatisfy {
            ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9") || $0 == "_" || $0 == "-" || $0 == "."
        }
    }

    private static func parseStage(_ nameNode: Node, _ body: Node, path: String) throws -> StageSpec {
        let line = nameNode.mark?.line ?? 0
        guard let name = nameNode.string, isValidName(name) else {
            throw MLOpsError.malformed(path, "line \(line): '\(nameNode.string ?? "?")' is not a valid stage name",
                                       fix: "use letters, digits, `_`, `-` and `.` only")
        }
        func bad(_ what: String, _ fix: String) -> MLOpsError { .malformed(path, "stage '\(name)': \(what)", fix: fix) }
        guard let m = body.mapping else {
            throw bad("must be a mapping with at least `cmd`", "write `cmd:`, `deps:`, `outs:` ... below `\(name):`")
        }
        var spec = StageSpec(name: name, cmd: "")
        var sawCmd = false
        for (kn, v) in m {
            let k = kn.string ?? "?"
            switch k {
            case "cmd":
                sawCmd = true
                if let s = scalarString(v) {
                    spec.cmd = s
                } else if let seq = v.sequence, !seq.isEmpty, seq.allSatisfy({ scalarString($0) != nil }) {
                    spec.cmd = seq.map { scalarString($0)! }.joined(separator: " && ")
                } else {
                    throw bad("`cmd` must be a command line (or a list of them)", "write `cmd: python3 train.py`")
                }
            case "wdir":
                guard let s = scalarString(v) else { throw bad("`wdir` must be a path", "write `wdir: src` or remove it") }
                spec.wdir = s
            case "deps", "outs", "metrics":
                let list = try stringList(v) ?? { throw bad("`\(k)` must be a list of paths", "write `\(k): [a, b]` or one `- path` per line") }()
                switch k {
                case "deps": spec.deps = list
                case "outs": spec.outs = list
                default: spec.metrics = list
                }
            case PlotSpec.key:
                spec.plots = try PlotSpec.parseList(v, stage: name, path: path)
            case "params":
                spec.params = try paramList(v) ?? {
                    throw bad("`params` must be a list of keys (`train.lr`, `FILE:key`, or `FILE: [keys]`)", "write `params: [train.lr]`")
                }()
            default:
                throw MLOpsError.malformed(path, "line \(kn.mark?.line ?? line): stage '\(name)' has unknown key '\(k)'",
                                           fix: "known keys: \((stageKeys + [PlotSpec.key]).joined(separator: ", "))")
            }
        }
        guard sawCmd, !spec.cmd.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw bad("has no `cmd`", "add `cmd: <command line>` to the stage")
        }
        return spec
    }

    private static func scalarString(_ n: Node) -> String? {
        guard case .scalar(let s) = n, n.tagName != .null else { return nil }
        return s.string
    }

    private static func stringList(_ n: Node) -> [String]? {
        if case .scalar = n, n.tagName == .null { return [] }
        if let s = scalarString(n) { return [s] }
        guard let seq = n.sequence else { return nil }
        var out: [String] = []
        var seen = Set<String>()
        for e in seq {
            guard let s = scalarString(e) else { return nil }
            if seen.insert(s).inserted { out.append(s) }
        }
        return out
    }

    /// `[train.lr, "cfg.json:a.b", {cfg.yaml: [x, y]}]`, as `FILE:key` strings (or bare keys of params.yaml).
    private static func paramList(_ n: Node) -> [String]? {
        if case .scalar = n, n.tagName == .null { return [] }
        if let s = scalarString(n) { return [s] }
        guard let seq = n.sequence else { return nil }
        var out: [String] = []
        for e in seq {
            if let s = scalarString(e) {
                out.append(s)
            } else if let m = e.mapping {
                for (f, keys) in m {
                    guard let file = f.string, let list = stringList(keys) else { return nil }
                    out += list.isEmpty ? [file + ":"] : list.map { file + ":" + $0 }
                }
            } else {
                return nil
            }
        }
        var seen = Set<String>()
        return out.filter { seen.insert($0).inserted }
    }

    /// Joins `p` to `wdir` and removes `.` and `..`; nil when the result leaves the repository.
    public static func normalize(_ p: String, wdir: String) -> String? {
        if p.hasPrefix("/") || p.contains("\0") { return nil }
        var parts = wdir.split(separator: "/").map(String.init)
        for c in p.split(separator: "/") {
            if c == "." { continue }
            if c == ".." {
                if parts.isEmpty { return nil }
                parts.removeLast()
            } else {
                parts.append(String(c))
            }
        }
        return parts.joined(separator: "/")
    }

    static func resolve(_ spec: StageSpec, path: String) throws -> Stage {
        func bad(_ what: String, _ fix: String) -> MLOpsError { .malformed(path, "stage '\(spec.name)': \(what)", fix: fix) }
        var wdir = ""
        if let w = spec.wdir {
            guard let n = normalize(w, wdir: "") else { throw bad("wdir '\(w)' is outside the repository", "use a directory inside the repository") }
            wdir = n
        }
        func inside(_ p: String, _ what: String) throws -> String {
            guard let n = normalize(p, wdir: wdir) else {
                throw bad("\(what) '\(p)' is outside the repository", "name \(what == "out" ? "outputs" : "paths") inside the repository")
            }
            guard !n.isEmpty else { throw bad("\(what) '\(p)' is the repository root", "name a file or directory inside it") }
            if n == ".git" || n.hasPrefix(".git/") { throw bad("\(what) '\(p)' is inside .git", "name a path of the working tree") }
            // The same check as every path git-mlops writes: `.git` in any spelling, temporaries' names.
            if let why = RepoPath.problem(n) { throw bad("\(what) '\(displayPath(p))' has \(why)", "name a path of the working tree") }
            return n
        }
        let deps = try spec.deps.map { try inside($0, "dep") }
        let outs = try spec.outs.map { try inside($0, "out") }
        let metrics = try spec.metrics.map { try inside($0, "metrics file") }
        for o in outs + metrics where o.hasSuffix(".mlops") {
            throw bad("'\(o)' ends in .mlops, the suffix of pointer files", "name the data itself")
        }
        for o in outs + metrics where o == fileName {
            throw bad("'\(o)' would overwrite the pipeline file", "write outputs elsewhere")
        }
        let params = try spec.params.map { p -> ParamRef in
            var file = defaultParamsFile, key = p
            if let colon = p.firstIndex(of: ":") {
                file = String(p[..<colon])
                key = String(p[p.index(after: colon)...])
            }
            guard !(file == defaultParamsFile && key.isEmpty) || p.contains(":") else {
                throw bad("empty param name", "name a key such as `train.lr`")
            }
            let f = try inside(file, "params file")
            return ParamRef(file: f, key: key)
        }
        var stage = Stage(name: spec.name, cmd: spec.cmd, wdir: wdir, deps: deps, params: params, outs: outs, metrics: metrics, spec: spec)
        stage.plots = try spec.plots.map { var p = $0; p.path = try inside(p.path, "plots file"); return p }
        return stage
    }

    // MARK: Graph

    static func overlaps(_ a: String, _ b: String) -> Bool {
        a == b || a.hasPrefix(b + "/") || b.hasPrefix(a + "/")
    }

    /// Every path the stages write, and every directory above one: finds the writes that overlap a
    /// path in time proportional to its depth and to the answer, so that checking and ordering a
    /// pipeline of thousands of paths from a stranger's `mlops.yaml` stays linear.
    struct WriteIndex {
        struct Write { var order: Int; var stage: Int; var path: String }
        private var exact: [String: [Write]] = [:]
        private var below: [String: [Write]] = [:]
        private var count = 0

        init(_ stages: [Stage] = []) {
            for (i, s) in stages.enumerated() { for w in s.writes { add(w, stage: i) } }
        }

        mutating func add(_ path: String, stage: Int) {
            let w = Write(order: count, stage: stage, path: path)
            count += 1
            exact[path, default: []].append(w)
            for dir in WriteIndex.ancestors(path) { below[dir, default: []].append(w) }
        }

        /// Writes equal to `path`, inside it or containing it, in no particular order.
        func overlapping(_ path: String) -> [Write] {
            var out = (exact[path] ?? []) + (below[path] ?? [])
            for dir in WriteIndex.ancestors(path) { out += exact[dir] ?? [] }
            return out
        }

        static func ancestors(_ path: String) -> [String] {
            var out: [String] = []
            var i = path.startIndex
            while let slash = path[i...].firstIndex(of: "/") {
                out.append(String(path[..<slash]))
                i = path.index(after: slash)
            }
            return out
        }
    }

    /// For each stage, the stages that write something it depends on, in file order (by index).
    func upstreamIndexes() -> [[Int]] {
        let index = WriteIndex(stages)
        return stages.indices.map { i in
            var found = Set<Int>()
            for d in stages[i].deps { for w in index.overlapping(d) where w.stage != i { found.insert(w.stage) } }
            return found.sorted()
        }
    }

    /// Checks that no two stages write one path and that dependencies form no cycle.
    func validate(path: String = fileName) throws {
        guard stages.count <= Pipeline.maxStages, stages.reduce(0, { $0 + $1.deps.count + $1.writes.count + $1.params.count }) <= Pipeline.maxPaths else {
            throw MLOpsError.malformed(path, "declares more than \(Pipeline.maxStages) stages or \(Pipeline.maxPaths) deps, params and outputs",
                                       fix: "declare fewer: a directory can be one dep or output")
        }
        var seen = Set<String>()
        for s in stages {
            guard seen.insert(s.name).inserted else {
                throw MLOpsError.malformed(path, "stage '\(s.name)' is declared twice", fix: "rename or remove one of them")
            }
        }
        var index = WriteIndex()
        for (i, s) in stages.enumerated() {
            for w in s.writes {
                if let other = index.overlapping(w).min(by: { $0.order < $1.order }) {
                    let otherStage = stages[other.stage].name
                    let what = other.path == w ? "both write '\(w)'" : "write overlapping paths '\(other.path)' and '\(w)'"
                    let who = otherStage == s.name ? "stage '\(s.name)' lists '\(w)' twice or" : "stages '\(otherStage)' and '\(s.name)'"
                    throw MLOpsError.malformed(path, "\(who) \(what)", fix: "give every output exactly one stage")
                }
                index.add(w, stage: i)
            }
            for d in s.deps {
                if let w = index.overlapping(d).filter({ $0.stage == i }).min(by: { $0.order < $1.order })?.path {
                    throw MLOpsError.malformed(path, "stage '\(s.name)' depends on its own output '\(w)'",
                                               fix: "remove '\(d)' from its deps or '\(w)' from its outs")
                }
            }
        }
        // Depth-first search for a cycle, reporting it as a path of stage names; iterative, since a
        // chain of stages may be long.
        let up = upstreamIndexes()
        var state = [Int](repeating: 0, count: stages.count)
        for root in stages.indices where state[root] == 0 {
            var stack: [(stage: Int, next: Int)] = [(root, 0)]
            state[root] = 1
            while let (n, k) = stack.last {
                guard k < up[n].count else {
                    state[n] = 2
                    stack.removeLast()
                    continue
                }
                stack[stack.count - 1].next += 1
                let u = up[n][k]
                if state[u] == 1 {
                    let names = stack.map { stages[$0.stage].name }
                    let cycle = names[names.lastIndex(of: stages[u].name)!...] + [stages[u].name]
                    throw MLOpsError.malformed(path, "stages form a cycle: \(cycle.reversed().joined(separator: " -> "))",
                                               fix: "a stage cannot depend, directly or not, on its own outputs; remove one of these deps")
                }
                if state[u] == 0 {
                    state[u] = 1
                    stack.append((u, 0))
                }
            }
        }
    }

    /// Stages that write something `name` depends on, in file order.
    public func upstream(of name: String) -> [String] {
        guard let i = stages.firstIndex(where: { $0.name == name }) else { return [] }
        let index = WriteIndex(stages)
        var found = Set<Int>()
        for d in stages[i].deps { for w in index.overlapping(d) where w.stage != i { found.insert(w.stage) } }
        return found.sorted().map { stages[$0].name }
    }

    /// The stage that writes `path` (or a directory containing it), if any.
    public func producer(of path: String) -> Stage? {
        stages.first { $0.writes.contains { Pipeline.overlaps($0, path) } }
    }

    /// `targets` (all stages when empty) and everything upstream of them, in dependency order; among
    /// stages free to run, file order decides.
    public func order(_ targets: [String] = []) throws -> [Stage] {
        for t in targets where stage(t) == nil {
            throw MLOpsError("no stage '\(t)' in \(Pipeline.fileName)",
                             hint: stages.isEmpty ? "add one with `git mlops stage add`" : "stages: \(stages.map(\.name).joined(separator: ", "))")
        }
        let up = upstreamIndexes()
        var wanted = Set<Int>()
        var todo = targets.isEmpty ? Array(stages.indices) : targets.compactMap { t in stages.firstIndex { $0.name == t } }
        while let n = todo.popLast() {
            if wanted.insert(n).inserted { todo += up[n] }
        }
        var done = Set<Int>()
        var out: [Stage] = []
        while out.count < wanted.count {
            guard let next = stages.indices.first(where: { i in
                wanted.contains(i) && !done.contains(i) && up[i].allSatisfy { done.contains($0) }
            }) else { break }
            done.insert(next)
            out.append(stages[next])
        }
        return out
    }

    /// Stages downstream of `name` (that depend on it directly or through others).
    public func downstream(of name: String) -> Set<String> {
        guard let start = stages.firstIndex(where: { $0.name == name }) else { return [] }
        let up = upstreamIndexes()
        var down = [[Int]](repeating: [], count: stages.count)
        for (i, us) in up.enumerated() { for u in us { down[u].append(i) } }
        var out = Set<Int>()
        var todo = [start]
        while let n = todo.popLast() {
            for d in down[n] where out.insert(d).inserted { todo.append(d) }
        }
        return Set(out.map { stages[$0].name })
    }
}

// MARK: Plots

/// A `plots` entry of a stage: a CSV, TSV, JSON or YAML file of points the stage writes, drawn by
/// `git mlops report` as DVC draws it (`template`, `x`, `y`, ... as in DVC's `dvc.yaml`):
///
///     plots:
///       - loss.csv                          # a line of the last column against the row number
///       - eval/roc.json: {x: fpr, y: tpr, template: scatter, title: ROC}
///       - eval/classes.csv: {template: confusion, x: actual, y: predicted}
public struct PlotSpec: Equatable, Sendable {
    public enum Template: String, Sendable, CaseIterable {
        case linear, simple, smooth, scatter, confusion
        case confusionNormalized = "confusion_normalized"

        public var isConfusion: Bool { self == .confusion || self == .confusionNormalized }
    }

    static let key = "plots"
    static let keys = ["template", "x", "y", "title", "x_label", "y_label"]

    /// Relative to the stage's `wdir` as written; repository-relative in a resolved `Stage`.
    public var path: String
    public var template: Template
    /// The field of the x axis; nil: the row number (`step`), or `actual` for a confusion matrix.
    public var x: String?
    /// Fields drawn against x; empty: the last column, or `predicted` for a confusion matrix.
    public var y: [String]
    public var title: String?
    public var xLabel: String?
    public var yLabel: String?

    public init(path: String, template: Template = .linear, x: String? = nil, y: [String] = [],
                title: String? = nil, xLabel: String? = nil, yLabel: String? = nil) {
        self.path = path; self.template = template; self.x = x; self.y = y
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel
    }

    /// `[path, {path: {template: ..., x: ..., y: ...}}]`, paths unique.
    static func parseList(_ n: Node, stage: String, path: String) throws -> [PlotSpec] {
        func bad(_ what: String, _ fix: String) -> MLOpsError { .malformed(path, "stage '\(stage)': \(what)", fix: fix) }
        let form = "write `plots: [loss.csv]` or `- FILE: {x: epoch, y: loss, template: linear}`"
        func scalar(_ n: Node) -> String? {
            guard case .scalar(let s) = n, n.tagName != .null else { return nil }
            return s.string
        }
        if case .scalar = n, n.tagName == .null { return [] }
        guard let items = scalar(n).map({ [Node(stringLiteral: $0)] }) ?? n.sequence.map(Array.init) else {
            throw bad("`plots` must be a list of files", form)
        }
        var out: [PlotSpec] = []
        for item in items {
            if let file = scalar(item) {
                out.append(PlotSpec(path: file))
                continue
            }
            guard let m = item.mapping, m.count == 1, let entry = m.first, let file = scalar(entry.key) else {
                throw bad("each `plots` entry must be a file, or one `FILE:` with its properties", form)
            }
            let props = entry.value
            var spec = PlotSpec(path: file)
            if case .scalar = props, props.tagName == .null { out.append(spec); continue }
            guard let pm = props.mapping else { throw bad("the properties of plot '\(file)' must be a mapping", form) }
            for (kn, v) in pm {
                let k = kn.string ?? "?"
                if k == "y", let list = v.sequence, !list.isEmpty, list.allSatisfy({ scalar($0) != nil }) {
                    spec.y = list.map { scalar($0)! }
                    continue
                }
                guard let value = scalar(v) else {
                    throw bad("plot '\(file)': `\(k)` must be text", "write `\(k): VALUE`")
                }
                switch k {
                case "template":
                    guard let t = Template(rawValue: value) else {
                        throw bad("plot '\(file)': unknown template '\(value)'",
                                  "use one of \(Template.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    spec.template = t
                case "x": spec.x = value
                case "y": spec.y = [value]
                case "title": spec.title = value
                case "x_label": spec.xLabel = value
                case "y_label": spec.yLabel = value
                default:
                    throw bad("plot '\(file)' has unknown property '\(k)'", "known properties: \(keys.joined(separator: ", "))")
                }
            }
            out.append(spec)
        }
        var seen = Set<String>()
        for p in out where !seen.insert(p.path).inserted {
            throw bad("plot '\(p.path)' is listed twice", "keep one entry per file")
        }
        return out
    }
}
