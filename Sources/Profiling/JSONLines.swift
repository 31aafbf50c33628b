import Foundation

// JSON Lines: one JSON object per line (blank lines skipped). Each key is a column, in order of
// first appearance; a row without a key is a null in that column. Strings are strings (or
// datetimes), numbers are ints or floats by their text, true/false are bools, null is null.
// Nested objects and arrays are counted as strings: their JSON text as written.

struct JSONLinesFormat: BlockFormat {
    let display: String
    let maxColumns: Int

    func cut(_ data: UnsafeRawBufferPointer, atEOF: Bool) throws -> Int { JSONLinesFormat.cutLines(data, atEOF: atEOF) }

    /// The length of the complete lines at the start of `data` (all of it at the end of the input).
    static func cutLines(_ data: UnsafeRawBufferPointer, atEOF: Bool) -> Int {
        guard let base = data.baseAddress, data.count > 0 else { return 0 }
        if atEOF { return data.count }
        return findLast(base.assumingMemoryBound(to: UInt8.self), 0, data.count, 0x0A).map { $0 + 1 } ?? 0
    }

    func parse(_ block: Block) -> BlockResult {
        let data = block.bytes
        let p = data.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let allLines = Int64(countNewlines(p, data.count))
        func failed(_ f: BlockFailure) -> BlockResult { BlockResult(profile: Profile(format: "jsonl"), lines: allLines, failure: f) }
        if let bad = firstInvalidUTF8(data) {
            return failed(BlockFailure(line: Int64(countNewlines(p, bad)), message: "invalid UTF-8 (byte 0x\(String(data[bad], radix: 16)))",
                                       hint: "JSON text must be UTF-8; convert the file, e.g. `iconv -f latin1 -t utf-8`"))
        }
        var table = ColumnTable(seed: blockSeed(block.index), maxColumns: maxColumns)
        var rows: Int64 = 0
        var line: Int64 = 0
        var pos = 0
        let end = data.count
        var scanner = JSONLineScanner(p: p)
        var scratch: [UInt8] = []
        while pos < end {
            let lineEnd = find(p, pos, end, 0x0A) ?? end
            scanner.i = pos
            scanner.end = lineEnd
            scanner.skipSpace()
            if scanner.i < lineEnd {
                do {
                    try table.add(&scanner, scratch: &scratch, row: rows)
                } catch {
                    let error = error as! JSONLineScanner.Failure
                    return failed(BlockFailure(line: line, message: error.message(lineStart: pos),
                                               hint: JSONLineScanner.Failure.hint))
                }
                rows += 1
            }
            pos = lineEnd + 1
            line += 1
        }
        var columns = table.columns
        for i in columns.indices {
            columns[i].addNulls(rows - columns[i].count)
            columns[i].finish()
        }
        return BlockResult(profile: Profile(format: "jsonl", rows: rows, columns: columns), lines: allLines, failure: nil)
    }

    /// A key first seen in a later block has no entries for the rows before it: those are nulls.
    func finish(_ profile: inout Profile) {
        for i in profile.columns.indices where profile.columns[i].count < profile.rows {
            profile.columns[i].addNulls(profile.rows - profile.columns[i].count)
        }
    }
}

/// Columns by key, with the row each was last given a value in (to find missing and repeated keys).
struct ColumnTable {
    var columns: [ColumnProfile] = []
    var keys: [[UInt8]] = []
    var index: [[UInt8]: Int] = [:]
    var lastRow: [Int64] = []
    let seed: UInt64
    let maxColumns: Int

    init(seed: UInt64, maxColumns: Int) {
        self.seed = seed
        self.maxColumns = maxColumns
    }

    /// The column of `key`, created (with nulls for the rows before) when new; nil when there are
    /// `maxColumns` already.
    mutating func column(_ key: UnsafeBufferPointer<UInt8>, guess: Int, row: Int64) -> Int? {
        if guess < keys.count, keys[guess].count == key.count,
           keys[guess].withUnsafeBufferPointer({ memcmp($0.baseAddress!, key.baseAddress!, key.count) == 0 }) {
            return guess
        }
        let k = Array(key)
        if let i = index[k] { return i }
        guard columns.count < maxColumns else { return nil }
        var c = ColumnProfile.accumulator(name: String(decoding: k, as: UTF8.self), seed: seed)
        c.addNulls(row)
        columns.append(c)
        keys.append(k)
        lastRow.append(-1)
        index[k] = columns.count - 1
        return columns.count - 1
    }

    /// Adds the object on the scanner's line (at its first byte that is not white space) as row `row`.
    mutating func add(_ s: inout JSONLineScanner, scratch: inout [UInt8], row: Int64) throws {
        scratch.removeAll(keepingCapacity: true)
        var field = 0
        var more = try s.openObject()
        while more {
            let keyAt = s.i
            let key = try s.key(into: &scratch)
            try s.colon()
            let c = try s.withBytes(of: key, in: scratch) { k in
                guard let c = column(k, guess: field, row: row) else { throw s.fail(at: keyAt, "more than \(maxColumns) distinct keys") }
                guard lastRow[c] != row else { throw s.fail(at: keyAt, "key \"\(String(decoding: k, as: UTF8.self))\" appears twice") }
                return c
            }
            lastRow[c] = row
            scratch.removeAll(keepingCapacity: true)
            let v = try s.value(into: &scratch)
            switch v.kind {
            case .string: s.withBytes(of: v.text, in: scratch) { columns[c].addString($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, $0.count) }
            case .number: columns[c].addText(s.p + v.text.offset, v.text.length)
            case .boolean: columns[c].addBool(s.p[v.text.offset] == UInt8(ascii: "t"))
            case .null: columns[c].addNull()
            case .nested: columns[c].addString(s.p + v.text.offset, v.text.length)
            }
            scratch.removeAll(keepingCapacity: true)
            field += 1
            more = try s.next()
        }
        try s.closeLine()
        for c in columns.indices where lastRow[c] != row { columns[c].addNull() }
    }
}
