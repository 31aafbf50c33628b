import MLOpsBasics

// The JSON form of the results Lineage gives the commands (`--json` prints it as it is).

extension Journal.Entry: JSONRepresentable {}
extension ReproduceResult: JSONRepresentable {}
extension LineageGraph: JSONRepresentable {}

/// Params or metrics compared between two sides (`params diff`, `metrics diff`).
public struct Comparison: JSONRepresentable, Sendable {
    public enum Kind: String, Sendable { case params, metrics }
    public var kind: Kind
    public var rows: [Compare.Row]
    public var from: String
    public var to: String

    public init(_ kind: Kind, rows: [Compare.Row], from: String, to: String) {
        self.kind = kind; self.rows = rows; self.from = from; self.to = to
    }

    public var json: JSON { Compare.json(rows, from: from, to: to, key: kind.rawValue) }
}

/// `metrics show`: each side's metrics by file, under the side's label.
public struct MetricsByRevision: JSONRepresentable, Sendable {
    public var sides: [(label: String, metrics: [String: JSON])]

    public init(_ sides: [(label: String, metrics: [String: JSON])]) { self.sides = sides }

    public var json: JSON {
        .object(Dictionary(sides.map { ($0.label, JSON.object($0.metrics)) }, uniquingKeysWith: { a, _ in a }))
    }
}
