import Foundation

/// The profile of a table (one file, or several merged): rows, bytes and one profile per column.
public struct Profile: Equatable, Sendable {
    /// The version of the encoding (docs/validation.md, "Profile format (version 1)").
    public static let formatVersion = 1
    /// Seed of every profile: the same bytes give the same profile.
    public static let seed: UInt64 = 0x6D6C_6F70_735F_7031

    /// csv, tsv, jsonl or npy; "mixed" for a merge of different formats.
    public internal(set) var format: String
    /// Files merged into this profile.
    public internal(set) var files: Int64
    public internal(set) var rows: Int64
    /// Bytes of the files as stored (compressed size for .gz and .zst).
    public internal(set) var bytes: Int64
    /// Columns in order of first appearance.
    public internal(set) var columns: [ColumnProfile]

    public init(format: String, files: Int64 = 1, rows: Int64 = 0, bytes: Int64 = 0, columns: [ColumnProfile] = []) {
        self.format = format
        self.files = files
        self.rows = rows
        self.bytes = bytes
        self.columns = columns
    }

    public func column(_ name: String) -> ColumnProfile? { columns.first { $0.name == name } }

    /// The profile of this table's rows followed by `o`'s. Columns are matched by name; a column
    /// only one side has keeps only that side's values (its `count` is below `rows`).
    /// Associative: merging in any grouping agrees within the sketches' errors (HyperLogLog, moments
    /// and counts exactly up to rounding).
    public func merged(with o: Profile) -> Profile {
        var out = self
        out.format = format == o.format ? format : "mixed"
        out.files += o.files
        out.rows += o.rows
        out.bytes += o.bytes
        var index = Dictionary(uniqueKeysWithValues: columns.enumerated().map { ($1.name, $0) })
        for c in o.columns {
            if let i = index[c.name] {
                out.columns[i].merge(c)
            } else {
                index[c.name] = out.columns.count
                out.columns.append(c)
            }
        }
        return out
    }

    /// The merge of several profiles, left to right (nil for none).
    public static func merge(_ profiles: [Profile]) -> Profile? {
        guard var acc = profiles.first else { return nil }
        for p in profiles.dropFirst() { acc = acc.merged(with: p) }
        return acc
    }
}
