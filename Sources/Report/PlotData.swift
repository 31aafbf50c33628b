import Foundation
import Lineage
import MLOpsBasics

/// Plots files as DVC reads them: CSV or TSV with a header row, or JSON/YAML holding a list of objects
/// (at the top, or as the value of a key: `{"train": [{"step": 0, "loss": 0.9}, ...]}`). Parsing is pure,
/// and a file that cannot be read becomes a problem shown with the plot, never a failure.
public enum PlotData {
    /// Fields in file order (CSV, TSV) or sorted (JSON, YAML), and the rows.
    public struct Table: Sendable, Equatable {
        public var fields: [String]
        public var rows: [[String: JSON]]
        /// Fields in the file's order (CSV, TSV), rather than sorted (JSON, YAML).
        public var ordered: Bool
    }

    public struct Problem: Error, CustomStringConvertible {
        public var description: String
        init(_ d: String) { description = d }
    }

    /// Lines drawn per series at most: every k-th point is kept beyond that.
    static let maxPoints = 2000
    /// Rows read at most.
    static let maxRows = 1_000_000
    /// Classes of a confusion matrix drawn at most.
    static let maxClasses = 60

    public static func parse(_ bytes: [UInt8], path: String) throws -> Table {
        guard let text = String(validating: bytes, as: UTF8.self) else { throw Problem("not UTF-8 text") }
        let lower = path.lowercased()
        if lower.hasSuffix(".csv") { return try delimited(text, separator: ",") }
        if lower.hasSuffix(".tsv") { return try delimited(text, separator: "\t") }
        if lower.hasSuffix(".json") || lower.hasSuffix(".yaml") || lower.hasSuffix(".yml") {
            let doc: JSON
            do { doc = try Values.parseDocument(text, path: path) } catch {
                throw Problem(lower.hasSuffix(".json") ? "not valid JSON" : "not valid YAML")
            }
            return try table(doc, path: path)
        }
        throw Problem("unsupported file type (plots files are .csv, .tsv, .json, .yaml or .yml)")
    }

    /// RFC 4180 fields: quoted fields may hold the separator, newlines and doubled quotes.
    static func delimited(_ text: String, separator: Unicode.Scalar) throws -> Table {
        var records: [[String]] = []
        var field = "", record: [String] = []
        var quoted = false, atStart = true, wasQuoted = false
        var it = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        func endField() { record.append(wasQuoted ? field : field.trimmingCharacters(in: .whitespaces)); field = ""; atStart = true; wasQuoted = false }
        func endRecord() {
            endField()
            if !(record.count == 1 && record[0].isEmpty) { records.append(record) }
            record = []
        }
        while let u = pending ?? it.next() {
            pending = nil
            if quoted {
                if u == "\"" {
                    if let next = it.next() {
                        if next == "\"" { field.unicodeScalars.append("\"") } else { quoted = false; pending = next }
                    } else { quoted = false }
                } else {
                    field.unicodeScalars.append(u)
                }
                continue
            }
            switch u {
            case "\"" where atStart:
                field = ""
                quoted = true
                wasQuoted = true
                atStart = false
            case separator:
                endField()
            case "\n":
                endRecord()
                if records.count > maxRows { throw Problem("more than \(maxRows) rows") }
            case "\r":
                continue
            default:
                if u != " " { atStart = false }
                field.unicodeScalars.append(u)
            }
        }
        if quoted { throw Problem("a quoted field is not closed") }
        if !field.isEmpty || !record.isEmpty { endRecord() }
        guard let header = records.first else { throw Problem("empty file") }
        var rows: [[String: JSON]] = []
        for (i, r) in records.dropFirst().enumerated() {
            guard r.count == header.count else {
                throw Problem("line \(i + 2) has \(r.count) fields, the header \(header.count)")
            }
            var row: [String: JSON] = [:]
            for (k, v) in zip(header, r) { row[k] = cell(v) }
            rows.append(row)
        }
        return Table(fields: header, rows: rows, ordered: true)
    }

    /// A CSV cell: a number when it reads as one, else text.
    static func cell(_ s: String) -> JSON {
        if let i = Int64(s) { return .int(i) }
        if let d = Double(s), !s.isEmpty, s.first != "+" || s.count > 1 { return .double(d) }
        return .string(s)
    }

    /// The rows of a JSON or YAML document: a list of objects, or the first (by name) list of objects
    /// among the values of an object.
    static func table(_ doc: JSON, path: String) throws -> Table {
        var list: [JSON]?
        if let a = doc.array {
            list = a
        } else if let o = doc.object {
            list = o.keys.sorted().lazy.compactMap { o[$0]?.array }.first { $0.first?.object != nil }
        }
        guard let list, !list.isEmpty else { throw Problem("no list of points (expected [{\"x\": ..., \"y\": ...}, ...])") }
        guard list.count <= maxRows else { throw Problem("more than \(maxRows) points") }
        var fields = Set<String>()
        var rows: [[String: JSON]] = []
        for (i, item) in list.enumerated() {
            guard let o = item.object else { throw Problem("point \(i + 1) is not an object") }
            var row: [String: JSON] = [:]
            for (k, v) in o where v.object == nil && v.array == nil {
                row[k] = v
                fields.insert(k)
            }
            rows.append(row)
        }
        return Table(fields: fields.sorted(), rows: rows, ordered: false)
    }

    // MARK: Figures

    /// One revision's copy of the plots file: its label and its table, or why there is none.
    public struct Revision: Sendable {
        public var label: String
        public var table: Result<Table, Problem>?

        public init(label: String, table: Result<Table, Problem>?) {
            self.label = label
            self.table = table
        }
    }

    /// The figure of one `plots` entry over the given revisions (oldest first).
    public static func figure(stage: String, spec: PlotSpec, revisions: [Revision]) -> PlotFigure {
        var problems: [String] = []
        var readable: [(label: String, table: Table)] = []
        for r in revisions {
            switch r.table {
            case .none: continue
            case .success(let t): readable.append((r.label, t))
            case .failure(let p): problems.append("\(spec.path) at \(r.label): \(p.description)")
            }
        }
        let title = spec.title ?? spec.path
        if spec.template.isConfusion {
            let xf = spec.x ?? "actual", yf = spec.y.first ?? "predicted"
            var matrices: [ConfusionMatrix] = []
            for (label, t) in readable {
                do { matrices.append(try confusion(t, x: xf, y: yf, label: label)) } catch {
                    problems.append("\(spec.path) at \(label): \(error)")
                }
            }
            return PlotFigure(stage: stage, path: spec.path, title: title, xLabel: spec.xLabel ?? xf, yLabel: spec.yLabel ?? yf,
                              body: .confusion(normalized: spec.template == .confusionNormalized, matrices: matrices), problems: problems)
        }
        // x is a number axis when every x value is a number; otherwise values are named positions.
        let numericX = spec.x.map { x in readable.allSatisfy { $0.table.rows.allSatisfy { $0[x]?.double?.isFinite ?? false } } } ?? true
        var categories: [String] = []
        var categoryIndex: [String: Int] = [:]
        var series: [PlotSeries] = []
        var yNames: [String] = []
        for (label, t) in readable {
            do {
                if let x = spec.x, !t.fields.contains(x) {
                    throw Problem("no field '\(x)' (fields: \(t.fields.joined(separator: ", ")))")
                }
                let ys = try yFields(spec, t)
                for y in ys where !yNames.contains(y) { yNames.append(y) }
                for y in ys {
                    var pts: [(x: Double, y: Double)] = []
                    var skipped = 0
                    for (i, row) in t.rows.enumerated() {
                        guard let yv = row[y]?.double, yv.isFinite else { skipped += 1; continue }
                        var xv = Double(i)
                        if let x = spec.x {
                            if numericX {
                                xv = row[x]?.double ?? 0
                            } else {
                                let name = display(row[x])
                                if categoryIndex[name] == nil { categoryIndex[name] = categories.count; categories.append(name) }
                                xv = Double(categoryIndex[name]!)
                            }
                        }
                        pts.append((xv, yv))
                    }
                    if skipped > 0 { problems.append("\(spec.path) at \(label): \(skipped) of \(t.rows.count) rows have no number in '\(y)'") }
                    let (kept, dropped) = thin(pts)
                    series.append(PlotSeries(label: ys.count > 1 ? "\(label): \(y)" : label, points: kept, dropped: dropped))
                }
            } catch {
                problems.append("\(spec.path) at \(label): \(error)")
            }
        }
        if !numericX { series = series.map { var s = $0; s.xCategories = categories; return s } }
        return PlotFigure(stage: stage, path: spec.path, title: title, xLabel: spec.xLabel ?? spec.x ?? "step",
                          yLabel: spec.yLabel ?? yNames.joined(separator: ", "),
                          body: .xy(scatter: spec.template == .scatter, series: series), problems: problems)
    }

    static func yFields(_ spec: PlotSpec, _ t: Table) throws -> [String] {
        if !spec.y.isEmpty {
            for y in spec.y where !t.fields.contains(y) {
                throw Problem("no field '\(y)' (fields: \(t.fields.joined(separator: ", ")))")
            }
            return spec.y
        }
        // DVC draws the last column of a CSV or TSV file; JSON objects have no order to go by.
        let candidates = t.fields.filter { $0 != spec.x }
        if let last = candidates.last, candidates.count == 1 || t.ordered { return [last] }
        throw Problem("name the field to draw with `y:` in mlops.yaml (fields: \(t.fields.joined(separator: ", ")))")
    }

    /// Every k-th point, the last always kept, so that no series has more than `maxPoints`.
    static func thin(_ pts: [(x: Double, y: Double)]) -> ([(x: Double, y: Double)], Int) {
        guard pts.count > maxPoints else { return (pts, 0) }
        let k = Int((Double(pts.count) / Double(maxPoints)).rounded(.up))
        var out = stride(from: 0, to: pts.count, by: k).map { pts[$0] }
        if (pts.count - 1) % k != 0 { out.append(pts[pts.count - 1]) }
        return (out, pts.count - out.count)
    }

    static func confusion(_ t: Table, x: String, y: String, label: String) throws -> ConfusionMatrix {
        for f in [x, y] where !t.fields.contains(f) {
            throw Problem("no field '\(f)' (fields: \(t.fields.joined(separator: ", "))); name the label fields with `x:` and `y:`")
        }
        var pairs: [String: Int] = [:]
        var classes = Set<String>()
        for row in t.rows {
            let a = display(row[x]), b = display(row[y])
            classes.insert(a)
            classes.insert(b)
            pairs[a + "\u{0}" + b, default: 0] += 1
        }
        let sorted = classes.sorted { l, r in
            if let a = Double(l), let b = Double(r), a != b { return a < b }
            return l < r
        }
        if sorted.count > maxClasses {
            throw Problem("\(sorted.count) classes; a confusion matrix is drawn for at most \(maxClasses)")
        }
        let counts = sorted.map { r in sorted.map { c in pairs[c + "\u{0}" + r] ?? 0 } }
        return ConfusionMatrix(label: label, columns: sorted, rows: sorted, counts: counts)
    }

    /// A value as a label: text as is, numbers in their shortest form.
    static func display(_ v: JSON?) -> String {
        switch v {
        case .none, .null?: return ""
        case .string(let s)?: return s
        case .double(let d)?: return ReportFormat.number(d)
        case let other?: return other.canonical
        }
    }
}
