import Foundation
import MLOpsBasics
import Profiling

/// The text formats of live records.
enum LiveFormat: Equatable {
    /// A header row, then one record per row (RFC 4180 quoting); `,` or a tab.
    case csv(separator: UInt8)
    /// One JSON object per line.
    case jsonl

    /// By the name (`.csv`, `.tsv`, `.jsonl`, `.ndjson`, each also `.gz`/`.zst`), else by the first
    /// byte that is not white space: `{` is JSON Lines, anything else CSV.
    static func detect(name: String, firstBytes: [UInt8]) -> LiveFormat {
        var n = name.lowercased()
        for ext in [".gz", ".zst"] where n.hasSuffix(ext) { n.removeLast(ext.count) }
        if n.hasSuffix(".csv") { return .csv(separator: 0x2C) }
        if n.hasSuffix(".tsv") { return .csv(separator: 0x09) }
        if n.hasSuffix(".jsonl") || n.hasSuffix(".ndjson") { return .jsonl }
        let first = firstBytes.first { $0 != 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D && $0 != 0xEF && $0 != 0xBB && $0 != 0xBF }
        return first == UInt8(ascii: "{") ? .jsonl : .csv(separator: 0x2C)
    }
}

/// Where finished records go: the current window, closed and handed on every `limit` records.
final class Collector {
    let plan: Plan
    let limit: Int64?
    var window: Window
    /// Records of the windows closed so far.
    private(set) var closedRecords: Int64 = 0
    /// Gets each closed window and the records read since the start.
    var onFull: ((Window, Int64) -> Void)?

    init(plan: Plan, limit: Int64?) {
        self.plan = plan
        self.limit = limit
        window = Window(plan: plan)
    }

    /// Records read since the start, in every window (not while a reader holds the window).
    var total: Int64 { closedRecords + window.records }

    /// Lends the current window to a reader for a run of records.
    @inline(__always)
    func withWindow<R>(_ body: (inout Window) -> R) -> R { body(&window) }

    /// Closes `w` (the lent window) when it is full.
    @inline(__always)
    func recordEnded(_ w: inout Window) {
        if let limit, w.records >= limit { roll(&w) }
    }

    /// Closes the window (however many records it has) and starts the next.
    func roll(_ w: inout Window) {
        let full = w
        w = Window(plan: plan)
        closedRecords += full.records
        onFull?(full, closedRecords)
    }

    /// Closes the current window; returns it and the records since the start.
    func rollCurrent() -> (Window, Int64) {
        let full = window
        window = Window(plan: plan)
        closedRecords += full.records
        return (full, closedRecords)
    }
}

/// Reads records out of the bytes of one input and hands their values to the window. A record that
/// cannot be read is counted as malformed and skipped (the first one is named in a warning); nothing
/// of it reaches the window. A value type: its state lives on the caller's stack while it reads.
struct RecordReader {
    static let maxRecordBytes = 16 << 20

    let name: String
    let format: LiveFormat
    let plan: Plan
    let notices: Notices
    let collector: Collector
    /// The 1-based line where the next record starts.
    private(set) var line: Int64 = 1
    private var begun = false
    /// After a restart (a rotated or truncated log): a CSV's first row may repeat the header.
    private var restarted = false
    /// CSV: the header's names, and the slot of each column (-1: not used).
    private var headerNames: [String] = []
    private var columnSlots: [Int] = []
    /// Skipping the rest of an over-long record, up to its line end.
    private var discarding = false

    // The record being assembled: its known fields, applied to the window once the record is whole.
    private var slots: [Int] = []
    private var kinds: [ValueKind] = []
    private var pointers: [UnsafePointer<UInt8>?] = []
    private var offsets: [Int] = []
    private var lengths: [Int] = []
    private var scratch: [UInt8] = []
    private var seen: [Int64]
    private var serial: Int64 = 0

    // JSON keys: the key of each field position last time, then a table.
    private var guessKeys: [[UInt8]] = []
    private var guessSlots: [Int] = []
    private var keyTable: [[UInt8]: Int] = [:]

    init(name: String, format: LiveFormat, plan: Plan, notices: Notices, collector: Collector) {
        self.name = name
        self.format = format
        self.plan = plan
        self.notices = notices
        self.collector = collector
        seen = [Int64](repeating: -1, count: plan.slotCount)
    }

    /// The log started again (rotated, or truncated): line numbers start again, and a CSV's header
    /// may come again.
    mutating func restart() {
        begun = false
        restarted = true
        discarding = false
        line = 1
    }

    /// Reads the complete records at the start of `data`; returns the bytes used. Without `atEOF`,
    /// a record not ended by a line end waits for more bytes.
    mutating func consume(_ data: UnsafeRawBufferPointer, atEOF: Bool) -> Int {
        collector.withWindow { w in consume(data, atEOF: atEOF, into: &w) }
    }

    private mutating func consume(_ data: UnsafeRawBufferPointer, atEOF: Bool, into w: inout Window) -> Int {
        guard let base = data.baseAddress, data.count > 0 else { return 0 }
        let p = base.assumingMemoryBound(to: UInt8.self)
        let end = data.count
        var pos = 0
        if discarding {
            guard let nl = memchr(p, 0x0A, end).map({ UnsafeRawPointer($0) - base }) else { return end }
            discarding = false
            line += 1
            pos = nl + 1
        }
        if !begun {
            if end >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF { pos = 3 }
            if case .csv(let sep) = format {
                guard let used = header(p, pos, end, sep, atEOF: atEOF) else { return tooLong(pos, end, &w) }
                pos = used
            }
            begun = true
        }
        switch format {
        case .csv(let sep):
            while pos < end {
                let start = pos
                let startLine = line
                var lines: Int64 = 0
                let result = csvRecord(p, &pos, end, sep, atEOF: atEOF, lines: &lines)
                if result == .incomplete { return start == 0 ? tooLong(start, end, &w) : start }
                line = startLine + lines
                if result == .blank { continue }
                finish(result, at: startLine, &w)
            }
        case .jsonl:
            while pos < end {
                let nl = memchr(p + pos, 0x0A, end - pos).map { UnsafeRawPointer($0) - base }
                guard nl != nil || atEOF else { return pos == 0 ? tooLong(0, end, &w) : pos }
                let lineEnd = nl ?? end
                let startLine = line
                line += 1
                let result = jsonRecord(p, pos, lineEnd)
                pos = lineEnd + 1
                if result == .blank { continue }
                finish(result, at: startLine, &w)
            }
            pos = min(pos, end)
        }
        return pos
    }

    /// No complete record in `data[start...]`: wait, unless it is longer than a record may be.
    private mutating func tooLong(_ start: Int, _ end: Int, _ w: inout Window) -> Int {
        guard end - start > RecordReader.maxRecordBytes else { return start }
        notices.once("long:\(name)", "\(name):\(line): a record longer than \(formatBytes(Int64(RecordReader.maxRecordBytes))); skipped (check for a missing line end or an unclosed quote)")
        w.malformed += 1
        discarding = true
        return end
    }

    private enum Outcome: Equatable {
        case record
        case blank
        case incomplete
        case malformed(String)
    }

    @inline(__always)
    private mutating func finish(_ result: Outcome, at startLine: Int64, _ w: inout Window) {
        switch result {
        case .record:
            apply(at: startLine, &w)
        case .malformed(let why):
            notices.once("malformed:\(name)", "\(name):\(startLine): \(why); record skipped (further unreadable records are only counted)")
            w.malformed += 1
        case .blank, .incomplete:
            break
        }
    }

    // MARK: Records to the window

    @inline(__always)
    private mutating func startRecord() {
        serial += 1
        slots.removeAll(keepingCapacity: true)
        kinds.removeAll(keepingCapacity: true)
        pointers.removeAll(keepingCapacity: true)
        offsets.removeAll(keepingCapacity: true)
        lengths.removeAll(keepingCapacity: true)
        scratch.removeAll(keepingCapacity: true)
    }

    /// Keeps a field of a known column; false when the record already had it.
    @inline(__always)
    private mutating func field(_ slot: Int, _ kind: ValueKind, _ p: UnsafePointer<UInt8>?, offset: Int = 0, _ n: Int) -> Bool {
        if seen[slot] == serial { return false }
        seen[slot] = serial
        slots.append(slot)
        kinds.append(kind)
        pointers.append(p)
        offsets.append(offset)
        lengths.append(n)
        return true
    }

    @inline(__always)
    private func apply(at startLine: Int64, _ w: inout Window) {
        w.beginRecord()
        scratch.withUnsafeBufferPointer { s in
            let sbase = s.baseAddress ?? UnsafePointer(bitPattern: 1)!
            for i in slots.indices {
                let ptr = pointers[i] ?? sbase + offsets[i]
                if !w.value(slots[i], kinds[i], ptr, lengths[i]) { invalid(slots[i], ptr, lengths[i], at: startLine) }
            }
        }
        w.endRecord()
        collector.recordEnded(&w)
    }

    private func invalid(_ slot: Int, _ p: UnsafePointer<UInt8>, _ n: Int, at startLine: Int64) {
        let column = plan.roleName(slot)
        let text = String(decoding: UnsafeBufferPointer(start: p, count: min(n, 60)), as: UTF8.self) + (n > 60 ? "..." : "")
        if slot < plan.features.count {
            notices.once("invalid:\(column)", "\(name):\(startLine): feature '\(column)' has '\(text)', not a number (its training values are numbers); counted as invalid (further ones are only counted)")
        } else {
            notices.once("invalid:\(column)", "\(name):\(startLine): '\(text)' in column '\(column)' is not a number of milliseconds; not counted (further ones are only counted)")
        }
    }

    // MARK: CSV

    /// Reads the header row; returns the position after it, nil when it is not complete yet.
    private mutating func header(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int, _ sep: UInt8, atEOF: Bool) -> Int? {
        var pos = start
        var names: [String] = []
        var lines: Int64 = 0
        var unq: [UInt8] = []
        let r = RecordReader.csvFields(p, &pos, end, sep, atEOF: atEOF, lines: &lines, unquoted: &unq) { q, n, _ in
            names.append(String(decoding: UnsafeBufferPointer(start: q, count: n), as: UTF8.self))
        }
        if r == .incomplete { return atEOF ? end : nil }
        if restarted {
            // The same header again, or a row of names (no number among them, a known column among
            // them), is a header; anything else is the first record under the header read before.
            restarted = false
            let isHeader = names == headerNames
                || (!names.contains(where: LiveText.isNumber) && names.contains { plan.slot($0) != nil })
            if !isHeader { return start }
            if names == headerNames { line += lines; return pos }
        }
        line += lines
        headerNames = names
        if case .malformed(let why) = r {
            notices.once("header:\(name)", "\(name):1: the header row cannot be read (\(why)); no record of this file is read")
            columnSlots = []
            return end
        }
        var used = Set<Int>()
        var extra: [String] = []
        columnSlots = names.map { n in
            guard let s = plan.slot(n), used.insert(s).inserted else { extra.append(n); return -1 }
            return s
        }
        if !extra.isEmpty {
            notices.once("extra:\(name)", "\(name): column\(extra.count == 1 ? "" : "s") \(extra.map { "'\($0)'" }.joined(separator: ", ")) \(extra.count == 1 ? "is" : "are") neither a feature of the model nor a column `monitor.columns` names; ignored")
        }
        let absent = plan.features.indices.filter { !used.contains($0) }.map { plan.features[$0].name }
        if !absent.isEmpty {
            for f in absent { notices.mark("missing:\(f)") }
            notices.once("missing-columns:\(name)", "\(name): no column for feature\(absent.count == 1 ? "" : "s") \(absent.map { "'\($0)'" }.joined(separator: ", ")), which the training data has; counted as missing (an alert)")
        }
        return pos
    }

    private mutating func csvRecord(_ p: UnsafePointer<UInt8>, _ pos: inout Int, _ end: Int, _ sep: UInt8, atEOF: Bool, lines: inout Int64) -> Outcome {
        // A blank line is no record.
        if p[pos] == 0x0A { pos += 1; lines += 1; return .blank }
        if p[pos] == 0x0D && pos + 1 < end && p[pos + 1] == 0x0A { pos += 2; lines += 1; return .blank }
        startRecord()
        var column = 0
        let slotsOfColumns = columnSlots
        var unq: [UInt8] = []
        swap(&unq, &unquoted)
        defer { swap(&unq, &unquoted) }
        let r = slotsOfColumns.withUnsafeBufferPointer { cs in
            RecordReader.csvFields(p, &pos, end, sep, atEOF: atEOF, lines: &lines, unquoted: &unq) { q, n, quoted in
                if column < cs.count, cs[column] >= 0 {
                    if q >= p && q < p + end {
                        _ = field(cs[column], quoted ? .quoted : .text, q, n)
                    } else {
                        // Unescaped into the reader's buffer for quoted fields with "".
                        let off = scratch.count
                        scratch.append(contentsOf: UnsafeBufferPointer(start: q, count: n))
                        _ = field(cs[column], .quoted, nil, offset: off, n)
                    }
                }
                column += 1
            }
        }
        if r != .record { return r }
        guard column == columnSlots.count else {
            return .malformed("the row has \(column) field\(column == 1 ? "" : "s"), the header \(columnSlots.count)")
        }
        return .record
    }

    private var unquoted: [UInt8] = []

    /// Reads one record's fields (`quoted` fields unescaped), leaving `pos` after its line end.
    private static func csvFields(_ p: UnsafePointer<UInt8>, _ pos: inout Int, _ end: Int, _ sep: UInt8, atEOF: Bool, lines: inout Int64,
                                  unquoted: inout [UInt8], _ body: (UnsafePointer<UInt8>, Int, Bool) -> Void) -> Outcome {
        var i = pos
        while true {
            if i < end && p[i] == UInt8(ascii: "\"") {
                var j = i + 1
                var doubled = false
                var closed = false
                var newlines: Int64 = 0
                while j < end {
                    if p[j] == UInt8(ascii: "\"") {
                        if j + 1 < end && p[j + 1] == UInt8(ascii: "\"") { doubled = true; j += 2; continue }
                        if j + 1 == end && !atEOF { break }
                        closed = true
                        break
                    }
                    if p[j] == 0x0A { newlines += 1 }
                    j += 1
                }
                guard closed else { return atEOF ? .malformed("a quoted field is not closed") : .incomplete }
                if doubled {
                    unquoted.removeAll(keepingCapacity: true)
                    var k = i + 1
                    while k < j {
                        unquoted.append(p[k])
                        k += p[k] == UInt8(ascii: "\"") ? 2 : 1
                    }
                    unquoted.withUnsafeBufferPointer { body($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, $0.count, true) }
                } else {
                    body(p + i + 1, j - i - 1, true)
                }
                lines += newlines
                i = j + 1
                if i >= end { if atEOF { pos = end; return .record }; return .incomplete }
                let c = p[i]
                if c == sep { i += 1; continue }
                if c == 0x0A { pos = i + 1; lines += 1; return .record }
                if c == 0x0D && i + 1 < end && p[i + 1] == 0x0A { pos = i + 2; lines += 1; return .record }
                if c == 0x0D && i + 1 == end && !atEOF { return .incomplete }
                skipLine(p, &pos, i, end, &lines)
                return .malformed("text after the closing quote of a quoted field")
            }
            let start = i
            while i < end {
                let c = p[i]
                if c == sep || c == 0x0A || c == UInt8(ascii: "\"") { break }
                i += 1
            }
            if i < end && p[i] == UInt8(ascii: "\"") {
                skipLine(p, &pos, i, end, &lines)
                return .malformed("a quote inside an unquoted field")
            }
            if i == end && !atEOF { return .incomplete }
            var fieldEnd = i
            if fieldEnd > start && p[fieldEnd - 1] == 0x0D && (i == end || p[i] == 0x0A) { fieldEnd -= 1 }
            body(p + start, fieldEnd - start, false)
            if i == end { pos = end; return .record }
            if p[i] == sep { i += 1; continue }
            pos = i + 1
            lines += 1
            return .record
        }
    }

    /// Moves past the line end after `from` (for a record that cannot be read).
    private static func skipLine(_ p: UnsafePointer<UInt8>, _ pos: inout Int, _ from: Int, _ end: Int, _ lines: inout Int64) {
        if let nl = memchr(p + from, 0x0A, end - from) {
            pos = UnsafeRawPointer(nl) - UnsafeRawPointer(p) + 1
            lines += 1
        } else {
            pos = end
        }
    }

    // MARK: JSON Lines

    private mutating func jsonRecord(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Outcome {
        var j = JSONLineScanner(p: p, i: start, end: end)
        j.skipSpace()
        if j.i >= end { return .blank }
        startRecord()
        do {
            var position = 0
            var more = try j.openObject()
            while more {
                let keyStart = j.i
                let key = try j.key(into: &scratch)
                let slot = j.withBytes(of: key, in: scratch) { keySlot($0, position) }
                if key.inScratch { scratch.removeLast(key.length) }
                try j.colon()
                let v = try j.value(into: &scratch)
                let kind: ValueKind
                switch v.kind {
                case .string: kind = .string
                case .number: kind = .number
                case .boolean: kind = .boolean
                case .null: kind = .null
                case .nested: kind = .nested
                }
                let t = v.text
                if slot >= 0 && !field(slot, kind, t.inScratch ? nil : p + t.offset, offset: t.inScratch ? t.offset : 0, t.length) {
                    throw j.fail(at: keyStart, "key \"\(plan.roleName(slot))\" appears twice")
                }
                position += 1
                more = try j.next()
            }
            try j.closeLine()
        } catch let f as JSONLineScanner.Failure {
            return .malformed(f.message(lineStart: start))
        } catch {
            return .malformed("\(error)")
        }
        return .record
    }

    /// The slot of a key (-1: not used), guessing that keys come in the same order as last time.
    @inline(__always)
    private mutating func keySlot(_ key: UnsafeBufferPointer<UInt8>, _ position: Int) -> Int {
        let kp = key.baseAddress ?? UnsafePointer(bitPattern: 1)!
        let n = key.count
        if position < guessKeys.count {
            let hit = guessKeys[position].withUnsafeBufferPointer { g in g.count == n && (n == 0 || memcmp(g.baseAddress!, kp, n) == 0) }
            if hit { return guessSlots[position] }
        }
        let bytes = Array(UnsafeBufferPointer(start: kp, count: n))
        let slot: Int
        if let s = keyTable[bytes] {
            slot = s
        } else {
            slot = plan.slot(UnsafeBufferPointer(start: kp, count: n)) ?? -1
            if keyTable.count < 4096 { keyTable[bytes] = slot }
            if slot < 0 {
                let k = String(decoding: bytes, as: UTF8.self)
                notices.once("extra:\(k)", "\(name):\(line - 1): column '\(displayKey(k))' is neither a feature of the model nor a column `monitor.columns` names; ignored (said once)")
            }
        }
        if position < guessKeys.count {
            guessKeys[position] = bytes
            guessSlots[position] = slot
        } else if position == guessKeys.count && position < 1024 {
            guessKeys.append(bytes)
            guessSlots.append(slot)
        }
        return slot
    }

    private func displayKey(_ k: String) -> String { k.count > 80 ? String(k.prefix(80)) + "..." : k }
}
