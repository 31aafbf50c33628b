import CKernels
import Foundation
@testable import Profiling
import Testing

// The C kernels behind profiling (CKernels, profiling.c): every SIMD path against the portable one,
// and each against a plain reference written here, on random input.

/// The instruction sets to compare on this machine (0 portable, 1 AVX2, 2 AVX-512).
let kernelPaths = Array(0...Int(mlops_profiling_best_isa()))

/// What mlops_csv_scan should take, written plainly: records up to the first that holds a quote, is
/// blank, has another number of fields, or (unless at the end) has no newline yet.
func referenceScan(_ b: [UInt8], atEnd: Bool, separator: UInt8, columns: Int, max: Int) -> (records: Int, used: Int, ends: [UInt32]) {
    var ends: [UInt32] = [], records = 0, start = 0
    while records < max && start < b.count {
        let nl = b[start...].firstIndex(of: 0x0A)
        if nl == nil && !atEnd { break }
        let end = nl ?? b.count
        let record = b[start..<end]
        if record.contains(0x22) || record.isEmpty || (nl != nil && record.elementsEqual([0x0D])) { break }
        let seps = record.indices.filter { b[$0] == separator }
        if seps.count != columns - 1 { break }
        ends += (seps + [end]).map { UInt32($0) }
        records += 1
        start = end + (nl == nil ? 0 : 1)
    }
    return (records, start, ends)
}

/// The text-value rules of docs/validation.md ("Values") for numbers, checked by a grammar here and
/// valued by Swift's own parsers.
func referenceNumber(_ s: String) -> Number {
    let b = Array(s.utf8)
    var i = 0
    if i < b.count && (b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-")) { i += 1 }
    let rest = String(decoding: b[i...], as: UTF8.self).lowercased()
    if rest == "inf" || rest == "infinity" { return .float(b.first == UInt8(ascii: "-") ? -.infinity : .infinity) }
    func digits() -> Int {
        let from = i
        while i < b.count && b[i] >= 0x30 && b[i] <= 0x39 { i += 1 }
        return i - from
    }
    let whole = digits()
    let value = s.withCString { strtod($0, nil) }
    if i == b.count && whole > 0 { return Int64(s).map { .int($0) } ?? .float(value) }
    var frac = 0
    if i < b.count && b[i] == UInt8(ascii: ".") { i += 1; frac = digits() }
    guard whole + frac > 0 else { return .none }
    if i < b.count {
        guard b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") else { return .none }
        i += 1
        if i < b.count && (b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-")) { i += 1 }
        guard digits() > 0, i == b.count else { return .none }
    }
    return .float(value)
}

/// Random number-like text: every shape the readers' fast and slow paths tell apart.
func randomNumberText(_ r: inout Rng) -> String {
    func digits(_ n: Int) -> String { String((0..<n).map { _ in Character(UnicodeScalar(UInt8(0x30 + r.int(0..<10)))) }) }
    let sign = ["", "", "-", "+"][r.int(0..<4)]
    switch r.int(0..<12) {
    case 0: return sign + digits(r.int(1..<8))
    case 1: return sign + digits(r.int(8..<22))
    case 2: return sign + digits(r.int(0..<9)) + "." + digits(r.int(0..<9))
    case 3: return sign + digits(r.int(1..<12)) + "." + digits(r.int(1..<12))
    case 4: return sign + digits(r.int(0..<4)) + "." + digits(r.int(0..<4)) + ["e", "E"][r.int(0..<2)] + ["", "-", "+"][r.int(0..<3)] + digits(r.int(0..<4))
    case 5: return sign + ["0", "0.0", "00", ".0", "0.", "9223372036854775807", "9223372036854775808", "18446744073709551616", "1e400", "4.9e-324"][r.int(0..<10)]
    case 6: return sign + ["inf", "Infinity", "INF", "infinit", "nan", "NaN", "NA", "", ".", "e5", "1e", "1e+", "1.2.3", "1;5", " 1", "1 "][r.int(0..<16)]
    case 7: return ["true", "False", "TRUE", "tRUE", "null", "None", "N/A", "2024-02-29", "2023-02-29", "2024-01-01T10:20:30.25+01:30"][r.int(0..<10)]
    case 8: return sign + digits(r.int(1..<17)) + "x"
    case 9: return digits(r.int(1..<5)) + "-" + digits(2) + "-" + digits(2)
    case 10: return sign + digits(r.int(0..<17)) + "." + digits(r.int(0..<17))
    default: return sign + "." + digits(r.int(1..<20))
    }
}

func sameNumber(_ a: Number, _ b: Number) -> Bool {
    switch (a, b) {
    case (.none, .none): return true
    case (.int(let x), .int(let y)): return x == y
    case (.float(let x), .float(let y)): return x.bitPattern == y.bitPattern
    default: return false
    }
}

@Suite struct KernelTests {
    @Test func csvScanPathsAgreeWithEachOtherAndTheReference() {
        var r = Rng(21)
        let alphabet: [UInt8] = Array("aaaa1111--..,,,,,\t\t\n\n\r\"  ".utf8) + [0xC3, 0xA9]
        for round in 0..<3000 {
            let columns = r.int(1..<12)
            let separator: UInt8 = r.int(0..<2) == 0 ? 0x2C : 0x09
            // Mostly well-formed rows (so that runs are long), with random bytes thrown in.
            var b: [UInt8] = []
            let length = r.int(0..<(round % 10 == 0 ? 5000 : 400))
            while b.count < length {
                if r.uniform() < 0.15 {
                    b.append(alphabet[r.int(0..<alphabet.count)])
                } else {
                    for c in 0..<columns {
                        for _ in 0..<r.int(0..<9) { b.append(UInt8(0x61 + r.int(0..<26))) }
                        if c < columns - 1 { b.append(separator) }
                    }
                    if r.uniform() < 0.1 { b.append(0x0D) }
                    b.append(0x0A)
                }
            }
            let atEnd = r.int(0..<2) == 0, max = r.int(0..<4) == 0 ? r.int(1..<5) : 1000
            let want = referenceScan(b, atEnd: atEnd, separator: separator, columns: columns, max: max)
            for isa in kernelPaths {
                var ends = [UInt32](repeating: 0, count: columns * max)
                var used = 0
                let records = b.withUnsafeBufferPointer {
                    mlops_csv_scan(Int32(isa), $0.baseAddress ?? UnsafePointer(bitPattern: 1)!, $0.count, atEnd ? 1 : 0, separator, columns, &ends, max, &used)
                }
                #expect(records == want.records && used == want.used && Array(ends[..<(records * columns)]) == want.ends,
                        "round \(round), path \(isa): \(records) records, \(used) bytes; want \(want.records), \(want.used)")
            }
        }
    }

    @Test func sortPathsGiveTheSameBits() {
        var r = Rng(22)
        for round in 0..<4000 {
            let n = r.int(0..<(round % 4 == 0 ? 3000 : 300))
            let values: [Double]
            switch round % 6 {
            case 0: values = (0..<n).map { _ in r.normal() * 1e6 }
            case 1: values = (0..<n).map { _ in Double(r.int(0..<5)) }
            case 2: values = (0..<n).map { Double($0) + (r.uniform() < 0.05 ? -3 : 0) }
            case 3: values = (0..<n).map { _ in [0.0, -0.0, 1.5, -2][r.int(0..<4)] }
            case 4: values = (0..<n).map { Double(n - $0) }
            default: values = (0..<n).map { _ in Double(r.int(0..<1000)) * 0.25 - 100 }
            }
            var portable = values
            portable.withUnsafeMutableBufferPointer { mlops_sort_doubles(0, $0.baseAddress ?? UnsafeMutablePointer(bitPattern: 8)!, $0.count) }
            #expect(portable == values.sorted(), "round \(round)")
            for isa in kernelPaths.dropFirst() {
                var a = values
                a.withUnsafeMutableBufferPointer { mlops_sort_doubles(Int32(isa), $0.baseAddress ?? UnsafeMutablePointer(bitPattern: 8)!, $0.count) }
                #expect(a.map(\.bitPattern) == portable.map(\.bitPattern), "round \(round), path \(isa), \(n) values")
            }
        }
    }

    /// One KLL compaction step (every other value of a sorted level merged into the next level) on
    /// every path against a plain stable merge, bit for bit: ties, -0.0 beside 0.0, runs of every
    /// length around the AVX-512 path's blocks of eight.
    @Test func kllMergeHalfPathsGiveTheStableMerge() {
        var r = Rng(28)
        for round in 0..<6000 {
            let old = r.int(0..<(round % 10 == 0 ? 1500 : 40)), count = r.int(0..<(round % 10 == 0 ? 1500 : 40))
            func value() -> Double {
                switch round % 4 {
                case 0: return Double(r.int(0..<6)) * 0.5
                case 1: return [0.0, -0.0, 1, -1][r.int(0..<4)]
                default: return r.normal() * 1e3
                }
            }
            let dst = (0..<old).map { _ in value() }.sorted(), src = (0..<count).map { _ in value() }.sorted()
            let coin = r.int(0..<2), promote = (count - (count & 1)) / 2, first = (count & 1) + coin
            let promoted = (0..<promote).map { src[first + 2 * $0] }
            // The stable merge: old values first among equals.
            var want: [Double] = [], i = 0, j = 0
            while i < old || j < promote {
                if j >= promote || (i < old && !(promoted[j] < dst[i])) { want.append(dst[i]); i += 1 } else { want.append(promoted[j]); j += 1 }
            }
            for isa in kernelPaths {
                var got = dst + [Double](repeating: 0, count: promote)
                got.withUnsafeMutableBufferPointer { d in
                    src.withUnsafeBufferPointer { mlops_kll_merge_half(Int32(isa), d.baseAddress ?? UnsafeMutablePointer(bitPattern: 8)!, old, $0.baseAddress ?? UnsafePointer(bitPattern: 8)!, count, Int32(coin), promote) }
                }
                #expect(got.map(\.bitPattern) == want.map(\.bitPattern), "round \(round), path \(isa), \(old) + \(promote)")
            }
        }
    }

    /// mlops_classify and the column kernel (whose fast path reads 16 bytes at a time) against the
    /// reference rules, on every shape of number and on what only looks like one.
    @Test func valuesAreReadAsTheRulesSay() {
        var r = Rng(23)
        for _ in 0..<30_000 {
            let text = randomNumberText(&r)
            let bytes = Array(text.utf8)
            let want = referenceNumber(text)
            #expect(bytes.withUnsafeBufferPointer { sameNumber(parseNumber($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, $0.count), want) }, "\(text)")
            var x = 0.0, i: Int64 = 0
            let kind = bytes.withUnsafeBufferPointer { mlops_classify($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, $0.count, &x, &i) }
            // The same value as the only field of a record, with room to read past it (an empty
            // line is no record: the CSV reader makes it a null itself).
            if bytes.isEmpty { #expect(Int(kind) == MLOPS_VALUE_NULL); continue }
            let record = bytes + [0x0A] + [UInt8](repeating: 0x37, count: 48)
            var ends = [UInt32](repeating: 0, count: 1), used = 0
            var start: UInt32 = 0, length: UInt32 = 0, batchKind: UInt8 = 0, hash: UInt64 = 0, num = 0.0
            var stats = mlops_column_stats()
            record.withUnsafeBufferPointer { p in
                #expect(mlops_csv_scan(-1, p.baseAddress!, bytes.count + 1, 1, 0x09, 1, &ends, 1, &used) == 1)
                mlops_csv_column(p.baseAddress!, p.count, ends, 1, 0, 1, &start, &length, &batchKind, &hash, &num, &stats)
            }
            #expect(Int32(batchKind) == kind, "\(text)")
            switch Int(kind) {
            case MLOPS_VALUE_INT:
                #expect(sameNumber(want, .int(i)) && stats.int_min == i && num.bitPattern == Double(i).bitPattern, "\(text)")
            case MLOPS_VALUE_FLOAT:
                #expect(sameNumber(want, .float(x)) && stats.numerics == 1 && num.bitPattern == x.bitPattern, "\(text)")
            case MLOPS_VALUE_NONFINITE:
                #expect(sameNumber(want, .float(x)) && stats.nonfinite == 1 && stats.numerics == 0, "\(text)")
            case MLOPS_VALUE_NULL:
                #expect(["", "NA", "NaN", "nan", "null", "NULL", "None", "N/A"].contains(text))
            default:
                #expect(sameNumber(want, .none), "\(text) is a number but read as kind \(kind)")
                if Int(kind) != MLOPS_VALUE_STRING { #expect(x.bitPattern == num.bitPattern, "\(text)") }
            }
            if Int(kind) != MLOPS_VALUE_NULL { #expect(hash == valueHash(bytes), "\(text)") }
        }
    }

    /// Columns of a few texts that differ only in one byte or in their length around 8 and 16 bytes
    /// (where the column kernel's memo of repeated values keys on zero-padded words): every value
    /// read as mlops_classify and valueHash read it alone.
    /// The memo of repeated values changes nothing but the time: every output of the column kernel
    /// (places, kinds, hashes, numbers, counts, int range, moments) is what reading each value alone
    /// gives, past the first 128 values of a call too, where a column whose memo proved itself
    /// continues in a loop of its own.
    @Test func repeatedValuesAreReadAsAlone() {
        var r = Rng(26)
        let memo = UnsafeMutableRawBufferPointer.allocate(byteCount: mlops_column_memo_size(), alignment: 64)
        memo.initializeMemory(as: UInt8.self, repeating: 0)
        defer { memo.deallocate() }
        let stems = ["", "7", "77", "1234567", "12345678", "123456789", "-1.5", "true", "NA", "abcdefgh", "abcdefghi",
                     "abcdefghijklmnop", "abcdefghijklmnopq", "2024-01-01", "1e5", "inf"]
        for round in 0..<300 {
            // A pool of texts that share prefixes, so that a key that kept a byte past the value's end
            // (or dropped one) would find another text's results.
            var pool: [[UInt8]] = []
            for _ in 0..<r.int(1..<(round % 3 == 0 ? 200 : 12)) {
                var t = Array(stems[r.int(0..<stems.count)].utf8)
                if !t.isEmpty && r.uniform() < 0.5 { t[r.int(0..<t.count)] = UInt8(0x30 + r.int(0..<10)) }
                if r.uniform() < 0.3 { t = Array(t.prefix(r.int(0..<(t.count + 1)))) }
                pool.append(t)
            }
            let columns = r.int(1..<4)
            var b: [UInt8] = [], values: [[UInt8]] = []
            let records = r.int(1..<600)
            for _ in 0..<records {
                for c in 0..<columns {
                    let v = pool[r.int(0..<pool.count)]
                    values.append(v)
                    b += v
                    b.append(c < columns - 1 ? 0x2C : 0x0A)
                }
            }
            // Records with an empty only field are blank lines, which the scan leaves to the reader.
            if columns == 1 && values.contains([]) { continue }
            b += [UInt8](repeating: 0x39, count: 64)
            var ends = [UInt32](repeating: 0, count: columns * records), used = 0
            let scanned = b.withUnsafeBufferPointer { mlops_csv_scan(-1, $0.baseAddress!, b.count - 64, 0, 0x2C, columns, &ends, records, &used) }
            #expect(scanned == records)
            var starts = [UInt32](repeating: 0, count: records), lengths = starts
            var kinds = [UInt8](repeating: 0, count: records), hashes = [UInt64](repeating: 0, count: records), nums = [Double](repeating: 0, count: records)
            for c in 0..<columns {
                var stats = mlops_column_stats(), m = Moments().c
                b.withUnsafeBufferPointer { p in
                    withUnsafeMutablePointer(to: &m) { mp in
                        // Every other round with one memo kept over all rounds and columns (its entries
                        // depend only on the bytes), else one per call; moments every third round.
                        mlops_csv_column_fused(-1, p.baseAddress!, p.count, ends, columns, c, records, &starts, &lengths, &kinds, &hashes, &nums, &stats,
                                               round % 3 == 0 ? mp : nil, nil, 0, round % 2 == 0 ? memo.baseAddress : nil)
                    }
                }
                var numeric = 0
                var want = mlops_column_stats(), moments = Moments()
                want.int_min = .max
                want.int_max = .min
                var offset = 0
                for i in 0..<records {
                    let v = values[i * columns + c]
                    offset += values[(i * columns)..<(i * columns + c)].reduce(0) { $0 + $1.count + 1 }
                    #expect(Int(starts[i]) == offset && Int(lengths[i]) == v.count, "round \(round): value \(i) at \(starts[i]), \(lengths[i]) bytes")
                    offset += values[(i * columns + c)..<((i + 1) * columns)].reduce(0) { $0 + $1.count + 1 }
                    var x = 0.0, iv: Int64 = 0
                    let kind = v.withUnsafeBufferPointer { mlops_classify($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, $0.count, &x, &iv) }
                    #expect(Int32(kinds[i]) == kind, "round \(round): \(String(decoding: v, as: UTF8.self))")
                    if Int(kind) != MLOPS_VALUE_NULL { #expect(hashes[i] == valueHash(v), "round \(round): \(String(decoding: v, as: UTF8.self))") }
                    switch Int(kind) {
                    case MLOPS_VALUE_NULL: want.nulls += 1
                    case MLOPS_VALUE_INT: want.ints += 1; want.int_min = min(want.int_min, iv); want.int_max = max(want.int_max, iv)
                    case MLOPS_VALUE_FLOAT: want.floats += 1
                    case MLOPS_VALUE_NONFINITE: want.floats += 1; want.nonfinite += 1
                    case MLOPS_VALUE_BOOL: want.bools += 1
                    case MLOPS_VALUE_DATETIME: want.datetimes += 1
                    default: want.strings += 1
                    }
                    if [MLOPS_VALUE_INT, MLOPS_VALUE_FLOAT, MLOPS_VALUE_BOOL, MLOPS_VALUE_DATETIME].contains(Int(kind)) {
                        #expect(nums[numeric].bitPattern == x.bitPattern, "round \(round): \(String(decoding: v, as: UTF8.self))")
                        moments.add(x)
                        numeric += 1
                    }
                }
                #expect(Int(stats.numerics) == numeric)
                #expect(stats.nulls == want.nulls && stats.ints == want.ints && stats.floats == want.floats && stats.nonfinite == want.nonfinite
                        && stats.bools == want.bools && stats.datetimes == want.datetimes && stats.strings == want.strings, "round \(round), column \(c): counts")
                #expect(want.ints == 0 || (stats.int_min == want.int_min && stats.int_max == want.int_max), "round \(round), column \(c): int range")
                if round % 3 == 0 {
                    #expect(m.s1.bitPattern == moments.c.s1.bitPattern && m.s2.bitPattern == moments.c.s2.bitPattern && m.batch_n == moments.c.batch_n
                            && m.folded_n == moments.c.folded_n && m.folded_m2.bitPattern == moments.c.folded_m2.bitPattern
                            && m.min.bitPattern == moments.c.min.bitPattern && m.max.bitPattern == moments.c.max.bitPattern, "round \(round), column \(c): moments")
                }
            }
        }
    }

    /// The column kernel with moments and HyperLogLog (the path of columns of many distinct values,
    /// which reads eight plain numbers at a time in AVX-512) against value-by-value reading: the same
    /// kinds, numbers, ranges, registers and moments, bit for bit, on every path. Columns of plain
    /// numbers of every length and shape, with odd values now and then so that groups fall back.
    @Test func fusedColumnKernelMatchesValueByValue() {
        var r = Rng(27)
        func digits(_ n: Int) -> String { String((0..<n).map { _ in Character(UnicodeScalar(UInt8(0x30 + r.int(0..<10)))) }) }
        for round in 0..<400 {
            let columns = r.int(1..<4), records = r.int(1..<700)
            let odd = [0.0, 0.001, 0.05][round % 3]
            var b: [UInt8] = [], values: [[UInt8]] = []
            for _ in 0..<records {
                for c in 0..<columns {
                    let sign = r.uniform() < 0.3 ? "-" : ""
                    var v: String
                    if r.uniform() < odd {
                        v = randomNumberText(&r)
                        if v.isEmpty && columns == 1 { v = "x" }  // an empty only field is a blank line
                    } else {
                        switch (round + c) % 4 {
                        case 0: v = sign + digits(r.int(1..<17))
                        case 1: let w = r.int(0..<15); v = sign + digits(w) + "." + digits(r.int((w == 0 ? 1 : 0)..<(17 - w)))
                        case 2: v = sign + digits(r.int(1..<8)) + (r.uniform() < 0.5 ? "." + digits(r.int(0..<8)) : "")
                        default: v = ["0", "-0", "-0.0", "0.", ".5", "-.25", "007", "9999999999999999", "-9999999999999999", "123456789012345.", "1.23456789012345"][r.int(0..<11)]
                        }
                    }
                    let bytes = Array(v.utf8)
                    values.append(bytes)
                    b += bytes
                    if c < columns - 1 { b.append(0x2C) } else { b += r.uniform() < 0.2 ? [0x0D, 0x0A] : [0x0A] }
                }
            }
            // Sometimes no slack after the data, so that the last groups are read one at a time.
            let slack = round % 5 == 0 ? 0 : 64
            b += [UInt8](repeating: 0x39, count: slack)
            var ends = [UInt32](repeating: 0, count: columns * records), used = 0
            let scanned = b.withUnsafeBufferPointer { mlops_csv_scan(-1, $0.baseAddress!, b.count - slack, 1, 0x2C, columns, &ends, records, &used) }
            #expect(scanned == records, "round \(round)")
            guard scanned == records else { continue }
            for c in 0..<columns {
                // The reference: each value alone.
                var hll = HyperLogLog(), moments = Moments(), numbers: [Double] = []
                var ints: Int64 = 0, floats: Int64 = 0, nulls: Int64 = 0, intMin = Int64.max, intMax = Int64.min
                for i in 0..<records {
                    let v = values[i * columns + c]
                    var x = 0.0, iv: Int64 = 0
                    let kind = Int(v.withUnsafeBufferPointer { mlops_classify($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, $0.count, &x, &iv) })
                    if kind == MLOPS_VALUE_NULL { nulls += 1; continue }
                    hll.add(hash: valueHash(v))
                    if kind == MLOPS_VALUE_INT { ints += 1; intMin = min(intMin, iv); intMax = max(intMax, iv) }
                    if kind == MLOPS_VALUE_FLOAT || kind == MLOPS_VALUE_NONFINITE { floats += 1 }
                    if [MLOPS_VALUE_INT, MLOPS_VALUE_FLOAT, MLOPS_VALUE_BOOL, MLOPS_VALUE_DATETIME].contains(kind) { numbers.append(x); moments.add(x) }
                }
                for isa in kernelPaths {
                    var registers = [UInt8](repeating: 0, count: HyperLogLog.registerCount)
                    var nums = [Double](repeating: 0, count: records), stats = mlops_column_stats(), m = Moments().c
                    b.withUnsafeBufferPointer { p in
                        mlops_csv_column_fused(Int32(isa), p.baseAddress!, p.count, ends, columns, c, records, nil, nil, nil, nil, &nums, &stats,
                                               &m, &registers, Int32(HyperLogLog.precision), nil)
                    }
                    var got = Moments()
                    got.c = m
                    let same = registers == hll.registers && stats.nulls == nulls && stats.ints == ints && stats.floats == floats
                        && Array(nums[..<Int(stats.numerics)]).map(\.bitPattern) == numbers.map(\.bitPattern)
                        && (ints == 0 || (stats.int_min == intMin && stats.int_max == intMax))
                        && got.c.folded_mean.bitPattern == moments.c.folded_mean.bitPattern && got.c.folded_m2.bitPattern == moments.c.folded_m2.bitPattern
                        && got.c.s1.bitPattern == moments.c.s1.bitPattern && got.c.s2.bitPattern == moments.c.s2.bitPattern
                        && got.c.batch_n == moments.c.batch_n && got.c.folded_n == moments.c.folded_n && got.min == moments.min && got.max == moments.max
                    #expect(same, "round \(round), column \(c), path \(isa)")
                }
            }
        }
    }

    @Test func utf8CheckFindsTheFirstBadByte() {
        var r = Rng(24)
        let pieces: [[UInt8]] = [[0x61], [0x7A], [0xC3, 0xA9], [0xE2, 0x82, 0xAC], [0xF0, 0x9F, 0x98, 0x80], [0xED, 0x9F, 0xBF], [0xEF, 0xBF, 0xBD]]
        let bad: [[UInt8]] = [[0x80], [0xC0, 0x80], [0xC3], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xF5], [0xFF], [0xE2, 0x82]]
        for round in 0..<5000 {
            var b: [UInt8] = []
            let n = r.int(0..<(round % 10 == 0 ? 2000 : 150))
            while b.count < n {
                if r.uniform() < 0.7 { b += [UInt8](repeating: 0x61, count: r.int(1..<80)) }
                b += pieces[r.int(0..<pieces.count)]
            }
            if r.uniform() < 0.5 { b.insert(contentsOf: bad[r.int(0..<bad.count)], at: r.int(0..<(b.count + 1))) }
            // Swift's own decoder: where its first error starts.
            var want = b.count, offset = 0
            var parser = Unicode.UTF8.ForwardParser()
            var it = b.makeIterator()
            decoding: while true {
                switch parser.parseScalar(from: &it) {
                case .valid(let s): offset += s.count
                case .error: want = offset; break decoding
                case .emptyInput: break decoding
                }
            }
            let got = b.withUnsafeBufferPointer { mlops_utf8_invalid($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, $0.count) }
            #expect(got == want, "round \(round)")
        }
    }

    /// The batch path (runs of records column by column, listing in bulk) gives exactly the profile
    /// of adding each field as a text value, through every state of the category table: exact,
    /// folded by a long or a new value, and saturated; with quoted rows and blank lines between runs.
    @Test func batchesGiveTheProfileOfValueByValue() throws {
        var r = Rng(25)
        let names = ["num", "few", "grows", "mixed", "last"]
        var rows: [[String]] = [], text = names.joined(separator: ",") + "\n"
        for i in 0..<40_000 {
            let few = r.uniform() < 0.001 ? String(repeating: "long", count: 70) : "c\(r.int(0..<20))"
            let grows = i < 15_000 ? "\(r.int(0..<50))" : (i < 25_000 ? "g\(r.int(0..<3000))" : "\(r.normal())")
            let mixed = [randomNumberText(&r), "x\(i % 7)", "2024-01-0\(1 + i % 9)", "true", ""][r.int(0..<5)]
            let row = [randomNumberText(&r), few, grows, mixed, ["1.5", "-0.0", "7", ""][r.int(0..<4)]]
            rows.append(row)
            let quoted = r.uniform() < 0.002
            text += row.enumerated().map { quoted && $0.offset == 1 ? "\"\($0.element)\"" : $0.element }.joined(separator: ",")
            text += r.uniform() < 0.3 ? "\r\n" : "\n"
            if r.uniform() < 0.001 { text += "\n" }
        }
        let p = try profileOf(text, options: ProfileOptions(threads: 1, blockSize: 1 << 26))
        var columns = names.map { ColumnProfile.accumulator(name: $0, seed: blockSeed(0)) }
        for row in rows {
            for (c, v) in row.enumerated() { Array(v.utf8).withUnsafeBufferPointer { columns[c].addText($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, $0.count) } }
        }
        for c in columns.indices { columns[c].finish() }
        let want = Profile(format: "csv", columns: names.map { ColumnProfile(name: $0, seed: blockSeed(-1)) })
            .merged(with: Profile(format: "csv", rows: Int64(rows.count), columns: columns))
        #expect(p.rows == want.rows)
        for (a, b) in zip(p.columns, want.columns) {
            #expect(a == b, "\(a.name)")
            #expect(a.json.canonical == b.json.canonical, "\(a.name)")
        }
        #expect(p.column("grows")!.categories.maxError > 0 && p.column("num")!.categories.maxError > 0, "tables were cut")
    }
}
