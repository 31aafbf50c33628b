import Foundation

// How a live value's text is read (docs/monitoring.md, "Values"): the same null tokens and number
// syntax as profiles use, so that live values and training values mean the same.

enum LiveText {
    private static let exact10: [Double] = (0...22).map { pow(10.0, Double($0)) }

    /// A decimal number (`-12`, `3.5`, `.5`, `1e-3`, `inf`) as a double; nil when the text is not one.
    @inline(__always)
    static func number(_ p: UnsafePointer<UInt8>, _ n: Int) -> Double? {
        guard n > 0 else { return nil }
        var i = 0
        let negative = p[0] == UInt8(ascii: "-")
        if negative || p[0] == UInt8(ascii: "+") { i = 1 }
        var m: UInt64 = 0
        var significant = 0
        var scale = 0
        var digits = 0
        var lost = false
        while i < n {
            let d = p[i] &- 0x30
            if d >= 10 { break }
            if significant < 19 {
                m = m &* 10 &+ UInt64(d)
                if m != 0 { significant += 1 }
            } else {
                scale += 1
                lost = true
            }
            digits += 1
            i += 1
        }
        if i < n && p[i] == UInt8(ascii: ".") {
            i += 1
            while i < n {
                let d = p[i] &- 0x30
                if d >= 10 { break }
                if significant < 19 {
                    m = m &* 10 &+ UInt64(d)
                    if m != 0 { significant += 1 }
                    scale -= 1
                } else if d != 0 {
                    lost = true
                }
                digits += 1
                i += 1
            }
        }
        if digits == 0 { return infinity(p, n, from: i, negative) }
        if i < n {
            guard p[i] | 0x20 == UInt8(ascii: "e") else { return nil }
            i += 1
            var eNegative = false
            if i < n && (p[i] == UInt8(ascii: "-") || p[i] == UInt8(ascii: "+")) { eNegative = p[i] == UInt8(ascii: "-"); i += 1 }
            var e = 0, eDigits = 0
            while i < n {
                let d = p[i] &- 0x30
                if d >= 10 { return nil }
                if e < 100_000 { e = e * 10 + Int(d) }
                eDigits += 1
                i += 1
            }
            guard eDigits > 0 else { return nil }
            scale += eNegative ? -e : e
        }
        // Exact when the digits and the power of ten are both exact doubles (Clinger's fast path).
        if !lost && m < (1 << 53) && scale >= -22 && scale <= 22 {
            let v = scale < 0 ? Double(m) / exact10[-scale] : Double(m) * exact10[scale]
            return negative ? -v : v
        }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: n + 1) { buf in
            for j in 0..<n { buf[j] = CChar(bitPattern: p[j]) }
            buf[n] = 0
            return strtod(buf.baseAddress!, nil)
        }
    }

    private static func infinity(_ p: UnsafePointer<UInt8>, _ n: Int, from i: Int, _ negative: Bool) -> Double? {
        let rest = String(decoding: UnsafeBufferPointer(start: p + i, count: n - i), as: UTF8.self).lowercased()
        return rest == "inf" || rest == "infinity" ? (negative ? -.infinity : .infinity) : nil
    }

    static func isNumber(_ s: String) -> Bool {
        let b = Array(s.utf8)
        return b.withUnsafeBufferPointer { $0.baseAddress.map { number($0, b.count) != nil } ?? false }
    }

    /// "", NA, N/A, NaN, nan, null, NULL, None: a missing value in CSV.
    @inline(__always)
    static func isNull(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        switch n {
        case 0: return true
        case 2: return p[0] == UInt8(ascii: "N") && p[1] == UInt8(ascii: "A")
        case 3: return matches(p, n, "N/A") || matches(p, n, "NaN") || matches(p, n, "nan")
        case 4: return matches(p, n, "null") || matches(p, n, "NULL") || matches(p, n, "None")
        default: return false
        }
    }

    @inline(__always)
    static func matches(_ p: UnsafePointer<UInt8>, _ n: Int, _ word: StaticString) -> Bool {
        n == word.utf8CodeUnitCount && memcmp(p, word.utf8Start, n) == 0
    }

    /// Whether an error flag's text says the request failed: true (any case), a non-zero number, or
    /// any other non-empty text but false/0/no and the null tokens.
    static func isTrue(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        if isNull(p, n) { return false }
        if let d = number(p, n) { return d != 0 }
        let t = String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self).lowercased()
        return t != "false" && t != "no"
    }

    /// Seconds since 1970 from a number, or from ISO 8601 `YYYY-MM-DD[(T| )HH:MM[:SS[.fff]]][Z|±HH[:]MM]`.
    static func time(_ p: UnsafePointer<UInt8>, _ n: Int) -> Double? {
        if let d = number(p, n) { return d.isFinite ? d : nil }
        let s = Array(UnsafeBufferPointer(start: p, count: n))
        func digits(_ at: Int, _ len: Int) -> Int? {
            guard at + len <= s.count else { return nil }
            var v = 0
            for c in s[at..<at + len] {
                guard c &- 0x30 < 10 else { return nil }
                v = v * 10 + Int(c - 0x30)
            }
            return v
        }
        guard s.count >= 10, s[4] == UInt8(ascii: "-"), s[7] == UInt8(ascii: "-"),
              let y = digits(0, 4), let mo = digits(5, 2), let d = digits(8, 2), (1...12).contains(mo), (1...31).contains(d) else { return nil }
        // Days since 1970 (Howard Hinnant's days_from_civil).
        let yy = mo <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1
        var t = Double((era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468) * 86_400)
        var i = 10
        if i < s.count && (s[i] == UInt8(ascii: "T") || s[i] == UInt8(ascii: " ")) {
            guard let hh = digits(i + 1, 2), s.count > i + 3, s[i + 3] == UInt8(ascii: ":"), let mm = digits(i + 4, 2), hh < 24, mm < 60 else { return nil }
            t += Double(hh * 3600 + mm * 60)
            i += 6
            if i < s.count && s[i] == UInt8(ascii: ":") {
                guard let ss = digits(i + 1, 2), ss <= 60 else { return nil }
                t += Double(ss)
                i += 3
                if i < s.count && s[i] == UInt8(ascii: ".") {
                    i += 1
                    var f = 0.1
                    let start = i
                    while i < s.count, s[i] &- 0x30 < 10 { t += Double(s[i] - 0x30) * f; f /= 10; i += 1 }
                    guard i > start else { return nil }
                }
            }
        }
        if i == s.count { return t }
        if s[i] == UInt8(ascii: "Z") { return i + 1 == s.count ? t : nil }
        guard s[i] == UInt8(ascii: "+") || s[i] == UInt8(ascii: "-"), let oh = digits(i + 1, 2), oh < 24 else { return nil }
        let om: Int?
        switch s.count - (i + 3) {
        case 0: om = 0
        case 2: om = digits(i + 3, 2)
        case 3: om = s[i + 3] == UInt8(ascii: ":") ? digits(i + 4, 2) : nil
        default: om = nil
        }
        guard let om, om < 60 else { return nil }
        let offset = Double(oh * 3600 + om * 60)
        return s[i] == UInt8(ascii: "+") ? t - offset : t + offset
    }

    /// The class a label or prediction names: numbers by value (`1`, `1.0` and `1e0` are class `1`),
    /// anything else by its text. Writes the key into `out`.
    @inline(__always)
    static func classKey(_ p: UnsafePointer<UInt8>, _ n: Int, into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        if n > 0, p[0] &- 0x30 < 10 || p[0] == UInt8(ascii: "-") || p[0] == UInt8(ascii: "+") || p[0] == UInt8(ascii: "."),
           let d = number(p, n), d.isFinite {
            if d == d.rounded(), abs(d) < 1e15 {
                out.append(contentsOf: String(Int64(d)).utf8)
            } else {
                out.append(contentsOf: "\(d)".utf8)
            }
            return
        }
        out.append(contentsOf: UnsafeBufferPointer(start: p, count: n))
    }
}
