import Lineage
import MLOpsBasics

/// A Frictionless Table Schema (https://specs.frictionlessdata.io/table-schema/) read as column rules:
/// `fields[].name` and `type`, and the constraints `required`, `unique`, `minimum`, `maximum` and
/// `enum`; `primaryKey` makes its field required and unique. What a profile cannot check (string
/// lengths, patterns, a composite key, types such as `geopoint`) is listed, reported as not run.
struct TableSchema {
    var rules: [ColumnRule]
    /// Field names in order: the data's columns must be exactly these.
    var fields: [String]
    var unsupported: [String]

    static let types = ["integer": "int", "number": "number", "string": "string", "boolean": "bool", "datetime": "datetime", "date": "datetime"]

    static func parse(_ doc: JSON, path: String) throws -> TableSchema {
        func bad(_ what: String) -> MLOpsError {
            .malformed(path, "not a Table Schema: \(what)", fix: "write `{\"fields\": [{\"name\": \"age\", \"type\": \"integer\", \"constraints\": {\"required\": true}}]}`")
        }
        guard let fields = doc["fields"]?.array, !fields.isEmpty else { throw bad("no `fields` list") }
        guard fields.count <= 4096 else { throw bad("more than 4096 fields") }
        var out = TableSchema(rules: [], fields: [], unsupported: [])
        for (i, f) in fields.enumerated() {
            guard let name = f["name"]?.string, !name.isEmpty else { throw bad("field \(i + 1) has no `name`") }
            guard !out.fields.contains(name) else { throw bad("field \"\(name)\" appears twice") }
            out.fields.append(name)
            var rule = ColumnRule(name: name, line: 0)
            let type = f["type"]?.string ?? "string"
            if let t = types[type] { rule.type = t } else if type != "any" { out.unsupported.append("\(name): type \(type)") }
            if let c = f["constraints"]?.object {
                for (k, v) in c.sorted(by: { $0.key < $1.key }) {
                    switch k {
                    case "required": rule.notNull = v.bool ?? false
                    case "unique": rule.unique = v.bool ?? false
                    case "minimum", "maximum":
                        guard let d = v.double, v.bool == nil else { out.unsupported.append("\(name): \(k) \(Values.display(v))"); continue }
                        if k == "minimum" { rule.min = d } else { rule.max = d }
                    case "enum":
                        guard let a = v.array, a.allSatisfy({ $0.array == nil && $0.object == nil && $0 != .null }) else { throw bad("`enum` of \"\(name)\" is not a list of values") }
                        rule.allowed = a.map { Values.display($0) }
                    default: out.unsupported.append("\(name): \(k)")
                    }
                }
            }
            out.rules.append(rule)
        }
        var keys: [String] = []
        if let k = doc["primaryKey"]?.string { keys = [k] } else if let a = doc["primaryKey"]?.array { keys = a.compactMap(\.string) }
        if keys.count == 1, let i = out.rules.firstIndex(where: { $0.name == keys[0] }) {
            out.rules[i].notNull = true
            out.rules[i].unique = true
        } else if keys.count > 1 {
            out.unsupported.append("primaryKey \(keys.joined(separator: "+"))")
        }
        return out
    }
}
