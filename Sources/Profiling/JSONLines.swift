import Foundation

// JSON Lines: one JSON object per line (blank lines skipped). Each key is a column, in order of
// first appearance; a row without a key is a null in that column. Strings are strings (or
// datetimes), numbers are ints or floats by their text, true/false are bools, null is null.
// Nested objects and arrays are counted as strings: their JSON text as written.

struct JSONLinesFormat: BlockFormat {
    let display: String
    let maxColumns: Int

    func cut(_ data: UnsafeRawBufferPointer, atEOF: Bool) throws -> Int {
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
        var parser = ObjectParser(p: p)
        while pos < end {
            let lineEnd = find(p, pos, end, 0x0A) ?? end
            parser.i = pos
            parser.end = lineEnd
            parser.skipSpace()
            if parser.i < lineEnd {
                do {
                    try parser.row(into: &table, row: rows)
                } catch {
                    let error = error as! JSONFailure
                    return failed(BlockFailure(line: line, message: "invalid JSON at byte \(error.offset - pos + 1) of the line: \(error.what)",
                                               hint: "fix or remove the line; each line must be one JSON object"))
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

struct JSONFailure: Error {
    var offset: Int
    var what: String
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

    /// The column of `key`, created (with nulls for the rows before) when new.
    mutating func column(_ key: UnsafeBufferPointer<UInt8>, guess: Int, row: Int64) throws -> Int {
        if guess < keys.count, keys[guess].count == key.count,
           keys[guess].withUnsafeBufferPointer({ memcmp($0.baseAddress!, key.baseAddress!, key.count) == 0 }) {
            return guess
        }
        let k = Array(key)
        if let i = index[k] { return i }
        guard columns.count < maxColumns else { throw JSONFailure(offset: 0, what: "more than \(maxColumns) distinct keys") }
        var c = ColumnProfile.accumulator(name: String(decoding: k, as: UTF8.self), seed: seed)
        c.addNulls(row)
        columns.append(c)
        keys.append(k)
        lastRow.append(-1)
        index[k] = columns.count - 1
        return columns.count - 1
    }
}

/// A strict JSON parser for one line holding one object.
struct ObjectParser {
    let p: UnsafePointer<UInt8>
    var i = 0
    var end = 0
    var key: [UInt8] = []
    var value: [UInt8] = []

    init(p: UnsafePointer<UInt8>) { self.p = p }

    func fail(_ what: String) -> JSONFailure { JSONFailure(offset: i, what: what) }

    mutating func skipSpace() {
        while i < end, p[i] == 0x20 || p[i] == 0x09 || p[i] == 0x0D || p[i] == 0x0A { i += 1 }
    }

    mutating func row(into table: inout ColumnTable, row: Int64) throws {
        guard p[i] == UInt8(ascii: "{") else { throw fail("a line must hold a JSON object ({...})") }
        i += 1
        skipSpace()
        var field = 0
        if i < end, p[i] == UInt8(ascii: "}") {
            i += 1
        } else {
            while true {
                skipSpace()
                guard i < end, p[i] == UInt8(ascii: "\"") else { throw fail("expected a key in quotes") }
                let keyOffset = i
                try readKey()
                skipSpace()
                guard i < end, p[i] == UInt8(ascii: ":") else { throw fail("expected ':' after a key") }
                i += 1
                skipSpace()
                let c: Int
                do {
                    c = try key.withUnsafeBufferPointer { k in try table.column(k, guess: field, row: row) }
                } catch {
                    throw JSONFailure(offset: keyOffset, what: (error as! JSONFailure).what)
                }
                guard table.lastRow[c] != row else {
                    throw JSONFailure(offset: keyOffset, what: "key \"\(String(decoding: key, as: UTF8.self))\" appears twice")
                }
                table.lastRow[c] = row
                try valueInto(&table.columns[c])
                field += 1
                skipSpace()
                guard i < end else { throw fail("the object is not closed") }
                if p[i] == UInt8(ascii: ",") { i += 1; continue }
                if p[i] == UInt8(ascii: "}") { i += 1; break }
                throw fail("expected ',' or '}'")
            }
        }
        skipSpace()
        guard i == end else { throw fail("text after the object") }
        for c in table.columns.indices where table.lastRow[c] != row { table.columns[c].addNull() }
    }

    mutating func valueInto(_ col: inout ColumnProfile) throws {
        guard i < end else { throw fail("expected a value") }
        switch p[i] {
        case UInt8(ascii: "\""):
            try readValue()
            value.withUnsafeBufferPointer { col.addString($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, $0.count) }
        case UInt8(ascii: "t"): try literal("true"); col.addBool(true)
        case UInt8(ascii: "f"): try literal("false"); col.addBool(false)
        case UInt8(ascii: "n"): try literal("null"); col.addNull()
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let start = i
            try skipNested(depth: 0)
            col.addString(p + start, i - start)
        default:
            let start = i
            try number()
            col.addText(p + start, i - start)
        }
    }

    mutating func literal(_ word: StaticString) throws {
        let n = word.utf8CodeUnitCount
        guard end - i >= n, memcmp(p + i, word.utf8Start, n) == 0 else { throw fail("unexpected token") }
        i += n
    }

    /// -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
    mutating func number() throws {
        func digits() -> Int { let s = i; while i < end, p[i] &- 0x30 < 10 { i += 1 }; return i - s }
        if i < end, p[i] == UInt8(ascii: "-") { i += 1 }
        guard i < end else { throw fail("expected a value") }
        if p[i] == UInt8(ascii: "0") { i += 1 } else if digits() == 0 { throw fail("expected a value") }
        if i < end, p[i] == UInt8(ascii: ".") { i += 1; guard digits() > 0 else { throw fail("expected digits after '.'") } }
        if i < end, p[i] == UInt8(ascii: "e") || p[i] == UInt8(ascii: "E") {
            i += 1
            if i < end, p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-") { i += 1 }
            guard digits() > 0 else { throw fail("expected digits in the exponent") }
        }
    }

    /// Skips an object or array (validating it) up to its end.
    mutating func skipNested(depth: Int) throws {
        guard depth < 128 else { throw fail("nested more than 128 deep") }
        let close = p[i] == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
        let isObject = close == UInt8(ascii: "}")
        i += 1
        skipSpace()
        if i < end, p[i] == close { i += 1; return }
        while true {
            skipSpace()
            if isObject {
                guard i < end, p[i] == UInt8(ascii: "\"") else { throw fail("expected a key in quotes") }
                try readKey()
                skipSpace()
                guard i < end, p[i] == UInt8(ascii: ":") else { throw fail("expected ':' after a key") }
                i += 1
                skipSpace()
            }
            guard i < end else { throw fail("expected a value") }
            switch p[i] {
            case UInt8(ascii: "\""): try readKey()
            case UInt8(ascii: "t"): try literal("true")
            case UInt8(ascii: "f"): try literal("false")
            case UInt8(ascii: "n"): try literal("null")
            case UInt8(ascii: "{"), UInt8(ascii: "["): try skipNested(depth: depth + 1)
            default: try number()
            }
            skipSpace()
            guard i < end else { throw fail("not closed") }
            if p[i] == UInt8(ascii: ",") { i += 1; continue }
            if p[i] == close { i += 1; return }
            throw fail("expected ',' or '\(UnicodeScalar(close))'")
        }
    }

    mutating func readKey() throws {
        var buf: [UInt8] = []
        swap(&buf, &key)
        defer { swap(&buf, &key) }
        try string(into: &buf)
    }

    mutating func readValue() throws {
        var buf: [UInt8] = []
        swap(&buf, &value)
        defer { swap(&buf, &value) }
        try string(into: &buf)
    }

    /// A string at p[i] == '"', unescaped into `out` as UTF-8.
    mutating func string(into out: inout [UInt8]) throws {
        out.removeAll(keepingCapacity: true)
        i += 1
        while true {
            // Plain bytes up to the next quote or backslash.
            let start = i
            while i < end, p[i] != UInt8(ascii: "\""), p[i] != UInt8(ascii: "\\"), p[i] >= 0x20 { i += 1 }
            out.append(contentsOf: UnsafeBufferPointer(start: p + start, count: i - start))
            guard i < end else { throw fail("the string is not closed") }
            let c = p[i]
            if c == UInt8(ascii: "\"") { i += 1; return }
            if c < 0x20 { throw fail("a control character inside a string (write it as \\u00XX)") }
            if let bad = JSONEscape.decode(p, &i, end: end, into: &out) { throw fail(bad) }
        }
    }
}
