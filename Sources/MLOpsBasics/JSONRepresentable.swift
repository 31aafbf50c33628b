/// A result that scripts read: every result a command prints has one JSON form, defined beside the
/// type (in the library that makes it), so `--json` never builds JSON by hand.
public protocol JSONRepresentable {
    var json: JSON { get }
}

extension Array: JSONRepresentable where Element: JSONRepresentable {
    public var json: JSON { .array(map(\.json)) }
}

extension JSON: JSONRepresentable {
    public var json: JSON { self }
}
