// Yams' own copy of libyaml, reached through the Yams product: the budget walks the very events that
// Yams composes (Yams exposes no event API).
import CYaml
import Foundation
import MLOpsBasics
import Yams

/// YAML and JSON documents as `JSON` values: params files, metrics files and `mlops.yaml` itself.
public enum Values {
    /// Parses a YAML document into a node, turning Yams' multi-line errors into one line naming `path`.
    /// The document must keep within `DocumentLimits` (see `checkBudget`).
    static func composeYAML(_ text: String, path: String, fix: String) throws -> Node? {
        try checkSize(text, path: path)
        try checkBudget(text, path: path)
        do {
            return try Yams.compose(yaml: text, .default, .default, .utf8)
        } catch let e as YamlError {
            throw MLOpsError.malformed(path, "not valid YAML (\(describe(e)))", fix: fix)
        }
    }

    static func checkSize(_ text: String, path: String) throws {
        guard text.utf8.count <= DocumentLimits.maxBytes else {
            throw MLOpsError.malformed(path, "is larger than \(DocumentLimits.describe(bytes: DocumentLimits.maxBytes)), the limit for YAML and JSON documents",
                                       fix: "keep params, metrics and \(Pipeline.fileName) small; store large data with `git mlops add`")
        }
    }

    /// Reads a params or metrics file (or `mlops.yaml`) of the working tree at `root`: a regular file of
    /// at most `DocumentLimits.maxBytes`, reached without following a symlink (its values go into run
    /// records, which are pushed). `path` is repository-relative.
    public static func readDocument(root: String, path: String) throws -> String {
        String(decoding: try FS.readBounded(root: root, path, fix: "keep params, metrics and \(Pipeline.fileName) small regular files in the repository, not symlinks"), as: UTF8.self)
    }

    /// Refuses, before Yams composes it, a document whose aliases expand past `DocumentLimits.maxNodes`
    /// nodes or `maxExpandedBytes` of scalar text, that nests deeper than `maxDepth`, or that has a list
    /// or mapping as a mapping key: Yams hashes every key when it builds a mapping, so an alias-heavy
    /// key costs its whole expansion, and it composes by recursion. One pass over libyaml's events,
    /// counting each alias as the size of its anchor, so the walk costs the length of the text, not of
    /// the expansion. Syntax errors are left to Yams, which reports them with its own messages.
    static func checkBudget(_ text: String, path: String) throws {
        guard !text.isEmpty else { return }
        var walk = BudgetWalk()
        // libyaml only fails to start without memory: then the document is not read at all.
        var problem: (line: Int, what: String, fix: String)? = (1, "could not be checked (out of memory)", "try again")
        let bytes = Array(text.utf8)
        bytes.withUnsafeBufferPointer { buf in
            var parser = yaml_parser_t()
            guard yaml_parser_initialize(&parser) == 1 else { return }
            problem = nil
            defer { yaml_parser_delete(&parser) }
            yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
            yaml_parser_set_input_string(&parser, buf.baseAddress, buf.count)
            var event = yaml_event_t()
            while problem == nil, yaml_parser_parse(&parser, &event) == 1 {
                defer { yaml_event_delete(&event) }
                if event.type == YAML_STREAM_END_EVENT { break }
                problem = walk.step(event).map { (Int(event.start_mark.line) + 1, $0.what, $0.fix) }
            }
        }
        if let problem {
            throw MLOpsError.malformed(path, "line \(problem.line): \(problem.what)", fix: problem.fix)
        }
    }

    /// The state of `checkBudget`: open collections and the expanded size of each anchor.
    struct BudgetWalk {
        /// Expanded nodes, bytes of scalar text, and levels of lists and mappings (0 for a scalar).
        struct Size {
            var nodes = 0, bytes = 0, height = 0
            static func += (a: inout Size, b: Size) { a.nodes += b.nodes; a.bytes += b.bytes }
        }
        struct Open {
            var anchor: String?
            var isMapping: Bool
            /// Expanded size so far, the collection itself included.
            var size = Size(nodes: 1, height: 1)
            var children = 0
        }
        var open: [Open] = []
        var anchors: [String: (size: Size, isCollection: Bool)] = [:]
        var total = Size()

        static func name(_ p: UnsafeMutablePointer<yaml_char_t>?) -> String? {
            p.map { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
        }

        /// Takes one event; returns what is wrong, if anything.
        mutating func step(_ e: yaml_event_t) -> (what: String, fix: String)? {
            let size: Size, anchor: String?, isCollection: Bool
            switch e.type {
            case YAML_SCALAR_EVENT:
                (size, anchor, isCollection) = (Size(nodes: 1, bytes: e.data.scalar.length), BudgetWalk.name(e.data.scalar.anchor), false)
            case YAML_ALIAS_EVENT:
                let target = BudgetWalk.name(e.data.alias.anchor).flatMap { anchors[$0] }
                (size, anchor, isCollection) = (target?.size ?? Size(nodes: 1), nil, target?.isCollection ?? false)
            case YAML_SEQUENCE_START_EVENT:
                (size, anchor, isCollection) = (Size(nodes: 1, height: 1), BudgetWalk.name(e.data.sequence_start.anchor), true)
            case YAML_MAPPING_START_EVENT:
                (size, anchor, isCollection) = (Size(nodes: 1, height: 1), BudgetWalk.name(e.data.mapping_start.anchor), true)
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                guard let done = open.popLast() else { return nil }
                if let a = done.anchor { anchors[a] = (done.size, true) }
                add(done.size)
                return nil
            default:
                return nil
            }
            if let parent = open.last, parent.isMapping, parent.children % 2 == 0, isCollection {
                return ("a mapping key is a list or a mapping", "write keys as plain names")
            }
            // Each term is at most the total so far (an anchor's size was counted when it was read),
            // and the total stops at the limits: no overflow.
            total += size
            guard total.nodes <= DocumentLimits.maxNodes else {
                return ("more than \(DocumentLimits.maxNodes) values once aliases are expanded", "use fewer aliases (`*name`) or fewer values")
            }
            guard total.bytes <= DocumentLimits.maxExpandedBytes else {
                return ("more than \(DocumentLimits.describe(bytes: DocumentLimits.maxExpandedBytes)) of text once aliases are expanded",
                        "use fewer aliases (`*name`) or shorter values")
            }
            if !open.isEmpty { open[open.count - 1].children += 1 }
            // An alias nests its anchor's levels where it stands.
            guard open.count + size.height <= DocumentLimits.maxDepth else {
                return ("nested more than \(DocumentLimits.maxDepth) levels deep\(e.type == YAML_ALIAS_EVENT ? " once aliases are expanded" : "")",
                        "flatten the document")
            }
            if isCollection && e.type != YAML_ALIAS_EVENT {
                open.append(Open(anchor: anchor, isMapping: e.type == YAML_MAPPING_START_EVENT))
            } else {
                add(size)
                if let anchor { anchors[anchor] = (size, false) }
            }
            return nil
        }

        /// Counts a finished child into the collection that holds it.
        mutating func add(_ child: Size) {
            guard !open.isEmpty else { return }
            open[open.count - 1].size += child
            open[open.count - 1].size.height = max(open[open.count - 1].size.height, child.height + 1)
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
            case .int: return yamlInt(s.string).map(JSON.int) ?? .string(s.string)
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

    /// A YAML 1.1 int as Yams reads one (`0x1f`, `0b101`, `0o17`, `017`, `1_000`, base 60 `1:30`), but
    /// nil past Int64 where Yams' base-60 conversion traps (`999999999999999999:00`).
    static func yamlInt(_ text: String) -> Int64? {
        let t = text.replacingOccurrences(of: "_", with: "")
        if t == "0" { return 0 }
        let negative = t.hasPrefix("-")
        let sign = negative ? "-" : ""
        let body = t.dropFirst(negative || t.hasPrefix("+") ? 1 : 0)
        func unsigned(_ digits: Substring) -> Bool { digits.first.map { $0 != "+" && $0 != "-" } ?? false }
        for (prefix, radix) in [("0x", 16), ("0b", 2), ("0o", 8), ("0", 8)] where body.hasPrefix(prefix) {
            let digits = body.dropFirst(prefix.count)
            return unsigned(digits) ? Int64(sign + digits, radix: radix) : nil
        }
        if body.contains(":") {
            var v: Int64 = 0
            for part in body.split(separator: ":", omittingEmptySubsequences: false) {
                guard unsigned(part), let d = Int64(part) else { return nil }
                let (shifted, o1) = v.multipliedReportingOverflow(by: 60)
                let (sum, o2) = shifted.addingReportingOverflow(d)
                guard !o1, !o2 else { return nil }
                v = sum
            }
            return negative ? -v : v
        }
        return Int64(t)
    }

    /// Reads a params or metrics document: JSON when the name ends in `.json`, YAML otherwise
    /// (YAML also reads JSON). An empty file is an empty object.
    public static func parseDocument(_ text: String, path: String) throws -> JSON {
        let fix = "fix the syntax of \(path)"
        if path.hasSuffix(".json") {
            try checkSize(text, path: path)
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
