import Foundation
import MLOpsBasics

/// Axis ticks at nice numbers (1, 2 or 5 times a power of ten) covering a range.
public struct NiceScale: Sendable, Equatable {
    public var lo: Double
    public var hi: Double
    public var step: Double
    public var ticks: [Double]

    /// About `count` ticks from a round number at or below `min` to one at or above `max`.
    public init(min: Double, max: Double, count: Int = 5) {
        var a = Swift.min(min, max), b = Swift.max(min, max)
        if !a.isFinite || !b.isFinite { a = 0; b = 1 }
        if a == b {
            let pad = a == 0 ? 1 : abs(a) * 0.1
            a -= pad
            b += pad
        }
        let range = NiceScale.nice(b - a, round: false)
        let step = NiceScale.nice(range / Double(Swift.max(count - 1, 1)), round: true)
        guard range.isFinite, step.isFinite, step > 0, (b - a) / step < 1000 else {
            // Ranges too wide or too narrow for doubles to step through: just the ends.
            lo = a; hi = b; self.step = b - a; ticks = [a, b]
            return
        }
        let first = (a / step).rounded(.down), last = (b / step).rounded(.up)
        lo = first * step
        hi = last * step
        self.step = step
        ticks = (0...Int(last - first)).map { i in
            let v = (first + Double(i)) * step
            return abs(v) < step * 1e-9 ? 0 : v
        }
    }

    static func nice(_ x: Double, round: Bool) -> Double {
        guard x > 0, x.isFinite else { return 1 }
        let e = (log10(x)).rounded(.down)
        let p = pow(10, e)
        let f = x / p
        let n: Double
        if round { n = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10 } else { n = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10 }
        return n * p
    }

    /// A tick's label with as many decimals as the step needs (`0.25`, `1.5e+06` for large magnitudes).
    public func label(_ v: Double) -> String {
        let mag = Swift.max(abs(lo), abs(hi))
        if mag >= 1e6 || (mag > 0 && mag < 1e-4) || step < 1e-6 { return String(format: "%.3g", v) }
        let decimals = Swift.max(0, Int((-log10(step)).rounded(.up)))
        return String(format: "%.\(Swift.min(decimals, 8))f", v)
    }
}

/// Inline SVG charts: lines and points over commits or over a numeric axis, and confusion matrices.
/// Colours come from the page's stylesheet (classes), so one drawing serves light and dark pages.
enum Charts {
    static let width = 640.0
    static let height = 260.0
    static let seriesColors = 6

    /// A point to draw, with the text shown on hover.
    struct Point {
        var x: Double
        var y: Double
        var title: String
    }

    struct Series {
        var label: String
        var points: [Point]
        var line: Bool
    }

    /// The x axis: numbers, or named positions 0, 1, 2, ...
    enum XAxis {
        case numeric
        case categories([String])
    }

    /// A line or scatter chart. `gaps` are x positions (categories) without a value, marked on the axis.
    static func xy(id: String, title: String, description: String, xLabel: String, yLabel: String,
                   x xAxis: XAxis, series: [Series], gaps: [(x: Double, title: String)] = []) -> Markup {
        let ys = series.flatMap { $0.points.map(\.y) }
        let yScale = NiceScale(min: ys.min() ?? 0, max: ys.max() ?? 1)
        let yLabels = yScale.ticks.map { yScale.label($0) }
        let left = 18 + 7 * Double(yLabels.map(\.count).max() ?? 1) + (yLabel.isEmpty ? 0 : 14)
        let top = 12.0, right = 18.0, bottom = 46.0
        let pw = width - left - right, ph = height - top - bottom

        var xTicks: [(Double, String)] = []
        let px: (Double) -> Double
        switch xAxis {
        case .categories(let names):
            let n = names.count
            px = { n <= 1 ? left + pw / 2 : left + $0 / Double(n - 1) * pw }
            // About eight labels, the newest always among them.
            let every = Swift.max(1, Int((Double(n) / 8).rounded(.up)))
            var shown = Array(stride(from: 0, to: n, by: every))
            if let last = shown.last, last != n - 1 {
                if n - 1 - last < every, shown.count > 1 { shown.removeLast() }
                shown.append(n - 1)
            }
            xTicks = shown.map { (Double($0), truncate(names[$0], 12)) }
        case .numeric:
            let xs = series.flatMap { $0.points.map(\.x) }
            let xScale = NiceScale(min: xs.min() ?? 0, max: xs.max() ?? 1, count: 7)
            px = { left + ($0 - xScale.lo) / (xScale.hi - xScale.lo) * pw }
            xTicks = xScale.ticks.map { ($0, xScale.label($0)) }
        }
        let py = { (v: Double) -> Double in top + ph - (v - yScale.lo) / (yScale.hi - yScale.lo) * ph }

        var grid: [Markup] = []
        for (i, t) in yScale.ticks.enumerated() {
            let y = py(t)
            grid.append("<line x1=\"\(left)\" y1=\"\(y)\" x2=\"\(left + pw)\" y2=\"\(y)\"/>")
            grid.append("<text class=\"tick\" x=\"\(left - 6)\" y=\"\(y + 4)\" text-anchor=\"end\">\(yLabels[i])</text>")
        }
        for (v, name) in xTicks {
            let x = px(v)
            grid.append("<line class=\"xt\" x1=\"\(x)\" y1=\"\(top + ph)\" x2=\"\(x)\" y2=\"\(top + ph + 4)\"/>")
            grid.append("<text class=\"tick\" x=\"\(x)\" y=\"\(top + ph + 17)\" text-anchor=\"middle\">\(name)</text>")
        }
        var body: [Markup] = []
        for (k, s) in series.enumerated() {
            var g: Markup = "<g class=\"series s\(k % seriesColors)\">"
            if s.line, s.points.count > 1 {
                let pts = s.points.map { Markup.coordinate(px($0.x)) + "," + Markup.coordinate(py($0.y)) }.joined(separator: " ")
                g += "<polyline points=\"\(pts)\"/>"
            }
            let r = s.points.count > 400 ? 2.0 : 3.5
            for p in s.points {
                g += "<circle class=\"pt\" cx=\"\(px(p.x))\" cy=\"\(py(p.y))\" r=\"\(r)\"><title>\(p.title)</title></circle>"
            }
            body.append(g + "</g>")
        }
        for gap in gaps {
            let x = px(gap.x), y = top + ph
            body.append("<path class=\"gap\" d=\"M\(x - 4) \(y - 4)l8 8m0-8l-8 8\"><title>\(gap.title)</title></path>")
        }
        let axisTitles: Markup =
            "<text class=\"label\" x=\"\(left + pw / 2)\" y=\"\(height - 6)\" text-anchor=\"middle\">\(xLabel)</text>"
            + (yLabel.isEmpty ? .empty : "<text class=\"label\" transform=\"translate(12 \(top + ph / 2)) rotate(-90)\" text-anchor=\"middle\">\(truncate(yLabel, 40))</text>")
        return """
            <svg class="chart" id="\(id)" viewBox="0 0 \(width) \(height)" width="\(width)" height="\(height)" role="img" aria-labelledby="\(id)-t \(id)-d">\
            <title id="\(id)-t">\(title)</title><desc id="\(id)-d">\(description)</desc>\
            <rect class="frame" x="\(left)" y="\(top)" width="\(pw)" height="\(ph)"/>\
            <g class="grid">\(grid)</g>\(axisTitles)\(body)</svg>
            """
    }

    /// A legend for several series, colour keyed like the chart.
    static func legend(_ labels: [String]) -> Markup {
        guard labels.count > 1 else { return .empty }
        let items = labels.enumerated().map { k, l -> Markup in "<li><span class=\"key s\(k % seriesColors)\"></span>\(l)</li>" }
        return "<ul class=\"legend\">\(items)</ul>"
    }

    /// A confusion matrix: one cell per (row, column) with its count (or the row's share when
    /// `normalized`), shaded by value.
    static func confusion(id: String, matrix m: ConfusionMatrix, xLabel: String, yLabel: String, normalized: Bool) -> Markup {
        let n = Swift.max(m.columns.count, 1)
        let cell = Swift.max(18, Swift.min(48, 480 / Double(n)))
        let rowLabelWidth = 8 + 7 * Double(Swift.min(m.rows.map(\.count).max() ?? 1, 18))
        let longColumn = m.columns.contains { Double($0.count) * 7 > cell }
        let colLabelHeight = longColumn ? 7 * Double(Swift.min(m.columns.map(\.count).max() ?? 1, 18)) * 0.7 + 10 : 16
        let left = rowLabelWidth + 24, top = 10.0
        let w = left + cell * Double(m.columns.count) + 10
        let h = top + cell * Double(m.rows.count) + colLabelHeight + 28
        let rowTotals = m.counts.map { $0.reduce(0, +) }
        let maxCount = m.counts.flatMap { $0 }.max() ?? 0
        var cells: [Markup] = []
        for (r, row) in m.rows.enumerated() {
            let y = top + cell * Double(r)
            cells.append("<text class=\"tick\" x=\"\(left - 6)\" y=\"\(y + cell / 2 + 4)\" text-anchor=\"end\">\(truncate(row, 18))</text>")
            for (c, col) in m.columns.enumerated() {
                let count = m.counts[r][c]
                let share = rowTotals[r] > 0 ? Double(count) / Double(rowTotals[r]) : 0
                let strength = normalized ? share : (maxCount > 0 ? Double(count) / Double(maxCount) : 0)
                let text = normalized ? String(format: "%.2f", share) : String(count)
                let x = left + cell * Double(c)
                let hover = "\(xLabel) \(col), \(yLabel) \(row): \(count)" + (rowTotals[r] > 0 ? String(format: " (%.1f%% of the row)", share * 100) : "")
                cells.append("""
                    <g class="cell\(strength > 0.55 ? " strong" : "")"><title>\(hover)</title>\
                    <rect x="\(x + 1)" y="\(y + 1)" width="\(cell - 2)" height="\(cell - 2)" fill-opacity="\(Markup(raw: String(format: "%.3f", 0.06 + 0.94 * strength)))"/>\
                    \(cell >= 26 ? "<text x=\"\(x + cell / 2)\" y=\"\(y + cell / 2 + 4)\" text-anchor=\"middle\">\(text)</text>" : Markup.empty)</g>
                    """)
            }
        }
        let baseY = top + cell * Double(m.rows.count)
        for (c, col) in m.columns.enumerated() {
            let x = left + cell * Double(c) + cell / 2
            if longColumn {
                cells.append("<text class=\"tick\" transform=\"translate(\(x + 4) \(baseY + 10)) rotate(-40)\" text-anchor=\"end\">\(truncate(col, 18))</text>")
            } else {
                cells.append("<text class=\"tick\" x=\"\(x)\" y=\"\(baseY + 14)\" text-anchor=\"middle\">\(col)</text>")
            }
        }
        let labels: Markup = """
            <text class="label" x="\(left + cell * Double(m.columns.count) / 2)" y="\(h - 8)" text-anchor="middle">\(xLabel)</text>\
            <text class="label" transform="translate(12 \(top + cell * Double(m.rows.count) / 2)) rotate(-90)" text-anchor="middle">\(truncate(yLabel, 30))</text>
            """
        return """
            <svg class="matrix" id="\(id)" viewBox="0 0 \(w) \(h)" width="\(w)" height="\(h)" role="img" aria-labelledby="\(id)-t">\
            <title id="\(id)-t">\(m.label): \(yLabel) against \(xLabel), \(rowTotals.reduce(0, +)) pairs</title>\(cells)\(labels)</svg>
            """
    }

    /// At most `n` characters, with an ellipsis when cut (the full text is in a `<title>` nearby).
    static func truncate(_ s: String, _ n: Int) -> String {
        s.count <= n ? s : String(s.prefix(n - 1)) + "…"
    }
}
