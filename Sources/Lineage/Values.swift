import Foundation
import MLOpsBasics
import Yams

/// YAML and JSON documents as `JSON` values: params files, metrics files and `mlops.yaml` itself.
public enum Values {
    /// Parses a YAML document into a node, turning Yams' multi-line errors into one line naming `path`.
    static func composeYAML(_ text: String, path: String, fix: String) throws -> Node? {
        do {
            return try Yams.compose(yaml: text)
        } catch let e as YamlError {
            throw MLOpsError.malformed(path, "not valid YAML (\(describe(e)))", fix: fix)
        }
    }

    /// One line for a Yams error: `line 3, column 5: mapping values are not allowed in this context`.
    static func describe(_ e: YamlError) -> String {
        switch e {
        case let .scanner(_, problem, mark, _), let .parser(_, problem, mark, _), let .composer(_, problem, mark, _):
            return "line \(mark.line), column \(mark.column): \(problem)"
        case let .duplicatedKeysInMapping(duplicates, context):
            return "line \(context.mark.line): duplicate key \(duplicates.sorted().map { "'\($0)'" }.joined(separator: ", "))"
        case let .reader(problem, _, _, _):
            return problem
        default:
            return String(describing: e).split(separator: "\n").first.map(String.init) ?? "unreadable"
        }
    }

    /// A YAML node as JSON: plain scalars resolved by the YAML 1.1 core rules Yams uses (ints, floats,
    /// booleans, null), quoted scalars kept as strings, mappings as objects.
    static func json(_ node: Node) -> JSON {
        switch node {
        case .scalar(let s):
            switch node.tagName {
            case .int: return Int64.construct(from: s).map(JSON.int) ?? .string(s.string)
            case .float: return Double.construct(from: s).map { $0.isFinite ? JSON.double($0) : .string(s.string) } ?? .string(s.string)
            case .bool: return Bool.construct(from: s).map(JSON.bool) ?? .string(s.string)
            case .null: return .null
            default: return .string(s.string)
            }
        case .mapping(let m):
            var o: [String: JSON] = [:]
            for (k, v) in m { o[k.string ?? String(describing: k)] = json(v) }
            return .object(o)
        case .sequence(let seq):
            return .array(seq.map { json($0) })
        case .alias:
            return .null
        }
    }

    /// Reads a params or metrics document: JSON when the name ends in `.json`, YAML otherwise
    /// (YAML also reads JSON). An empty file is an empty object.
    public static func parseDocument(_ text: String, path: String) throws -> JSON {
        let fix = "fix the syntax of \(path)"
        if path.hasSuffix(".json") {
            do { return try JSON.parse(text) } catch {
                throw MLOpsError.malformed(path, "not valid JSON (\(error))", fix: fix)
            }
        }
        guard let node = try composeYAML(text, path: path, fix: fix) else { return .object([:]) }
        return json(node)
    }

    /// The value at a dotted key path (`train.lr`, `layers.0.units`), nil when absent.
    public static func lookup(_ doc: JSON, _ keyPath: String) -> JSON? {
        if keyPath.isEmpty { return doc }
        var cur = doc
        for part in keyPath.split(separator: ".", omittingEmptySubsequences: false).map(String.init) {
            switch cur {
            case .object(let o):
                guard let next = o[part] else { return nil }
                cur = next
            case .array(let a):
                guard let i = Int(part), a.indices.contains(i) else { return nil }
                cur = a[i]
            default: return nil
            }
        }
        return cur
    }

    /// `doc` with the value at `keyPath` replaced (objects created on the way as needed).
    public static func setting(_ doc: JSON, _ keyPath: String, to value: JSON) -> JSON {
        if keyPath.isEmpty { return value }
        let parts = keyPath.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        func set(_ node: JSON, _ i: Int) -> JSON {
            guard i < parts.count else { return value }
            switch node {
            case .array(var a):
                if let k = Int(parts[i]), a.indices.contains(k) { a[k] = set(a[k], i + 1); return .array(a) }
                return .array(a)
            case .object(var o):
                o[parts[i]] = set(o[parts[i]] ?? .object([:]), i + 1)
                return .object(o)
            default:
                return .object([parts[i]: set(.object([:]), i + 1)])
            }
        }
        return set(doc, 0)
    }

    /// Scalar leaves of a value by dotted path, sorted by path; a scalar at the top is `prefix` itself.
    public static func flatten(_ value: JSON, prefix: String = "") -> [(key: String, value: JSON)] {
        func join(_ a: String, _ b: String) -> String { a.isEmpty ? b : a + "." + b }
        switch value {
        case .object(let o):
            return o.keys.sorted().flatMap { flatten(o[$0]!, prefix: join(prefix, $0)) }
        case .array(let a) where !a.isEmpty && a.contains(where: { $0.object != nil || $0.array != nil }):
            return a.indices.flatMap { flatten(a[$0], prefix: join(prefix, String($0))) }
        default:
            return [(prefix, value)]
        }
    }

    /// A value as people read it in tables: strings bare, numbers in their shortest form.
    public static func display(_ v: JSON?) -> String {
        guard let v else { return "-" }
        switch v {
        case .string(let s): return s
        case .double(let d): return formatNumber(d)
        default: return v.canonical
        }
    }

    /// Shortest round-trip form, without a trailing `.0` for whole numbers.
    public static func formatNumber(_ d: Double) -> String {
        if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
        return "\(d)"
    }

    /// A difference between two numbers as people read it: `+0.02`, `-3`, rounded to 6 significant digits
    /// so that float noise (0.020000000000000018) does not show.
    public static func formatDelta(_ d: Double) -> String {
        let s = String(format: "%.6g", d)
        return d > 0 ? "+" + s : s
    }
}

extension Node {
    /// The resolved tag's name (`tag:yaml.org,2002:int` ...), for comparing with `Tag.Name` constants.
    var tagName: Tag.Name { Tag.Name(rawValue: tag.rawValue) }
}
