import Foundation
import MLOpsBasics

/// Profiles of the tables named on a command line: files, and the tables inside directories.
public struct ProfileReport {
    public let files: [(path: String, profile: Profile)]
    /// The merge of all files, when there is more than one.
    public let merged: Profile?

    /// Profiles every path: a file must be a table; a directory contributes every table under it
    /// (sorted, hidden entries and symlinks skipped). One bad file fails the whole report.
    public static func make(paths: [String], options: ProfileOptions = ProfileOptions()) throws -> ProfileReport {
        var files: [String] = []
        for p in paths {
            guard let st = FS.stat(p) else { throw MLOpsError("\(p): no such file or directory", hint: "check the path") }
            if st.isDirectory {
                let found = try tables(under: p)
                guard !found.isEmpty else {
                    throw MLOpsError.malformed(p, "no tables to profile in this directory", fix: "profile reads \(Profiler.supported)")
                }
                files += found
            } else {
                files.append(p)
            }
        }
        let profiles = try files.map { (path: $0, profile: try Profiler.profile(file: $0, options: options)) }
        return ProfileReport(files: profiles, merged: profiles.count > 1 ? Profile.merge(profiles.map(\.profile)) : nil)
    }

    static func tables(under dir: String) throws -> [String] {
        var out: [String] = []
        for e in try FS.listDirectory(dir).sorted(by: { $0.name < $1.name }) where !e.name.hasPrefix(".") {
            let path = joinPath(dir, e.name)
            switch e.kind {
            case .directory: out += try tables(under: path)
            case .file where Profiler.detect(path) != nil: out.append(path)
            default: break
            }
        }
        return out
    }

    public var json: JSON {
        var o: [String: JSON] = ["files": .object(Dictionary(files.map { ($0.path, $0.profile.json) }, uniquingKeysWith: { a, _ in a }))]
        if let merged { o["merged"] = merged.json }
        return .object(o)
    }

    /// One table per file (and one for the merge), a row per column.
    public var text: String {
        var out = ""
        for (path, p) in files { out += ProfileReport.table(title: path, p) }
        if let merged { out += ProfileReport.table(title: "merged (\(merged.files) files)", merged) }
        return out
    }

    static func table(title: String, _ p: Profile) -> String {
        var out = "\(title): \(p.rows) row\(p.rows == 1 ? "" : "s"), \(p.columns.count) column\(p.columns.count == 1 ? "" : "s"), \(formatBytes(p.bytes)) (\(p.format))\n"
        var rows = [["column", "type", "nulls", "distinct", "min", "max", "mean", "std", "median", "top"]]
        for c in p.columns {
            let d = c.distinct
            let number: (Double?) -> String = { v in
                guard let v else { return "" }
                return c.type == .datetime ? formatDatetime(v) : formatNumber(v)
            }
            let isInt = c.type == .int
            var top = ""
            if let first = c.categories.items.first, !c.isNumeric || c.type == .bool {
                top = "\(first.label) (\(first.count))"
            }
            rows.append([
                c.name, c.type.rawValue + (c.nulls > 0 ? "?" : ""), String(c.nulls),
                (d.exact ? "" : "~") + String(Int64(d.value)),
                isInt ? String(c.intMin) : (c.type == .bool ? "" : number(c.min)),
                isInt ? String(c.intMax) : (c.type == .bool ? "" : number(c.max)),
                number(c.mean), c.type == .datetime ? "" : number(c.std),
                c.type == .bool ? "" : number(c.quantile(0.5)), top,
            ])
        }
        let widths = (0..<rows[0].count).map { i in rows.map { $0[i].count }.max() ?? 0 }
        for r in rows {
            var line = ""
            for (i, cell) in r.enumerated() {
                line += i == r.count - 1 ? cell : cell + String(repeating: " ", count: widths[i] - cell.count + 2)
            }
            while line.hasSuffix(" ") { line.removeLast() }
            out += line + "\n"
        }
        return out
    }
}

/// Six significant digits, without exponent for everyday magnitudes.
func formatNumber(_ v: Double) -> String {
    if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
    return String(format: "%.6g", v)
}
