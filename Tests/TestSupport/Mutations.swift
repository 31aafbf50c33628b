/// Deterministic random and mutated inputs for the property tests of parsers: valid encodings with bits
/// flipped, bytes replaced, cut short, lines duplicated, numbers made huge, NULs and invalid UTF-8
/// inserted, and binary fields set to extreme values. The same seed gives the same inputs, so a
/// failure names an iteration that reproduces.
public struct Mutator {
    private var state: UInt64

    public init(seed: UInt64) { state = seed &* 0x9E3779B97F4A7C15 &+ 0x632BE59BD9B4E019 }

    /// splitmix64.
    public mutating func next() -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }

    /// A number in `0..<n` (0 when `n` is 0).
    public mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : Int(next() % UInt64(n)) }

    public mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) } }

    public mutating func pick<T>(_ from: [T]) -> T { from[below(from.count)] }

    static let interestingBytes: [UInt8] = [0, 0xff, 0x7f, 0x80, 0x0a, 0x0d, 0x20, 0x09, 0x25, 0x2f, 0x2e, 0x3a, 0x2d,
                                            0x5b, 0x5d, 0x7b, 0x7d, 0x2a, 0x26, 0x22, 0x5c, 0x3f, 0x23, 0x21]
    static let hugeNumbers = ["18446744073709551615", "18446744073709551616", "9223372036854775807", "9223372036854775808",
                              "-9223372036854775808", "-1", "0", "4294967295", "4294967296", "2147483648",
                              "99999999999999999999999999999999", "1e999", "-1e999", "1e-999", "0.0000001", "NaN", "-0",
                              "007", "1_000", "0x10", "+1", "1.5", "4611686018427387904", "9007199254740993"]
    static let invalidUTF8: [[UInt8]] = [[0xff], [0xc3, 0x28], [0xe2, 0x28, 0xa1], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80],
                                         [0xc0, 0xaf], [0xf0, 0x9f, 0x98]]
    static let extremes: [UInt64] = [0, 1, 0xff, 0xffff, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff, 0x1_0000_0000,
                                     0x7fff_ffff_ffff_ffff, 0x8000_0000_0000_0000, 0xffff_ffff_ffff_ffff]

    /// `input` with one mutation half of the time, else two to four.
    public mutating func mutate(_ input: [UInt8]) -> [UInt8] {
        var b = input
        for _ in 0..<(below(2) == 0 ? 1 : 2 + below(3)) { mutateOnce(&b) }
        return b
    }

    private mutating func mutateOnce(_ b: inout [UInt8]) {
        let at = below(b.count + 1)
        switch below(13) {
        case 0 where !b.isEmpty:
            b[below(b.count)] ^= 1 << UInt8(below(8))
        case 1 where !b.isEmpty:
            b[below(b.count)] = pick(Mutator.interestingBytes)
        case 2:
            b.removeLast(b.count - at)
        case 3 where !b.isEmpty:
            let from = below(b.count)
            b.removeSubrange(from..<min(b.count, from + 1 + below(16)))
        case 4:
            b.insert(contentsOf: bytes(1 + below(8)), at: at)
        case 5:
            // Duplicate a line (or repeat one many times).
            let lines = lineRanges(b)
            guard !lines.isEmpty else { return }
            let l = pick(lines)
            let copies = below(8) == 0 ? 1 + below(200) : 1
            b.insert(contentsOf: Array(repeating: Array(b[l]), count: copies).joined(), at: l.upperBound)
        case 6:
            // Replace one to three numbers (or insert one) with huge or odd numbers, from the last so
            // that the ranges stay valid.
            let runs = numbers(b)
            guard !runs.isEmpty else { b.insert(contentsOf: Array(pick(Mutator.hugeNumbers).utf8), at: at); return }
            let chosen = Set((0...below(3)).map { _ in below(runs.count) }).sorted(by: >)
            for k in chosen { b.replaceSubrange(runs[k], with: Array(pick(Mutator.hugeNumbers).utf8)) }
        case 7:
            b.insert(0, at: at)
        case 8:
            b.insert(contentsOf: pick(Mutator.invalidUTF8), at: at)
        case 9 where b.count >= 8:
            // Overwrite a little-endian field, aligned or not, with an extreme value.
            let width = pick([1, 2, 4, 8])
            let off = below(b.count - width + 1)
            let v = pick(Mutator.extremes)
            for k in 0..<width { b[off + k] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(k))) }
        case 10:
            // Swap two lines.
            let lines = lineRanges(b)
            guard lines.count >= 2 else { return }
            let (x, y) = (pick(lines), pick(lines))
            guard x.upperBound <= y.lowerBound else { return }
            let (lx, ly) = (Array(b[x]), Array(b[y]))
            b.replaceSubrange(y, with: lx)
            b.replaceSubrange(x, with: ly)
        case 11 where !b.isEmpty:
            // Copy a piece of the input elsewhere in it.
            let from = below(b.count)
            let piece = Array(b[from..<min(b.count, from + 1 + below(64))])
            b.insert(contentsOf: piece, at: below(b.count + 1))
        default:
            b.insert(contentsOf: Array(pick(["\n", " ", "\r\n", "\t", "..", "/", "%", "\\u", "\\ud800", "&a ", "*a ", "[", "{", "? ", "- ", ": "]).utf8), at: at)
        }
    }

    private func lineRanges(_ b: [UInt8]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var start = 0
        for (i, c) in b.enumerated() where c == 0x0a {
            out.append(start..<(i + 1))
            start = i + 1
        }
        if start < b.count { out.append(start..<b.count) }
        return out
    }

    /// Runs of digits that stand alone (not inside a hex id or a word), or any runs of digits when
    /// there are none of those.
    private func numbers(_ b: [UInt8]) -> [Range<Int>] {
        func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
        func isWord(_ c: UInt8) -> Bool { isDigit(c) || (c | 0x20 >= 0x61 && c | 0x20 <= 0x7a) }
        var all: [Range<Int>] = []
        var start: Int?
        for (i, c) in b.enumerated() {
            if isDigit(c), start == nil { start = i }
            if !isDigit(c), let s = start { all.append(s..<i); start = nil }
        }
        if let s = start { all.append(s..<b.count) }
        let alone = all.filter { r in (r.lowerBound == 0 || !isWord(b[r.lowerBound - 1])) && (r.upperBound == b.count || !isWord(b[r.upperBound])) }
        return alone.isEmpty ? all : alone
    }
}

extension Mutator: RandomNumberGenerator {}

/// Runs `body` on `iterations` inputs: mostly mutations of `seeds`, some random bytes, and the seeds
/// themselves. `body` returns whether the parser accepted the input (it throws, or returns nil, to
/// reject it); a crash is a failure of the whole test process. Returns how many were accepted and
/// rejected, so that a test can check that both happened.
public func mutationRun(seeds: [[UInt8]], iterations: Int, seed: UInt64,
                        _ body: ([UInt8]) -> Bool) -> (accepted: Int, rejected: Int) {
    var m = Mutator(seed: seed)
    var accepted = 0, rejected = 0
    for i in 0..<iterations {
        let input: [UInt8]
        if i < seeds.count { input = seeds[i] } else if m.below(20) == 0 { input = m.bytes(m.below(256)) } else { input = m.mutate(m.pick(seeds)) }
        if body(input) { accepted += 1 } else { rejected += 1 }
    }
    return (accepted, rejected)
}
