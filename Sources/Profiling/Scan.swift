import CKernels
import Foundation
import MLOpsBasics

/// The values of one column, read in order: for the checks a profile cannot answer exactly (is every
/// id unique, is every value in an allowed list), which then read the data once more. CSV, TSV and
/// JSON Lines (also as .gz or .zst), with the readers' rules (docs/validation.md, "Readers"); a value is
/// its text (a CSV field unquoted and unescaped, a JSON string unescaped, a JSON number as written,
/// `true`/`false`, nested JSON as written), a null is nil. Memory stays bounded by the record limit.
public enum TableScan {
    /// Whether a file of this name can be scanned.
    public static func supports(_ path: String) -> Bool {
        guard let (format, _) = Profiler.detect(path) else { return false }
        return format != .npy
    }

    /// Calls `visit` with the 1-based line and the value (nil for a null) of `column` in every row.
    /// Throws when the column does not exist or the file does not parse; `name` is how errors name it.
    public static func values(file path: String, name: String, column: String, maxRecordBytes: Int = ProfileOptions.defaultMaxRecordBytes,
                              _ visit: (Int64, UnsafeRawBufferPointer?) throws -> Void) throws {
        guard let (format, compression) = Profiler.detect(path), format != .npy else {
            throw MLOpsError.malformed(name, "its values cannot be read one by one", fix: "exact checks read CSV, TSV and JSON Lines files")
        }
        let fd = try FileDescriptor.open(path, O_RDONLY | O_CLOEXEC)
        defer { fd.close() }
        fd.adviseSequential()
        let source: ByteSource
        switch compression {
        case .none: source = FileSource(fd)
        case .gzip: source = try GzipSource(FileSource(fd), name: name)
        case .zstd: source = try ZstdSource(FileSource(fd), name: name)
        }
        var reader = LineReader(source: source, name: name, maxRecord: maxRecordBytes)
        if format == .jsonl {
            try jsonValues(&reader, name: name, column: column, visit)
        } else {
            try csvValues(&reader, separator: format == .csv ? 0x2C : 0x09, name: name, column: column, visit)
        }
    }

    private static func csvValues(_ reader: inout LineReader, separator: UInt8, name: String, column: String,
                                  _ visit: (Int64, UnsafeRawBufferPointer?) throws -> Void) throws {
        var index = -1, count = 0, first = true
        var scratch: [UInt8] = []
        try reader.records(cut: { try CSVFormat.cutRecords($0, atEOF: $1, first: false) }) { p, end, startLine in
            var pos = 0, line: Int64 = 0
            if first {
                first = false
                if end >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF { pos = 3 }
                var names: [String] = []
                _ = try parse(p, end, &pos, &line, separator, &scratch, startLine, name) { f, n, _ in
                    names.append(String(decoding: UnsafeBufferPointer(start: f, count: n), as: UTF8.self)); return true
                }
                guard let i = names.firstIndex(of: column) else {
                    throw MLOpsError.malformed(name, "no column \"\(column)\"", fix: "check the column name")
                }
                index = i
                count = names.count
            }
            while pos < end {
                if p[pos] == 0x0A || (p[pos] == 0x0D && pos + 1 < end && p[pos + 1] == 0x0A) {
                    pos += p[pos] == 0x0A ? 1 : 2
                    line += 1
                    if count == 1 { try visit(startLine + line, nil) }
                    continue
                }
                let recordLine = startLine + line
                var field = 0
                var failure: Error?
                _ = try parse(p, end, &pos, &line, separator, &scratch, startLine, name) { f, n, quoted in
                    if field == index && failure == nil {
                        let isNull = !quoted && isNullToken(f, n)
                        do { try visit(recordLine, isNull ? nil : UnsafeRawBufferPointer(start: f, count: n)) } catch { failure = error }
                    }
                    field += 1
                    return true
                }
                if let failure { throw failure }
                guard field == count else {
                    throw MLOpsError("\(name):\(recordLine): row has \(field) fields, the header has \(count)", hint: "fix the row")
                }
            }
        }
    }

    private static func parse(_ p: UnsafePointer<UInt8>, _ end: Int, _ pos: inout Int, _ line: inout Int64, _ separator: UInt8,
                              _ scratch: inout [UInt8], _ startLine: Int64, _ name: String,
                              _ field: (UnsafePointer<UInt8>, Int, Bool) -> Bool) throws -> Bool {
        do {
            return try CSVFormat.parseRecord(p, end: end, pos: &pos, line: &line, separator: separator, scratch: &scratch, field)
        } catch let f as BlockFailure {
            throw MLOpsError("\(name):\(startLine + f.line): \(f.message)", hint: f.hint)
        }
    }

    private static func jsonValues(_ reader: inout LineReader, name: String, column: String,
                                   _ visit: (Int64, UnsafeRawBufferPointer?) throws -> Void) throws {
        let want = Array(column.utf8)
        try reader.records(cut: { JSONLinesFormat.cutLines($0, atEOF: $1) }) { p, end, startLine in
            var pos = 0, line: Int64 = 0
            var scanner = JSONLineScanner(p: p)
            var scratch: [UInt8] = []
            while pos < end {
                let lineEnd = find(p, pos, end, 0x0A) ?? end
                defer { pos = lineEnd + 1; line += 1 }
                scanner.i = pos
                scanner.end = lineEnd
                scanner.skipSpace()
                guard scanner.i < lineEnd else { continue }
                do {
                    if let v = try scanner.value(of: want, scratch: &scratch) {
                        try v.withUnsafeBytes { try visit(startLine + line, $0) }
                    } else {
                        try visit(startLine + line, nil)
                    }
                } catch let e as JSONLineScanner.Failure {
                    throw MLOpsError("\(name):\(startLine + line): \(e.message(lineStart: pos))",
                                     hint: JSONLineScanner.Failure.hint)
                }
            }
        }
    }
}

extension JSONLineScanner {
    /// The text of `key`'s value in the line's object (nil when absent or null), checking the whole line.
    mutating func value(of key: [UInt8], scratch: inout [UInt8]) throws -> [UInt8]? {
        var found: [UInt8]? = nil
        var more = try openObject()
        while more {
            scratch.removeAll(keepingCapacity: true)
            let k = try self.key(into: &scratch)
            let match = withBytes(of: k, in: scratch) { $0.elementsEqual(key) }
            try colon()
            let v = try value(into: &scratch)
            if match { found = v.kind == .null ? nil : withBytes(of: v.text, in: scratch) { Array($0) } }
            more = try next()
        }
        try closeLine()
        return found
    }
}

/// Reads a stream in pieces that end at record boundaries, counting lines.
struct LineReader {
    let source: ByteSource
    let name: String
    let maxRecord: Int
    var buffer: [UInt8] = []

    init(source: ByteSource, name: String, maxRecord: Int) {
        self.source = source
        self.name = name
        self.maxRecord = max(1 << 16, maxRecord)
    }

    /// Calls `body` with each run of complete records (pointer, length, 1-based line of its first byte).
    mutating func records(cut: (UnsafeRawBufferPointer, Bool) throws -> Int,
                          _ body: (UnsafePointer<UInt8>, Int, Int64) throws -> Void) throws {
        let piece = 1 << 20
        var line: Int64 = 1
        var eof = false
        while true {
            if !eof {
                let old = buffer.count
                buffer += [UInt8](repeating: 0, count: piece)
                let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0.baseAddress! + old, count: piece) }
                buffer.removeLast(piece - n)
                if n == 0 { eof = true }
            }
            if buffer.isEmpty && eof { return }
            let used = try buffer.withUnsafeBytes { b -> Int in
                let n = try cut(b, eof)
                guard n > 0 else { return 0 }
                let p = b.baseAddress!.assumingMemoryBound(to: UInt8.self)
                try body(p, n, line)
                line += Int64(countNewlines(p, n))
                return n
            }
            if used == 0 {
                if eof { throw MLOpsError("\(name):\(line): the file ends inside a record", hint: "check for an unclosed quote") }
                if buffer.count >= maxRecord {
                    throw MLOpsError("\(name):\(line): a record is longer than \(formatBytes(Int64(maxRecord))), the limit", hint: "check for an unclosed quote or a missing line end")
                }
                continue
            }
            buffer.removeFirst(used)
            if eof && buffer.isEmpty { return }
        }
    }
}

/// A null as "Values" (docs/validation.md) reads one: the same classifier the profiler uses.
private func isNullToken(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
    var d = 0.0
    var i: Int64 = 0
    return Int(mlops_classify(p, n, &d, &i)) == MLOPS_VALUE_NULL
}
