import Foundation
import MLOpsBasics

/// Turns a report model into the pages of a static site: plain HTML with inline SVG and one inline
/// stylesheet (light and dark through `prefers-color-scheme`), no scripts, no network, relative links
/// only, so it reads the same from `file://`, a web server or with JavaScript off. Pure: the same model
/// gives the same bytes.
public enum ReportSite {
    public struct Page: Sendable, Equatable {
        public var name: String
        public var html: String
    }

    struct Tab {
        var file: String
        var label: String
    }

    public static func render(_ m: ReportModel) -> [Page] {
        var tabs = [Tab(file: "index.html", label: "Overview"), Tab(file: "runs.html", label: "Runs"),
                    Tab(file: "diff.html", label: "Diff"), Tab(file: "lineage.html", label: "Lineage"),
                    Tab(file: "plots.html", label: "Plots")]
        if m.catalog != nil { tabs.append(Tab(file: "catalog.html", label: "Models")) }
        if m.validation != nil { tabs.append(Tab(file: "validation.html", label: "Validation")) }
        if m.monitoring != nil { tabs.append(Tab(file: "monitoring.html", label: "Monitoring")) }
        func page(_ file: String, _ heading: String, _ body: Markup) -> Page {
            Page(name: file, html: document(m, tabs: tabs, current: file, heading: heading, body: body).html)
        }
        var pages = [
            page("index.html", "Overview", overview(m)),
            page("runs.html", "Runs", runsPage(m)),
            page("diff.html", "Params and metrics diff", diffPage(m.diff)),
            page("lineage.html", "Lineage", lineagePage(m.lineage)),
            page("plots.html", "Plots", plotsPage(m.plots)),
        ]
        if let c = m.catalog { pages.append(page("catalog.html", "Models", catalogPage(c))) }
        if let v = m.validation { pages.append(page("validation.html", "Validation", validationPage(v))) }
        if let s = m.monitoring { pages.append(page("monitoring.html", "Monitoring", monitoringPage(s))) }
        return pages
    }

    // MARK: Frame

    static func document(_ m: ReportModel, tabs: [Tab], current: String, heading: String, body: Markup) -> Markup {
        let nav = tabs.map { t -> Markup in
            t.file == current ? "<li><a href=\"\(t.file)\" aria-current=\"page\">\(t.label)</a></li>" : "<li><a href=\"\(t.file)\">\(t.label)</a></li>"
        }
        let head = m.head.map { h -> Markup in " from <code>\(h.short)</code>" } ?? .empty
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="color-scheme" content="light dark">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
            <title>\(heading) · \(m.title) · git-mlops report</title>
            <style>\(Markup(raw: stylesheet))</style>
            </head>
            <body>
            <header><div class="inner"><p class="brand"><span class="muted">git-mlops report</span> <strong>\(m.title)</strong></p>
            <nav aria-label="Report pages"><ul>\(nav)</ul></nav></div></header>
            <main>
            <h1>\(heading)</h1>
            \(body)
            </main>
            <footer>Made by <code>git mlops report</code> on \(ReportFormat.time(m.generated))\(head). A static page: no scripts, nothing fetched.</footer>
            </body>
            </html>

            """
    }

    // MARK: Overview

    static func overview(_ m: ReportModel) -> Markup {
        var out: Markup = .empty
        let committed = m.runs.filter { $0.commit != nil }
        let commits = Set(committed.compactMap { $0.commit?.hex }).count
        let stages = Set(m.runs.map(\.stage)).count
        let latest = m.runs.first.map { ReportFormat.time($0.started) } ?? "never"
        out += """
            <div class="cards">\
            <div class="card"><div class="n">\(m.runs.count)</div>runs recorded</div>\
            <div class="card"><div class="n">\(commits)</div>commits with runs</div>\
            <div class="card"><div class="n">\(stages)</div>stages</div>\
            <div class="card"><div class="n small">\(latest)</div>latest run</div></div>
            """
        if !m.warnings.isEmpty {
            out += "<section class=\"warnings\" aria-labelledby=\"warnings\"><h2 id=\"warnings\">Warnings</h2><ul>\(m.warnings.map { w -> Markup in "<li>\(w)</li>" })</ul></section>"
        }
        if let c = m.catalog { out += "<h2>Models</h2>" + catalogSummary(c) }
        if let v = m.validation { out += "<h2>Validation</h2>" + verdictSummary(v.checks.map(\.verdict) + v.drift.map(\.verdict), link: "validation.html", subject: v.subject) }
        if let s = m.monitoring, let latest = s.snapshots.first {
            out += "<h2>Monitoring</h2>" + verdictSummary(latest.figures.map(\.verdict), link: "monitoring.html", subject: "\(latest.model), \(latest.window)")
        }
        out += "<h2>Latest runs</h2>"
        if m.runs.isEmpty {
            out += "<p class=\"empty\">No recorded runs yet: run a pipeline with <code>git mlops run</code> and commit the results.</p>"
        } else {
            out += runsTable(Array(m.runs.prefix(10)), caption: "The \(min(10, m.runs.count)) newest of \(m.runs.count) runs; all of them are on the Runs page.")
            out += "<p><a href=\"runs.html\">All runs</a></p>"
        }
        out += "<h2>Metric trends</h2>"
        out += trendsSection(m.trends)
        return out
    }

    static func verdictSummary(_ verdicts: [Verdict], link: String, subject: String) -> Markup {
        let counts = [Verdict.fail, .warn, .pass, .unknown].compactMap { v -> Markup? in
            let n = verdicts.filter { $0 == v }.count
            return n == 0 ? nil : "<span class=\"badge \(v.rawValue)\">\(n) \(v.rawValue)</span> "
        }
        return "<p>\(subject): \(counts) <a href=\"\(link)\">details</a></p>"
    }

    // MARK: Runs

    static func runsPage(_ m: ReportModel) -> Markup {
        guard !m.runs.isEmpty else {
            return "<p class=\"empty\">No recorded runs yet: run a pipeline with <code>git mlops run</code> and commit the results.</p>"
        }
        return runsTable(m.runs, caption: "\(m.runs.count) runs across history, newest first; runs not committed yet come first.")
    }

    static func runsTable(_ runs: [RunSummary], caption: String) -> Markup {
        let rows = runs.map { r -> Markup in
            let commit: Markup = r.commit.map { c in
                "<code title=\"\(c.hex)\">\(c.short)</code> <span class=\"summary\" title=\"\(c.summary)\">\(Charts.truncate(c.summary, 48))</span>"
            } ?? "<span class=\"muted\">not committed</span>"
            let stage: Markup = r.restored ? "\(r.stage) <span class=\"muted\" title=\"outputs restored from the run cache\">(restored)</span>" : "\(r.stage)"
            return """
                <tr><td><code title="\(r.command)">\(String(r.id.prefix(12)))</code></td><td>\(stage)</td><td>\(commit)</td>\
                <td>\(r.who)</td><td class="nowrap">\(ReportFormat.time(r.started))</td><td>\(values(r.params))</td><td>\(values(r.metrics))</td></tr>
                """
        }
        return """
            <div class="scroll"><table class="runs"><caption>\(caption)</caption>
            <thead><tr><th scope="col">Run</th><th scope="col">Stage</th><th scope="col">Commit</th><th scope="col">Who</th>\
            <th scope="col">When</th><th scope="col">Params</th><th scope="col">Metrics</th></tr></thead>
            <tbody>
            \(Markup.join(rows, "\n"))
            </tbody></table></div>
            """
    }

    /// `name value` pairs, one a line; long values cut, in full on hover.
    static func values(_ vs: [NamedValue]) -> Markup {
        guard !vs.isEmpty else { return "<span class=\"muted\">-</span>" }
        let items = vs.map { v -> Markup in "<li><span class=\"k\">\(v.name)</span> \(cell(v.value, limit: 60))</li>" }
        return "<ul class=\"kv\">\(items)</ul>"
    }

    /// A value, shortened for a table (6 significant digits, at most `limit` characters), in full on hover.
    static func cell(_ v: JSON?, limit: Int = 40) -> Markup {
        let (shown, full) = ReportFormat.cell(v)
        let cut = Charts.truncate(shown, limit)
        let title = full ?? (cut == shown ? nil : shown)
        return title.map { "<span class=\"v\" title=\"\($0)\">\(cut)</span>" } ?? "<span class=\"v\">\(cut)</span>"
    }

    // MARK: Trends

    static func trendsSection(_ trends: [TrendChart]) -> Markup {
        guard !trends.isEmpty else {
            return "<p class=\"empty\">No numeric metrics recorded yet: declare metrics files with <code>-m FILE</code> in <code>git mlops stage add</code>.</p>"
        }
        return "<p class=\"muted\">One point per commit of the first-parent history that has a run of the stage, oldest on the left.</p>"
            + byStage(trends, \.stage, heading: "h3", trendFigure)
    }

    /// Figures grouped under a heading per stage, stages in the order they first appear.
    static func byStage<T>(_ items: [T], _ stage: (T) -> String, heading: Markup, _ figure: (T) -> Markup) -> Markup {
        var stages: [String] = []
        for i in items where !stages.contains(stage(i)) { stages.append(stage(i)) }
        var out: Markup = .empty
        for s in stages {
            out += "<\(heading)>Stage \(s)</\(heading)><div class=\"charts\">"
            for i in items where stage(i) == s { out += figure(i) }
            out += "</div>"
        }
        return out
    }

    static func trendFigure(_ t: TrendChart) -> Markup {
        let id = "trend-" + Markup.slug(t.stage + "\u{0}" + t.metric)
        var pts: [Charts.Point] = []
        var gaps: [(x: Double, title: String)] = []
        for (i, p) in t.points.enumerated() {
            let commit = "\(p.commit.short) \(Charts.truncate(p.commit.summary, 60))"
            if let v = ReportFormat.finite(p.value) {
                pts.append(Charts.Point(x: Double(i), y: v, title: "\(commit)\n\(t.metric) = \(ReportFormat.number(v))"))
            } else {
                gaps.append((Double(i), "\(commit)\n\(t.metric): \(p.value.map { ReportFormat.value($0) } ?? "not recorded") (not a number)"))
            }
        }
        let finite = pts.map(\.y)
        let description = finite.isEmpty ? "no numeric values"
            : "\(pts.count) commits with a value, from \(ReportFormat.number(finite.first!)) (oldest) to \(ReportFormat.number(finite.last!)) (newest)"
        let svg = Charts.xy(id: id, title: "\(t.metric) of stage \(t.stage) over commits", description: description,
                            xLabel: "commit", yLabel: "", x: .categories(t.points.map { String($0.commit.hex.prefix(7)) }),
                            series: [Charts.Series(label: t.metric, points: pts, line: true)], gaps: gaps)
        let rows = t.points.reversed().map { p -> Markup in
            "<tr><td><code>\(p.commit.short)</code> \(Charts.truncate(p.commit.summary, 48))</td><td class=\"num\">\(cell(p.value))</td></tr>"
        }
        return """
            <figure class="trend"><figcaption>\(t.metric)</figcaption>\(svg)\
            <details><summary>Values (\(t.points.count) commits)</summary><table><thead><tr><th scope="col">Commit</th>\
            <th scope="col" class="num">\(t.metric)</th></tr></thead><tbody>\(rows)</tbody></table></details></figure>
            """
    }

    // MARK: Diff

    static func diffPage(_ d: ReportDiff?) -> Markup {
        guard let d else {
            return "<p class=\"empty\">A diff needs two commits with runs. Choose any two revisions with <code>git mlops report --diff A B</code>.</p>"
        }
        func side(_ label: String, _ c: CommitRef?) -> Markup {
            guard let c else { return "<strong>\(label)</strong>" }
            let name: Markup = label.hasPrefix(c.short) || c.hex.hasPrefix(label) ? "<code>\(c.short)</code>" : "<strong>\(label)</strong> (<code>\(c.short)</code>)"
            return "\(name) <span class=\"summary\">\(Charts.truncate(c.summary, 60))</span>"
        }
        var out: Markup = "<p>From \(side(d.from, d.fromCommit)) to \(side(d.to, d.toCommit)). Other revisions: <code>git mlops report --diff A B</code>.</p>"
        out += "<h2>Params</h2>" + diffTables(d.params, metrics: false, from: d.from, to: d.to)
        out += "<h2>Metrics</h2>" + diffTables(d.metrics, metrics: true, from: d.from, to: d.to)
        return out
    }

    static func diffTables(_ rows: [ReportDiff.Row], metrics: Bool, from: String, to: String) -> Markup {
        guard !rows.isEmpty else { return "<p class=\"empty\">None on either side.</p>" }
        func table(_ rs: [ReportDiff.Row], caption: String, changed: Bool) -> Markup {
            let body = rs.map { r -> Markup in
                let change = ReportFormat.change(r.old, r.new) ?? (r.changed ? "changed" : "")
                let file: Markup = metrics ? "<td>\(r.file)</td>" : .empty
                return """
                    <tr\(changed ? Markup(" class=\"changed\"") : .empty)>\(file)<td>\(r.name)</td><td class="num">\(cell(r.old))</td>\
                    <td class="num">\(cell(r.new))</td><td class="num">\(change)</td></tr>
                    """
            }
            let fileHead: Markup = metrics ? "<th scope=\"col\">File</th>" : .empty
            return """
                <div class="scroll"><table class="diff"><caption>\(caption)</caption><thead><tr>\(fileHead)<th scope="col">\(metrics ? "Metric" : "Param")</th>\
                <th scope="col" class="num">\(from)</th><th scope="col" class="num">\(to)</th><th scope="col" class="num">Change</th></tr></thead><tbody>\(body)</tbody></table></div>
                """
        }
        let changed = rows.filter(\.changed), same = rows.filter { !$0.changed }
        var out: Markup = changed.isEmpty ? "<p>No changes.</p>" : table(changed, caption: "\(changed.count) changed", changed: true)
        if !same.isEmpty {
            out += "<details><summary>\(same.count) unchanged</summary>\(table(same, caption: "\(same.count) unchanged", changed: false))</details>"
        }
        return out
    }

    // MARK: Lineage

    static func lineagePage(_ graphs: [ArtifactLineage]) -> Markup {
        guard !graphs.isEmpty else {
            return "<p class=\"empty\">No artifacts produced by a recorded run at HEAD: declare outputs with <code>-o PATH</code>, run and commit.</p>"
        }
        var out: Markup = """
            <p class="muted">Data flows left to right: each artifact (square box) comes from the run (rounded box) on its left, \
            which read the artifacts on its left. Hover over a box for its details.</p>
            """
        out += "<ul class=\"toc\">\(graphs.map { g -> Markup in "<li><a href=\"#\(lineageID(g))\">\(g.path)</a></li>" })</ul>"
        for g in graphs {
            out += "<section aria-labelledby=\"\(lineageID(g))\"><h2 id=\"\(lineageID(g))\">\(g.path)</h2>"
            let runs = ReportFormat.count(g.nodes.filter { $0.kind == .run }.count, "run")
            let data = ReportFormat.count(g.nodes.filter { $0.kind == .data }.count, "data version")
            out += "<p class=\"muted\">At \(g.revision): \(runs), \(data).</p>"
            out += "<div class=\"scroll\">\(lineageSVG(g))</div></section>"
        }
        return out
    }

    static func lineageID(_ g: ArtifactLineage) -> String { "lineage-" + Markup.slug(g.path) }

    static func lineageSVG(_ g: ArtifactLineage) -> Markup {
        let id = lineageID(g) + "-svg"
        // Names in 12px bold, ids in 10.5px monospace: about 7.4 and 6.4 pixels a character.
        let maxChars = 40
        let sizes = g.nodes.map { n -> (width: Double, height: Double) in
            (max(Double(min(maxChars, n.label.count)) * 7.4, Double(min(maxChars, n.sublabel.count)) * 6.4, 48) + 24, 40)
        }
        let layout = LayeredLayout(sizes: sizes, edges: g.edges.map { ($0.from, $0.to) })
        let edges = layout.routes.enumerated().compactMap { i, route -> Markup? in
            guard !route.isEmpty else { return nil }
            let e = g.edges[i]
            return "<path d=\"\(LayeredLayout.path(route))\" marker-end=\"url(#\(id)-arrow)\"><title>\(g.nodes[e.from].label) → \(g.nodes[e.to].label)</title></path>"
        }
        let nodes = g.nodes.enumerated().map { i, n -> Markup in
            let b = layout.boxes[i]
            let cls = n.kind.rawValue + (i == g.root ? " root" : "")
            let rx = n.kind == .run ? 16.0 : 3.0
            let hover = ([n.label, n.sublabel] + n.details).filter { !$0.isEmpty }.joined(separator: "\n")
            return """
                <g class="node \(cls)"><title>\(hover)</title><rect x="\(b.x)" y="\(b.y)" width="\(b.width)" height="\(b.height)" rx="\(rx)"/>\
                <text class="name" x="\(b.x + 12)" y="\(b.y + 16)">\(Charts.truncate(n.label, maxChars))</text>\
                <text class="sub" x="\(b.x + 12)" y="\(b.y + 31)">\(Charts.truncate(n.sublabel, maxChars))</text></g>
                """
        }
        return """
            <svg class="lineage" id="\(id)" viewBox="0 0 \(layout.width) \(layout.height)" width="\(layout.width)" height="\(layout.height)" \
            role="img" aria-labelledby="\(id)-t \(id)-d"><title id="\(id)-t">Lineage of \(g.path)</title>\
            <desc id="\(id)-d">\(g.nodes.map { n -> String in "\(n.kind == .run ? "run of stage" : "data") \(n.label)" }.joined(separator: "; "))</desc>\
            <defs><marker id="\(id)-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0 1L9 5L0 9z"/></marker></defs>\
            <g class="edges">\(edges)</g>\(nodes)</svg>
            """
    }

    // MARK: Plots

    static func plotsPage(_ plots: [PlotFigure]) -> Markup {
        guard !plots.isEmpty else {
            return """
                <p class="empty">No plots declared. A stage declares the files of points it writes under <code>plots</code> in \
                mlops.yaml (see docs/report.md), e.g. <code>plots: [{loss.csv: {x: epoch, y: loss}}]</code>.</p>
                """
        }
        return byStage(plots, \.stage, heading: "h2", plotFigure)
    }

    static func plotFigure(_ p: PlotFigure) -> Markup {
        let id = "plot-" + Markup.slug(p.stage + "\u{0}" + p.path)
        var body: Markup = .empty
        switch p.body {
        case .xy(let scatter, let series):
            if series.contains(where: { !$0.points.isEmpty }) {
                let categories = series.first?.xCategories
                let drawn = series.map { s in
                    Charts.Series(label: s.label, points: s.points.map { pt in
                        let x = categories.map { $0[Int(pt.x)] } ?? ReportFormat.number(pt.x)
                        return Charts.Point(x: pt.x, y: pt.y, title: "\(s.label)\n\(p.xLabel) \(x): \(p.yLabel) \(ReportFormat.number(pt.y))")
                    }, line: !scatter)
                }
                let count = series.map(\.points.count).reduce(0, +)
                body += Charts.xy(id: id, title: p.title, description: "\(series.count) series, \(count) points", xLabel: p.xLabel, yLabel: p.yLabel,
                                  x: categories.map { .categories($0) } ?? .numeric, series: drawn)
                body += Charts.legend(series.map(\.label))
                let dropped = series.map(\.dropped).reduce(0, +)
                if dropped > 0 { body += "<p class=\"muted\">\(dropped) points left out of the drawing (every k-th point is drawn).</p>" }
            }
        case .confusion(let normalized, let matrices):
            for (k, m) in matrices.enumerated() {
                body += "<div class=\"matrix-box\"><p class=\"muted\">\(m.label)</p>"
                body += Charts.confusion(id: "\(id)-\(k)", matrix: m, xLabel: p.xLabel, yLabel: p.yLabel, normalized: normalized) + "</div>"
            }
        }
        if !p.problems.isEmpty {
            body += "<ul class=\"problems\">\(p.problems.map { q -> Markup in "<li>\(q)</li>" })</ul>"
        }
        if body == .empty { body = "<p class=\"empty\">Nothing to draw: the file is in none of the revisions shown.</p>" }
        let caption: Markup = p.title == p.path ? "\(p.path)" : "\(p.title) <span class=\"muted\">\(p.path)</span>"
        return "<figure class=\"plot\"><figcaption>\(caption)</figcaption>\(body)</figure>"
    }

    // MARK: Catalog, validation, monitoring

    static func badge(_ v: Verdict) -> Markup { "<span class=\"badge \(v.rawValue)\">\(v.rawValue)</span>" }

    static func productionBadge(_ c: CatalogReport, _ stage: String) -> Markup {
        c.productionStages.contains(stage) ? " <span class=\"badge prod\">production</span>" : .empty
    }

    static func catalogSummary(_ c: CatalogReport) -> Markup {
        let rows = c.artifacts.map { a -> Markup in
            let stages = a.stages.map { s -> Markup in "<li>\(s.stage): <strong>\(s.version)</strong>\(productionBadge(c, s.stage))</li>" }
            return "<tr><td><a href=\"catalog.html#\(catalogID(a.name))\">\(a.name)</a></td><td>\(a.versions.first?.version ?? "-")</td><td><ul class=\"kv\">\(stages)</ul></td></tr>"
        }
        return """
            <div class="scroll"><table class="catalog"><thead><tr><th scope="col">Model</th><th scope="col">Latest version</th>\
            <th scope="col">Stages</th></tr></thead><tbody>\(rows)</tbody></table></div>
            """
    }

    static func catalogID(_ name: String) -> String { "model-" + Markup.slug(name) }

    static func catalogPage(_ c: CatalogReport) -> Markup {
        guard !c.artifacts.isEmpty else { return "<p class=\"empty\">No models registered.</p>" }
        var out = catalogSummary(c)
        for a in c.artifacts {
            out += "<section aria-labelledby=\"\(catalogID(a.name))\"><h2 id=\"\(catalogID(a.name))\">\(a.name)</h2>"
            if let p = a.path { out += "<p class=\"muted\">Path: <code>\(p)</code></p>" }
            let stages = a.stages.map { s -> Markup in
                "<tr\(c.productionStages.contains(s.stage) ? Markup(" class=\"prod\"") : .empty)><td>\(s.stage)\(productionBadge(c, s.stage))</td><td>\(s.version)</td><td>\(s.by)</td><td>\(ReportFormat.time(s.at))</td></tr>"
            }
            out += "<h3>Stages</h3>"
            out += a.stages.isEmpty ? "<p class=\"empty\">Not assigned to any stage.</p>" : """
                <table><thead><tr><th scope="col">Stage</th><th scope="col">Version</th><th scope="col">By</th>\
                <th scope="col">Since</th></tr></thead><tbody>\(stages)</tbody></table>
                """
            let versions = a.versions.map { v -> Markup in
                "<tr><td>\(v.version)\(v.deprecated ? " <span class=\"badge unknown\">deprecated</span>" : Markup.empty)</td><td><code>\(String(v.commit.prefix(10)))</code></td><td>\(v.by)</td><td>\(ReportFormat.time(v.at))</td></tr>"
            }
            out += "<h3>Versions</h3>" + """
                <table><thead><tr><th scope="col">Version</th><th scope="col">Commit</th><th scope="col">Registered by</th>\
                <th scope="col">When</th></tr></thead><tbody>\(versions)</tbody></table>
                """
            let events = a.events.map { e -> Markup in
                "<tr><td>\(ReportFormat.time(e.at))</td><td>\(e.kind)</td><td>\(e.version)</td><td>\(e.stage ?? "")</td><td>\(e.by)</td><td><code>\(e.ref)</code></td></tr>"
            }
            out += "<details><summary>History (\(a.events.count) events)</summary>" + """
                <table><thead><tr><th scope="col">When</th><th scope="col">Event</th><th scope="col">Version</th><th scope="col">Stage</th>\
                <th scope="col">By</th><th scope="col">Tag</th></tr></thead><tbody>\(events)</tbody></table></details></section>
                """
        }
        return out
    }

    static func validationPage(_ v: ValidationReport) -> Markup {
        var out: Markup = "<p>\(v.subject)\(v.commit.map { c -> Markup in " at <code>\(String(c.prefix(10)))</code>" } ?? .empty)\(v.at.isEmpty ? Markup.empty : ", \(ReportFormat.time(v.at))").</p>"
        out += "<h2>Checks</h2>"
        let checks = v.checks.map { c -> Markup in
            "<tr><td>\(c.target)</td><td>\(c.name)</td><td>\(badge(c.verdict))</td><td class=\"num\">\(c.value)</td><td class=\"num\">\(c.threshold)</td><td>\(c.detail)</td></tr>"
        }
        out += v.checks.isEmpty ? "<p class=\"empty\">No checks.</p>" : """
            <div class="scroll"><table><thead><tr><th scope="col">Data</th><th scope="col">Check</th><th scope="col">Verdict</th>\
            <th scope="col" class="num">Value</th><th scope="col" class="num">Threshold</th><th scope="col">Detail</th></tr></thead><tbody>\(checks)</tbody></table></div>
            """
        out += "<h2>Drift</h2>"
        let drift = v.drift.map { d -> Markup in
            "<tr><td>\(d.feature)</td><td>\(d.method)</td><td class=\"num\">\(ReportFormat.number(d.value))</td><td class=\"num\">\(d.threshold.map(ReportFormat.number) ?? "-")</td><td>\(badge(d.verdict))</td></tr>"
        }
        out += v.drift.isEmpty ? "<p class=\"empty\">No drift measured.</p>" : """
            <div class="scroll"><table><thead><tr><th scope="col">Feature</th><th scope="col">Measure</th><th scope="col" class="num">Value</th>\
            <th scope="col" class="num">Threshold</th><th scope="col">Verdict</th></tr></thead><tbody>\(drift)</tbody></table></div>
            """
        return out
    }

    static func monitoringPage(_ m: MonitoringReport) -> Markup {
        guard !m.snapshots.isEmpty else { return "<p class=\"empty\">No monitoring snapshots recorded.</p>" }
        var out: Markup = .empty
        for s in m.snapshots {
            out += "<h2>\(s.model)</h2><p class=\"muted\">\(s.window)\(s.at.isEmpty ? "" : ", " + ReportFormat.time(s.at))</p>"
            let rows = s.figures.map { f -> Markup in
                "<tr><td>\(f.name)</td><td class=\"num\">\(cell(f.value))</td><td class=\"num\">\(f.threshold)</td><td>\(badge(f.verdict))</td></tr>"
            }
            out += """
                <div class="scroll"><table><thead><tr><th scope="col">Figure</th><th scope="col" class="num">Value</th><th scope="col" class="num">Threshold</th>\
                <th scope="col">Verdict</th></tr></thead><tbody>\(rows)</tbody></table></div>
                """
        }
        return out
    }

    // MARK: Style

    static let stylesheet = """
        :root{color-scheme:light dark;--bg:#ffffff;--fg:#1f2328;--muted:#59636e;--border:#d1d9e0;--panel:#f6f8fa;--accent:#0969da;\
        --s0:#0969da;--s1:#cf222e;--s2:#1a7f37;--s3:#8250df;--s4:#bc4c00;--s5:#1b7c83;--pass:#1a7f37;--warn:#9a6700;--fail:#cf222e;--changed:#fff8c5}
        @media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--border:#3d444d;--panel:#151b23;--accent:#4493f8;\
        --s0:#4493f8;--s1:#f85149;--s2:#3fb950;--s3:#a371f7;--s4:#db6d28;--s5:#39c5cf;--pass:#3fb950;--warn:#d29922;--fail:#f85149;--changed:#332b00}}
        *{box-sizing:border-box}
        body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",Helvetica,Arial,sans-serif}
        header{background:var(--panel);border-bottom:1px solid var(--border)}
        header .inner,main,footer{max-width:1200px;margin:0 auto;padding-left:24px;padding-right:24px}
        header .inner{display:flex;flex-wrap:wrap;align-items:center;gap:0 28px}
        .brand{margin:12px 0;font-size:15px}
        nav ul{display:flex;flex-wrap:wrap;list-style:none;margin:0;padding:0}
        nav a{display:block;padding:12px 12px 10px;color:var(--fg);text-decoration:none;border-bottom:2px solid transparent}
        nav a:hover{border-bottom-color:var(--border)}
        nav a[aria-current=page]{border-bottom-color:var(--accent);font-weight:600}
        main{padding-top:4px;padding-bottom:40px}
        h1{font-size:24px;margin:20px 0 8px}
        h2{font-size:18px;margin:32px 0 10px;padding-bottom:6px;border-bottom:1px solid var(--border)}
        h3{font-size:15px;margin:22px 0 8px}
        a{color:var(--accent)}
        code{font-family:ui-monospace,SFMono-Regular,"SF Mono",Menlo,Consolas,"Liberation Mono",monospace;font-size:12.5px}
        .muted,.summary{color:var(--muted)}
        .empty{color:var(--muted);font-style:italic}
        .scroll{overflow-x:auto}
        table{border-collapse:collapse;width:100%;font-size:13px;margin:4px 0 8px}
        caption{text-align:left;color:var(--muted);padding:4px 0 6px}
        th,td{border-bottom:1px solid var(--border);padding:6px 10px;text-align:left;vertical-align:top}
        th{background:var(--panel);font-weight:600;white-space:nowrap}
        tbody tr:hover td{background:var(--panel)}
        td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
        td.nowrap{white-space:nowrap}
        tr.changed td{background:var(--changed)}
        ul.kv,ul.toc{list-style:none;margin:0;padding:0}
        ul.kv li{overflow-wrap:anywhere}
        .kv .k{color:var(--muted)}
        ul.toc li{display:inline-block;margin-right:16px}
        .cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:12px;margin:16px 0 8px}
        .card{border:1px solid var(--border);border-radius:8px;padding:12px 16px;background:var(--panel);color:var(--muted)}
        .card .n{font-size:26px;font-weight:600;color:var(--fg);line-height:1.3}
        .card .n.small{font-size:16px;padding:6px 0 3px}
        .charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:16px}
        figure{margin:0;border:1px solid var(--border);border-radius:8px;padding:12px 14px;background:var(--bg);min-width:0}
        figcaption{font-weight:600;margin-bottom:6px}
        svg{max-width:100%;height:auto}
        svg text{fill:var(--fg);font-size:11px;font-family:inherit}
        svg .tick{fill:var(--muted)}
        svg .label{fill:var(--muted);font-size:12px}
        svg .frame{fill:none;stroke:var(--border)}
        svg .grid line{stroke:var(--border)}
        svg .grid line.xt{stroke:var(--muted)}
        .s0{--c:var(--s0)}.s1{--c:var(--s1)}.s2{--c:var(--s2)}.s3{--c:var(--s3)}.s4{--c:var(--s4)}.s5{--c:var(--s5)}
        .series polyline{fill:none;stroke:var(--c);stroke-width:2;stroke-linejoin:round}
        .series .pt{fill:var(--c);stroke:var(--bg);stroke-width:1.5}
        .series .pt:hover{stroke:var(--fg)}
        .gap{stroke:var(--fail);stroke-width:1.6}
        .legend{list-style:none;display:flex;flex-wrap:wrap;gap:4px 18px;padding:0;margin:6px 0 0;font-size:12px}
        .legend .key{display:inline-block;width:12px;height:12px;border-radius:2px;background:var(--c);margin-right:6px;vertical-align:-1px}
        .matrix .cell rect{fill:var(--accent)}
        .matrix .cell text{font-size:12px;font-variant-numeric:tabular-nums}
        .matrix .cell.strong text{fill:var(--bg)}
        .matrix-box{display:inline-block;vertical-align:top;margin-right:16px}
        .matrix-box p{margin:0}
        .lineage .node rect{fill:var(--panel);stroke:var(--muted);stroke-width:1.2}
        .lineage .node.run rect{fill:var(--bg);stroke:var(--accent);stroke-width:1.5}
        .lineage .node.root rect{stroke:var(--s2);stroke-width:2.5}
        .lineage .node .name{font-size:12px;font-weight:600}
        .lineage .node .sub{fill:var(--muted);font-size:10.5px;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
        .lineage .edges path{fill:none;stroke:var(--muted);stroke-width:1.4}
        .lineage marker path{fill:var(--muted);stroke:none}
        .badge{display:inline-block;padding:0 8px;border-radius:10px;font-size:12px;font-weight:600;border:1px solid currentColor;line-height:18px}
        .badge.pass{color:var(--pass)}.badge.warn{color:var(--warn)}.badge.fail{color:var(--fail)}.badge.unknown{color:var(--muted)}
        .badge.prod{color:var(--bg);background:var(--pass);border-color:var(--pass)}
        tr.prod td{background:color-mix(in srgb,var(--pass) 10%,transparent)}
        .warnings{border:1px solid var(--warn);border-left-width:4px;border-radius:6px;padding:2px 16px;margin:16px 0}
        .warnings h2{border:0;margin:10px 0 0;font-size:15px;color:var(--warn)}
        .problems{color:var(--warn);font-size:13px;padding-left:18px}
        details summary{cursor:pointer;color:var(--muted);margin-top:6px;font-size:13px}
        footer{color:var(--muted);font-size:12px;padding-top:16px;padding-bottom:24px;border-top:1px solid var(--border)}
        """
}
