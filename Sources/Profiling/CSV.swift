import CKernels
import Foundation

// CSV and TSV (RFC 4180): a header row; fields separated by ',' (or a tab); a field that starts
// with '"' is quoted, may hold separators, newlines and doubled quotes (""), and ends at a quote
// followed by a separator or the end of the line; CRLF or LF line ends; a UTF-8 byte order mark at
// the start is skipped. A quote inside an unquoted field, or text after a closing quote, is an
// error, which is what lets a block be cut at any newline outside quotes: quotes always pair up.

struct CSVFormat: BlockFormat {
    let separator: UInt8
    let header: [String]
    let display: String
    /// Scratch for the blocks being parsed, kept from block to block: a fresh one per block cost
    /// its allocation, page faults and an empty memo each time.
    let batches = ValueBatchPool()

    /// Parses the header record at the start of `data` (after any BOM). Returns the names and the
    /// bytes and newlines it took, or nil when the record is not complete in `data`.
    static func header(_ data: UnsafeRawBufferPointer, separator: UInt8, atEOF: Bool) throws -> (names: [String], length: Int, lines: Int64)? {
        let end = try cutRecords(data, atEOF: atEOF, first: true)
        guard end > 0 else { return nil }
        var names: [String] = []
        var lines: Int64 = 0
        try data.withMemoryRebound(to: UInt8.self) { b throws in
            var scratch: [UInt8] = []
            var pos = 0
            _ = try parseRecord(b.baseAddress!, end: end, pos: &pos, line: &lines, separator: separator, scratch: &scratch) { p, n, _ in
                names.append(String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self))
                return true
            }
        }
        return (names, end, lines)
    }

    func cut(_ data: UnsafeRawBufferPointer, atEOF: Bool) throws -> Int {
        try CSVFormat.cutRecords(data, atEOF: atEOF, first: false)
    }

    /// The end of the last complete record (just past its newline), tracking quotes from the start;
    /// at EOF the end of the data, unless it ends inside quotes. With `first`, the end of the first record.
    static func cutRecords(_ data: UnsafeRawBufferPointer, atEOF: Bool, first: Bool) throws -> Int {
        guard let base = data.baseAddress, data.count > 0 else { return 0 }
        let p = base.assumingMemoryBound(to: UInt8.self)
        let n = data.count
        var last = 0
        var pos = 0
        while pos < n {
            // Outside quotes: the next quote or newline.
            let q = find(p, pos, n, UInt8(ascii: "\"")) ?? n
            if first {
                if let nl = find(p, pos, q, 0x0A) { return nl + 1 }
            } else if let nl = findLast(p, pos, q, 0x0A) {
                last = nl + 1
            }
            if q == n { break }
            // Inside quotes until the next quote.
            guard let close = find(p, q + 1, n, UInt8(ascii: "\"")) else {
                // At the end, leave the unclosed quote to the parser, which names what is wrong
                // (a quote inside an unquoted field, or a quoted field never closed).
                return atEOF && last == 0 ? n : last
            }
            pos = close + 1
        }
        return atEOF ? n : last
    }

    func parse(_ block: Block) -> BlockResult {
        var columns = header.map { ColumnProfile.accumulator(name: $0, seed: blockSeed(block.index)) }
        let count = header.count
        var rows: Int64 = 0
        var line: Int64 = 0
        let data = block.bytes
        if let bad = firstInvalidUTF8(data) {
            let p = data.baseAddress!.assumingMemoryBound(to: UInt8.self)
            return BlockResult(profile: Profile(format: format), lines: Int64(countNewlines(p, data.count)),
                               failure: BlockFailure(line: Int64(countNewlines(p, bad)), message: "invalid UTF-8 (byte 0x\(String(data[bad], radix: 16)))",
                                                     hint: "convert the file to UTF-8, e.g. `iconv -f latin1 -t utf-8`"))
        }
        var failure: BlockFailure? = nil
        let batch = batches.take(columns: count)
        defer { batches.put(batch) }
        columns.withUnsafeMutableBufferPointer { acc in
            let p = data.baseAddress!.assumingMemoryBound(to: UInt8.self)
            let end = data.count
            var pos = 0
            var scratch: [UInt8] = []
            while pos < end {
                // Runs of records that need only splitting go column by column through CKernels.
                let span = Swift.min(end - pos, Int(UInt32.max))
                let records = batch.scan(p + pos, span, atEnd: span == end - pos, separator: separator)
                if records > 0 {
                    for c in 0..<count { acc[c].add(column: c, of: records, from: batch) }
                    rows += Int64(records)
                    line += Int64(records) - (p[pos + batch.used - 1] == 0x0A ? 0 : 1)
                    pos += batch.used
                    if records == batch.capacity || pos >= end { continue }
                }
                // Any other record (quoted fields, blank lines, errors) here, one at a time.
                // A blank line is no record, except in a one-column file, where it is a null.
                if p[pos] == 0x0A || (p[pos] == 0x0D && pos + 1 < end && p[pos + 1] == 0x0A) {
                    pos += p[pos] == 0x0A ? 1 : 2
                    line += 1
                    if count == 1 { acc[0].addNull(); rows += 1 }
                    continue
                }
                let recordLine = line
                var fields = 0
                do {
                    _ = try CSVFormat.parseRecord(p, end: end, pos: &pos, line: &line, separator: separator, scratch: &scratch) { f, n, quoted in
                        if fields < count {
                            if quoted { acc[fields].addQuoted(f, n) } else { acc[fields].addText(f, n) }
                        }
                        fields += 1
                        return true
                    }
                } catch {
                    failure = error as? BlockFailure
                    return
                }
                if fields != count {
                    failure = BlockFailure(line: recordLine, message: "row has \(fields) field\(fields == 1 ? "" : "s"), the header has \(count)",
                                           hint: "fix the row, or quote fields that contain '\(separator == 9 ? "\\t" : String(UnicodeScalar(separator)))'")
                    return
                }
                rows += 1
            }
        }
        if var f = failure {
            let p = data.baseAddress!.assumingMemoryBound(to: UInt8.self)
            f.line = min(f.line, Int64(countNewlines(p, data.count)))
            return BlockResult(profile: Profile(format: format), lines: Int64(countNewlines(p, data.count)), failure: f)
        }
        for i in columns.indices { columns[i].finish() }
        return BlockResult(profile: Profile(format: format, rows: rows, columns: columns), lines: line, failure: nil)
    }

    var format: String { separator == 9 ? "tsv" : "csv" }

    func finish(_ profile: inout Profile) {}

    /// Parses one record at `pos`, calling `field` with each field's bytes (unescaped) and whether
    /// it was quoted; leaves `pos` past the record's newline and counts newlines into `line`.
    @inline(__always)
    static func parseRecord(_ p: UnsafePointer<UInt8>, end: Int, pos: inout Int, line: inout Int64, separator: UInt8,
                            scratch: inout [UInt8], _ field: (UnsafePointer<UInt8>, Int, Bool) -> Bool) throws -> Bool {
        while true {
            if pos < end && p[pos] == UInt8(ascii: "\"") {
                // Quoted: copy into scratch, turning "" into ".
                scratch.removeAll(keepingCapacity: true)
                let startLine = line
                var i = pos + 1
                var closed = false
                while i < end {
                    let c = p[i]
                    if c == UInt8(ascii: "\"") {
                        if i + 1 < end && p[i + 1] == UInt8(ascii: "\"") { scratch.append(c); i += 2; continue }
                        closed = true
                        i += 1
                        break
                    }
                    if c == 0x0A { line += 1 }
                    scratch.append(c)
                    i += 1
                }
                guard closed else {
                    throw BlockFailure(line: startLine, message: "a quoted field is not closed before the end of the file",
                                       hint: "add the closing '\"' (a quote inside a quoted field is written \"\")")
                }
                pos = i
                _ = scratch.withUnsafeBufferPointer { field($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, $0.count, true) }
                if pos >= end { return true }
                let c = p[pos]
                if c == separator { pos += 1; continue }
                if c == 0x0A { pos += 1; line += 1; return true }
                if c == 0x0D && pos + 1 < end && p[pos + 1] == 0x0A { pos += 2; line += 1; return true }
                throw BlockFailure(line: line, message: "text after the closing quote of a quoted field",
                                   hint: "quote the whole field and write a quote inside it as \"\"")
            }
            let start = pos
            var i = pos
            // Eight bytes at a time: the first separator, newline or quote is the lowest byte
            // that is zero after xor with each (the usual has-zero-byte test; exact for the lowest).
            let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
            let sepWord = UInt64(separator) &* ones
            while i + 8 <= end {
                let w = UInt64(littleEndian: UnsafeRawPointer(p).loadUnaligned(fromByteOffset: i, as: UInt64.self))
                let a = w ^ sepWord, b = w ^ (0x0A * ones), c = w ^ (0x22 * ones)
                let hit = ((a &- ones) & ~a | (b &- ones) & ~b | (c &- ones) & ~c) & highs
                if hit != 0 { i += hit.trailingZeroBitCount >> 3; break }
                i += 8
            }
            while i < end {
                let c = p[i]
                if c == separator || c == 0x0A || c == UInt8(ascii: "\"") { break }
                i += 1
            }
            if i < end && p[i] == UInt8(ascii: "\"") {
                throw BlockFailure(line: line, message: "a quote inside an unquoted field",
                                   hint: "quote the whole field and write the quote as \"\"")
            }
            var fieldEnd = i
            if i < end && p[i] == 0x0A && fieldEnd > start && p[fieldEnd - 1] == 0x0D { fieldEnd -= 1 }
            if i >= end && fieldEnd > start && p[fieldEnd - 1] == 0x0D { fieldEnd -= 1 }
            _ = field(p + start, fieldEnd - start, false)
            if i >= end { pos = end; return true }
            if p[i] == separator { pos = i + 1; continue }
            pos = i + 1
            line += 1
            return true
        }
    }
}

extension ColumnProfile {
    /// A quoted CSV field: a quoted empty field is an empty string, not a null.
    @inline(__always)
    mutating func addQuoted(_ p: UnsafePointer<UInt8>, _ n: Int) {
        if n == 0 {
            count += 1
            listed(valueHash(p, 0), p, 0)
            kinds.string += 1
        } else {
            addText(p, n)
        }
    }
}

/// One column of a run of CSV records, as CKernels' mlops_csv_column read it: value i is
/// base[starts[i] ..< starts[i] + lengths[i]], of kind kinds[i] (MLOPS_VALUE_...), hashed to
/// hashes[i] unless null; the numeric values in order are nums[0 ..< stats.numerics].
struct ValueBatch {
    let count: Int
    let stats: mlops_column_stats
    let base: UnsafePointer<UInt8>
    let starts: UnsafePointer<UInt32>
    let lengths: UnsafePointer<UInt32>
    let kinds: UnsafePointer<UInt8>
    let hashes: UnsafePointer<UInt64>
    let nums: UnsafePointer<Double>

    /// Values from i on that are not null.
    func present(from i: Int) -> Int64 {
        var n: Int64 = 0
        for j in i..<count where Int(kinds[j]) != MLOPS_VALUE_NULL { n += 1 }
        return n
    }

    /// Numeric values (those in nums) before value i.
    func numbers(before i: Int) -> Int {
        var n = 0
        for j in 0..<i {
            let k = Int(kinds[j])
            if k != MLOPS_VALUE_NULL && k != MLOPS_VALUE_STRING && k != MLOPS_VALUE_NONFINITE { n += 1 }
        }
        return n
    }
}

/// The scratch space of one block's parse: the field ends of up to `capacity` records and one
/// column's values at a time: at most 64k fields (256 KiB of ends) and 4096 records, so that it
/// stays in cache while a wide table's batches are still long enough to pay for each call.
final class ValueBatches {
    let columns: Int
    let capacity: Int
    let ends: UnsafeMutablePointer<UInt32>
    let starts: UnsafeMutablePointer<UInt32>
    let lengths: UnsafeMutablePointer<UInt32>
    let kinds: UnsafeMutablePointer<UInt8>
    let hashes: UnsafeMutablePointer<UInt64>
    let nums: UnsafeMutablePointer<Double>
    let isa = mlops_profiling_best_isa()
    /// The memo of repeated values (see mlops_csv_column_fused) of each of the first `memoColumns`
    /// columns (48 KiB each; wider tables' other columns get one per call).
    let memo: UnsafeMutableRawPointer
    let memoSize = mlops_column_memo_size()
    let memoColumns: Int
    /// The records of the last scan and the bytes they span.
    private(set) var base = UnsafePointer<UInt8>(bitPattern: 1)!
    private(set) var size = 0
    private(set) var used = 0

    init(columns: Int) {
        self.columns = columns
        capacity = Swift.max(8, Swift.min(4096, 65536 / Swift.max(1, columns)))
        ends = .allocate(capacity: capacity * columns)
        starts = .allocate(capacity: capacity)
        lengths = .allocate(capacity: capacity)
        kinds = .allocate(capacity: capacity)
        hashes = .allocate(capacity: capacity)
        nums = .allocate(capacity: capacity)
        memoColumns = Swift.min(columns, 64)
        memo = .allocate(byteCount: memoColumns * memoSize, alignment: 64)
        memo.initializeMemory(as: UInt8.self, repeating: 0, count: memoColumns * memoSize)
    }

    deinit {
        ends.deallocate(); starts.deallocate(); lengths.deallocate()
        kinds.deallocate(); hashes.deallocate(); nums.deallocate(); memo.deallocate()
    }

    /// Scans the records at p that need only splitting (see mlops_csv_scan); returns how many.
    func scan(_ p: UnsafePointer<UInt8>, _ n: Int, atEnd: Bool, separator: UInt8) -> Int {
        base = p
        size = n
        return mlops_csv_scan(isa, p, n, atEnd ? 1 : 0, separator, columns, ends, capacity, &used)
    }

    /// Column c of the first `records` records scanned, its numeric values also added to `moments`,
    /// and with `registers`, its hashes added to them (and not kept in the batch).
    func column(_ c: Int, of records: Int, moments: inout Moments, registers: UnsafeMutablePointer<UInt8>?) -> ValueBatch {
        var stats = mlops_column_stats()
        var m = moments.c
        mlops_csv_column_fused(isa, base, size, ends, columns, c, records, starts, lengths, kinds, hashes, nums, &stats,
                               &m, registers, Int32(HyperLogLog.precision), c < memoColumns ? memo + c * memoSize : nil)
        moments.c = m
        return ValueBatch(count: records, stats: stats, base: base, starts: starts, lengths: lengths, kinds: kinds, hashes: hashes, nums: nums)
    }
}

/// ValueBatches for the blocks parsed at once (one per thread at most), reused: what a batch holds
/// is overwritten by each scan, and its memo depends only on the bytes of values.
final class ValueBatchPool: @unchecked Sendable {
    private let lock = NSLock()
    private var free: [ValueBatches] = []

    func take(columns: Int) -> ValueBatches {
        lock.lock()
        defer { lock.unlock() }
        if let i = free.lastIndex(where: { $0.columns == columns }) { return free.remove(at: i) }
        return ValueBatches(columns: columns)
    }

    func put(_ b: ValueBatches) {
        lock.lock()
        free.append(b)
        lock.unlock()
    }
}

func blockSeed(_ index: Int) -> UInt64 {
    var s = Profile.seed &+ UInt64(bitPattern: Int64(index))
    return splitmix(&s)
}

func countNewlines(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int {
    var count = 0
    var pos = 0
    while let nl = find(p, pos, n, 0x0A) {
        count += 1
        pos = nl + 1
    }
    return count
}

/// The offset of the first `byte` in p[from..<to].
@inline(__always)
func find(_ p: UnsafePointer<UInt8>, _ from: Int, _ to: Int, _ byte: UInt8) -> Int? {
    guard from < to, let r = memchr(p + from, Int32(byte), to - from) else { return nil }
    return UnsafeRawPointer(r) - UnsafeRawPointer(p)
}

/// The offset of the last `byte` in p[from..<to].
@inline(__always)
func findLast(_ p: UnsafePointer<UInt8>, _ from: Int, _ to: Int, _ byte: UInt8) -> Int? {
    var i = to
    while i > from {
        i -= 1
        if p[i] == byte { return i }
    }
    return nil
}

/// The offset of the first byte that is not valid UTF-8, or nil.
func firstInvalidUTF8(_ data: UnsafeRawBufferPointer) -> Int? {
    guard let base = data.baseAddress else { return nil }
    let bad = mlops_utf8_invalid(base.assumingMemoryBound(to: UInt8.self), data.count)
    return bad < data.count ? bad : nil
}
