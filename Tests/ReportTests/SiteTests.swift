import Foundation
import MLOpsBasics
@testable import Report
import Testing

@Suite struct SiteTests {
    static func pages(_ m: ReportModel) -> [String: String] {
        Dictionary(uniqueKeysWithValues: ReportSite.render(m).map { ($0.name, $0.html) })
    }

    /// Hostile text in every field (params, metric names, paths, commit messages, the catalog...)
    /// leaves every page with exactly the structure plain text gives, and shows up only escaped.
    @Test func hostileTextIsEscapedEverywhere() throws {
        // Plain text as long as the hostile text, so that cutting long text acts alike.
        let plain = Self.pages(Fixtures.model { String(repeating: "x", count: Fixtures.hostile.count) + $0 })
        let hostile = Self.pages(Fixtures.model { Fixtures.hostile + $0 })
        #expect(plain.keys.sorted() == ["catalog.html", "diff.html", "index.html", "lineage.html", "monitoring.html", "plots.html", "runs.html", "validation.html"])
        for (name, html) in hostile {
            let p = try #require(plain[name])
            #expect(Fixtures.tags(html) == Fixtures.tags(p), "\(name): the structure changed")
            #expect(html.range(of: "<script", options: .caseInsensitive) == nil, "\(name)")
            #expect(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"), "\(name)")
            #expect(html.contains("&quot;q&quot; &amp; [U+202E]gpj.exe[U+202C]"), "\(name)")
            #expect(!html.contains("onload=\"") && html.contains("onload=&quot;alert(1)&quot;"), "\(name)")
            for hidden: Unicode.Scalar in ["\u{202E}", "\u{202C}", "\u{2066}", "\u{2069}", "\u{1}"] {
                #expect(!html.unicodeScalars.contains(hidden), "\(name) holds U+\(String(hidden.value, radix: 16))")
            }
        }
    }

    /// No scripts, nothing fetched, only relative links: readable from file:// with JavaScript off.
    @Test func pagesAreStaticAndSelfContained() throws {
        let pages = Self.pages(Fixtures.model())
        for (name, html) in pages {
            #expect(html.hasPrefix("<!DOCTYPE html>\n<html lang=\"en\">"))
            #expect(html.contains("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">"))
            #expect(html.contains("@media (prefers-color-scheme:dark)"))
            #expect(!html.contains("src="), "\(name) loads something")
            #expect(html.range(of: "<script", options: .caseInsensitive) == nil)
            for href in html.components(separatedBy: "href=\"").dropFirst().map({ $0.prefix { $0 != "\"" } }) {
                #expect(href.hasPrefix("#") || (href.range(of: #"^[a-z]+\.html(#[a-z0-9-]+)?$"#, options: .regularExpression) != nil), "\(name): \(href)")
            }
            // Every drawing has a title; every table has column headers.
            for svg in html.components(separatedBy: "<svg ").dropFirst() { #expect(svg.contains("<title"), "\(name): an svg without a title") }
            #expect(Fixtures.count("<table", in: html) <= Fixtures.count("<th scope=\"col\"", in: html))
            #expect(html.contains("aria-current=\"page\""))
        }
        #expect(ReportSite.render(Fixtures.model()) == ReportSite.render(Fixtures.model()), "rendering is not deterministic")
    }

    @Test func runsTableHasOneRowPerRunNewestFirst() throws {
        let m = Fixtures.model()
        let html = try #require(Self.pages(m)["runs.html"])
        let body = try #require(html.components(separatedBy: "<tbody>").last?.components(separatedBy: "</tbody>").first)
        let rows = body.components(separatedBy: "<tr>").dropFirst()
        #expect(rows.count == 4)
        #expect(rows.first?.contains("not committed") == true)
        #expect(rows.map { $0.contains("<code title=\"python3 train.py\">") }.allSatisfy { $0 })
        // Newest first: commits 3, 2, 1 after the pending run.
        let order = rows.dropFirst().map { row -> String in
            let r = row.range(of: #"title="[0-9]{40}">"#, options: .regularExpression)!
            return String(row[r].dropFirst(7).prefix(1))
        }
        #expect(order == ["3", "2", "1"])
        #expect(html.contains("<th scope=\"col\">Params</th><th scope=\"col\">Metrics</th>"))
        #expect(html.contains("<caption>4 runs across history, newest first; runs not committed yet come first.</caption>"))
    }

    /// One point per commit, titled for hover, on axes with nice ticks.
    @Test func trendChartHasOnePointPerCommit() throws {
        let html = try #require(Self.pages(Fixtures.model())["index.html"])
        let charts = Fixtures.svgs(html, class: "chart")
        #expect(charts.count == 1)
        #expect(Fixtures.count("<circle class=\"pt\"", in: charts[0]) == 3)
        #expect(charts[0].contains("<title>3333333333 commit 3\nmetrics.json: loss = 0.3333333333333333</title>"))
        #expect(charts[0].contains("<polyline points="))
        let ticks = charts[0].components(separatedBy: "<text class=\"tick\"").dropFirst().map { $0.split(separator: ">")[1].prefix { $0 != "<" } }
        #expect(ticks == ["0.2", "0.4", "0.6", "0.8", "1.0", "1111111", "2222222", "3333333"])
    }

    /// NaN, infinities, text, booleans and missing values are listed and marked on the axis, never
    /// drawn as points, and never reach a coordinate.
    @Test func nonNumericMetricsAreGapsNotPoints() throws {
        let values: [JSON?] = [.double(.nan), .double(.infinity), .double(-.infinity), .string("n/a"), nil, .bool(true), .double(0.5), .int(2)]
        let commits = values.indices.map { Fixtures.commit($0, { $0 }) }
        var m = ReportModel(title: "r", generated: "2025-06-05T00:00:00Z")
        m.trends = [TrendChart(stage: "train", metric: "metrics.json: loss", points: zip(commits, values).map { TrendChart.Point(commit: $0, value: $1) })]
        m.runs = [RunSummary(id: "1", stage: "train", commit: commits[0],
                             metrics: [NamedValue("a", .double(.nan)), NamedValue("b", .double(.infinity)), NamedValue("c", .double(-.infinity)), NamedValue("d", .string("x"))])]
        let html = try #require(Self.pages(m)["index.html"])
        let chart = try #require(Fixtures.svgs(html, class: "chart").first)
        #expect(Fixtures.count("<circle class=\"pt\"", in: chart) == 2)
        #expect(Fixtures.count("<path class=\"gap\"", in: chart) == 6)
        #expect(chart.contains("metrics.json: loss: NaN (not a number)"))
        #expect(chart.contains("metrics.json: loss: not recorded (not a number)"))
        Self.expectFiniteCoordinates(chart)
        #expect(html.contains("<span class=\"k\">a</span> <span class=\"v\">NaN</span>"))
        #expect(html.contains("<span class=\"k\">b</span> <span class=\"v\">∞</span>"))
        #expect(html.contains("<span class=\"k\">c</span> <span class=\"v\">-∞</span>"))

        // A chart with nothing to draw still renders, with no points.
        m.trends[0].points = [TrendChart.Point(commit: commits[0], value: .double(.nan))]
        let again = try #require(Self.pages(m)["index.html"])
        let lone = try #require(Fixtures.svgs(again, class: "chart").first)
        #expect(Fixtures.count("<circle class=\"pt\"", in: lone) == 0)
        Self.expectFiniteCoordinates(lone)
    }

    static func expectFiniteCoordinates(_ svg: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let attr = try! Regex(#" (cx|cy|x|y|x1|x2|y1|y2|r|width|height|points|d|viewBox)="([^"]*)""#)
        for match in svg.matches(of: attr) {
            let value = String(svg[match.range].split(separator: "\"")[1])
            #expect(value.allSatisfy { "0123456789.,- MLCmlz".contains($0) }, "\(value)", sourceLocation: sourceLocation)
        }
    }

    @Test func emptyHistoryRendersEveryPageWithAHint() throws {
        let pages = Self.pages(ReportModel(title: "empty", generated: "2025-06-05T00:00:00Z"))
        #expect(pages.keys.sorted() == ["diff.html", "index.html", "lineage.html", "plots.html", "runs.html"])
        #expect(pages["index.html"]!.contains("No recorded runs yet"))
        #expect(pages["index.html"]!.contains("No numeric metrics recorded yet"))
        #expect(pages["runs.html"]!.contains("No recorded runs yet"))
        #expect(pages["diff.html"]!.contains("A diff needs two commits with runs"))
        #expect(pages["lineage.html"]!.contains("No artifacts produced by a recorded run"))
        #expect(pages["plots.html"]!.contains("No plots declared"))
        for html in pages.values { #expect(!html.contains("catalog.html") && !html.contains("<svg")) }
    }

    @Test func diffMarksChangesAndFoldsTheRest() throws {
        let html = try #require(Self.pages(Fixtures.model())["diff.html"])
        #expect(html.contains("<tr class=\"changed\"><td>train.lr</td><td class=\"num\"><span class=\"v\">0.2</span></td>"))
        #expect(html.contains("<td class=\"num\">+0.1</td>"))
        #expect(html.contains("<details><summary>1 unchanged</summary>"))
        #expect(html.contains("<td>note</td><td class=\"num\"><span class=\"v\">a</span></td><td class=\"num\"><span class=\"v\">b</span></td><td class=\"num\">changed</td>"))
    }

    /// The lineage graph names every node, each edge ends in an arrow, the artifact is marked.
    @Test func lineageGraphDrawsEveryNodeAndEdge() throws {
        let html = try #require(Self.pages(Fixtures.model())["lineage.html"])
        let svg = try #require(Fixtures.svgs(html, class: "lineage").first)
        #expect(Fixtures.count("<g class=\"node data", in: svg) == 3)
        #expect(Fixtures.count("<g class=\"node run", in: svg) == 2)
        #expect(Fixtures.count("<g class=\"node data root\"", in: svg) == 1)
        #expect(Fixtures.count("marker-end=", in: svg) == 5)
        #expect(svg.contains("<text class=\"name\" x=\"") && svg.contains(">model.npy</text>"))
        #expect(svg.contains("<title id=\"lineage-model-npy-"))
        Self.expectFiniteCoordinates(svg)
    }

    @Test func plotsDrawLinesAndConfusionMatrices() throws {
        let html = try #require(Self.pages(Fixtures.model())["plots.html"])
        let chart = try #require(Fixtures.svgs(html, class: "chart").first)
        #expect(Fixtures.count("<circle class=\"pt\"", in: chart) == 6)
        #expect(Fixtures.count("<polyline", in: chart) == 2)
        #expect(html.contains("<ul class=\"legend\"><li><span class=\"key s0\"></span>A</li><li><span class=\"key s1\"></span>B</li></ul>"))
        #expect(html.contains("<ul class=\"problems\"><li>bad.csv at A: not valid JSON</li></ul>"))
        let matrix = try #require(Fixtures.svgs(html, class: "matrix").first)
        #expect(Fixtures.count("<g class=\"cell", in: matrix) == 4)
        #expect(matrix.contains("<title>actual cat, predicted dog: 2 (22.2% of the row)</title>"))
        #expect(matrix.contains(">7</text>"))
        Self.expectFiniteCoordinates(chart)
        Self.expectFiniteCoordinates(matrix)
    }

    @Test func optionalSectionsAppearOnlyWhenProvided() throws {
        var m = Fixtures.model()
        let full = Self.pages(m)
        #expect(full["index.html"]!.contains("<a href=\"catalog.html\">Models</a>"))
        #expect(full["index.html"]!.contains("v1.0.0</strong> <span class=\"badge prod\">production</span>"))
        #expect(full["catalog.html"]!.contains("<tr class=\"prod\"><td>prod <span class=\"badge prod\">production</span></td><td>v1.0.0</td>"))
        #expect(full["validation.html"]!.contains("<td>age</td><td>PSI</td><td class=\"num\">0.31</td><td class=\"num\">0.2</td><td><span class=\"badge fail\">fail</span></td>"))
        #expect(full["monitoring.html"]!.contains("<td>accuracy</td><td class=\"num\"><span class=\"v\">0.91</span></td>"))
        m.catalog = nil
        m.validation = nil
        m.monitoring = nil
        let bare = Self.pages(m)
        #expect(bare["catalog.html"] == nil && bare["validation.html"] == nil && bare["monitoring.html"] == nil)
        #expect(!bare["index.html"]!.contains("catalog.html") && !bare["index.html"]!.contains("<h2>Models</h2>"))
    }
}
