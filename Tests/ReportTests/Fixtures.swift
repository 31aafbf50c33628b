import MLOpsBasics
@testable import Report

/// Report models built by hand. `name` makes every piece of text that could come from outside (notes,
/// metrics files, commit messages, paths, the catalog...), so the same model can be rendered with
/// plain text and with hostile text and the two compared.
enum Fixtures {
    static let hostile = "<script>alert('x')</script> \"q\" & \u{202E}gpj.exe\u{202C} \u{2066}i\u{2069} \u{1} \" onload=\"alert(1)\" '"

    static func commit(_ i: Int, _ name: (String) -> String) -> CommitRef {
        let hex = String(repeating: String(i % 10), count: 40)
        return CommitRef(hex: hex, summary: name("commit \(i)"), author: name("author"), time: 1_700_000_000 + Int64(i) * 3600)
    }

    /// Three commits with one run each of `train`, a pending run, trends, a diff, a lineage graph, a
    /// line plot, a confusion matrix and every optional section.
    static func model(_ name: (String) -> String = { $0 }) -> ReportModel {
        let commits = (1...3).map { commit($0, name) }
        var runs: [RunSummary] = []
        runs.append(RunSummary(id: "ffffffffffffffff", stage: name("train"), commit: nil, who: name("who"), started: "2025-06-01T12:04:00.000Z",
                               command: name("python3 train.py"), params: [NamedValue(name("train.lr"), .string(name("0.3")))]))
        for (i, c) in commits.enumerated().reversed() {
            runs.append(RunSummary(id: String(repeating: String(i), count: 16), stage: name("train"), commit: c, who: name("who"),
                                   started: "2025-06-01T12:0\(i):00.000Z", command: name("python3 train.py"),
                                   params: [NamedValue(name("train.lr"), .double(0.1 * Double(i + 1)))],
                                   metrics: [NamedValue(name("metrics.json: loss"), .double(1.0 / Double(i + 1))),
                                             NamedValue(name("metrics.json: note"), .string(name("fine")))]))
        }
        let trend = TrendChart(stage: name("train"), metric: name("metrics.json: loss"),
                               points: commits.enumerated().map { TrendChart.Point(commit: $0.element, value: .double(1.0 / Double($0.offset + 1))) })
        let diff = ReportDiff(from: name("A"), to: name("B"), fromCommit: commits[1], toCommit: commits[2],
                              params: [.init(name: name("train.lr"), old: .double(0.2), new: .double(0.3)),
                                       .init(name: name("seed"), old: .int(7), new: .int(7))],
                              metrics: [.init(file: name("metrics.json"), name: name("loss"), old: .double(0.5), new: .double(0.33)),
                                        .init(file: name("metrics.json"), name: name("note"), old: .string(name("a")), new: .string(name("b")))])
        let lineage = ArtifactLineage(path: name("model.npy"), revision: name("HEAD"), nodes: [
            .init(kind: .data, label: name("model.npy"), sublabel: name("sha256:1234"), details: [name("size")]),
            .init(kind: .data, label: name("data/prepared"), sublabel: name("sha256:5678")),
            .init(kind: .data, label: name("data/raw.csv"), sublabel: name("sha256:9abc")),
            .init(kind: .run, label: name("train"), sublabel: name("run 1234"), details: [name("command")]),
            .init(kind: .run, label: name("prepare"), sublabel: name("run 5678")),
        ], edges: [.init(3, 0), .init(1, 3), .init(4, 1), .init(2, 4), .init(2, 3)], root: 0)
        let line = PlotFigure(stage: name("train"), path: name("loss.csv"), title: name("Loss"), xLabel: name("epoch"), yLabel: name("loss"),
                              body: .xy(scatter: false, series: [
                                  PlotSeries(label: name("A"), points: [(0, 1), (1, 0.5), (2, 0.25)]),
                                  PlotSeries(label: name("B"), points: [(0, 0.9), (1, 0.4), (2, 0.2)]),
                              ]), problems: [name("bad.csv at A: not valid JSON")])
        let confusion = PlotFigure(stage: name("train"), path: name("classes.csv"), title: name("classes.csv"), xLabel: name("actual"),
                                   yLabel: name("predicted"), body: .confusion(normalized: false, matrices: [
                                       ConfusionMatrix(label: name("B"), columns: [name("cat"), name("dog")], rows: [name("cat"), name("dog")],
                                                       counts: [[5, 1], [2, 7]]),
                                   ]))
        let catalog = CatalogReport(artifacts: [
            .init(name: name("churn"), path: name("model.npy"),
                  versions: [.init(version: name("v1.1.0"), commit: commits[2].hex, by: name("who"), at: "2025-06-02T10:00:00Z"),
                             .init(version: name("v1.0.0"), commit: commits[1].hex, by: name("who"), at: "2025-06-01T10:00:00Z", deprecated: true)],
                  stages: [.init(stage: "prod", version: name("v1.0.0"), by: name("who"), at: "2025-06-03T10:00:00Z"),
                           .init(stage: name("staging"), version: name("v1.1.0"), by: name("who"), at: "2025-06-03T11:00:00Z")],
                  events: [.init(kind: name("assign"), version: name("v1.0.0"), stage: "prod", by: name("who"), at: "2025-06-03T10:00:00Z", ref: name("churn#prod#1"))]),
        ])
        let validation = ValidationReport(subject: name("data/live.csv against data/train.csv"), commit: commits[2].hex, at: "2025-06-03T12:00:00Z",
                                          checks: [.init(target: name("data/live.csv"), name: name("no nulls"), verdict: .pass, value: name("0"), threshold: name("0"))],
                                          drift: [.init(feature: name("age"), method: name("PSI"), value: 0.31, threshold: 0.2, verdict: .fail)])
        let monitoring = MonitoringReport(snapshots: [
            .init(model: name("churn@v1.0.0"), window: name("last 10000 records"), at: "2025-06-04T00:00:00Z",
                  figures: [.init(name: name("accuracy"), value: .double(0.91), threshold: name(">= 0.9"), verdict: .pass)]),
        ])
        return ReportModel(title: name("repo"), generated: "2025-06-05T00:00:00Z", head: commits[2], runs: runs, trends: [trend], diff: diff,
                           lineage: [lineage], plots: [line, confusion], catalog: catalog, validation: validation, monitoring: monitoring,
                           warnings: [name("note on 1234: line 2: not JSON")])
    }

    /// The sequence of tags of a page with their attribute names (`<tr>`, `<td title>`, `</tr>`,
    /// `<circle cx cy r/>` ...): the page's structure. Text that is escaped cannot add to it.
    static func tags(_ html: String) -> [String] {
        let attribute = try! Regex(#"\s([a-zA-Z:-]+)(=("[^"]*"|'[^']*'|[^\s"'>]+))?"#)
        var out: [String] = []
        var i = html.startIndex
        while let lt = html[i...].firstIndex(of: "<") {
            guard let gt = html[lt...].firstIndex(of: ">") else { break }
            let inner = html[html.index(after: lt)..<gt]
            let name = inner.prefix { !$0.isWhitespace && $0 != ">" && $0 != "/" || ($0 == "/" && inner.first == "/") }
            let attrs = inner.dropFirst(name.count).matches(of: attribute).map { String(inner[$0.range].dropFirst().prefix { $0 != "=" }) }
            out.append(([String(name)] + attrs).joined(separator: " ") + (inner.hasSuffix("/") ? "/" : ""))
            i = html.index(after: gt)
        }
        return out
    }

    /// Every `<svg ...>...</svg>` of a page.
    static func svgs(_ html: String, class cls: String) -> [String] {
        html.components(separatedBy: "<svg class=\"\(cls)\"").dropFirst().map { $0.components(separatedBy: "</svg>")[0] }
    }

    static func count(_ needle: String, in s: String) -> Int { s.components(separatedBy: needle).count - 1 }
}
