import Foundation

// How one text value is read: null, a number, a bool, a datetime or a string (docs/validation.md,
// "Values"). Pure functions on bytes, on the hot path of every reader.

enum Number {
    case none
    case int(Int64)
    case float(Double)
}

private let pow10: [Double] = (0...22).map { pow(10.0, Double($0)) }

@inline(__always) private func isDigit(_ c: UInt8) -> Bool { c &- 0x30 < 10 }

/// Parses `[+-]digits` as an integer, or `[+-](digits[.digits]|.digits)([eE][+-]digits)` and
/// `[+-]inf`/`[+-]infinity` (any case) as a float. Anything else (spaces included) is not a number.
@inline(__always)
func parseNumber(_ p: UnsafePointer<UInt8>, _ n: Int) -> Number {
    guard n > 0 else { return .none }
    var i = 0
    var negative = false
    if p[0] == UInt8(ascii: "-") || p[0] == UInt8(ascii: "+") { negative = p[0] == UInt8(ascii: "-"); i = 1 }
    guard i < n else { return .none }
    let c0 = p[i]
    if !isDigit(c0) && c0 != UInt8(ascii: ".") { return parseInfinity(p + i, n - i, negative) }
    var mantissa: UInt64 = 0
    var digits = 0          // significant digits kept in mantissa
    var dropped = 0         // integer digits beyond 19 (scale up)
    var intDigits = 0
    while i < n, isDigit(p[i]) {
        let d = UInt64(p[i] &- 0x30)
        if digits < 19 {
            if mantissa != 0 || d != 0 { digits += 1 }
            mantissa = mantissa &* 10 &+ d
        } else {
            dropped += 1
        }
        intDigits += 1
        i += 1
    }
    if i == n {
        // An integer: exact when it fits in Int64.
        if dropped == 0 {
            if !negative, mantissa <= UInt64(Int64.max) { return .int(Int64(mantissa)) }
            if negative, mantissa <= UInt64(Int64.max) + 1 { return .int(mantissa == UInt64(Int64.max) + 1 ? Int64.min : -Int64(mantissa)) }
        }
        return slowFloat(p, n)
    }
    var exp10 = dropped
    var fracDigits = 0
    var inexact = dropped > 0
    if p[i] == UInt8(ascii: ".") {
        i += 1
        while i < n, isDigit(p[i]) {
            let d = UInt64(p[i] &- 0x30)
            if digits < 19 {
                if mantissa != 0 || d != 0 { digits += 1 }
                mantissa = mantissa &* 10 &+ d
                exp10 -= 1
            } else if d != 0 {
                inexact = true
            }
            fracDigits += 1
            i += 1
        }
    }
    guard intDigits + fracDigits > 0 else { return .none }
    if i < n {
        guard p[i] == UInt8(ascii: "e") || p[i] == UInt8(ascii: "E") else { return .none }
        i += 1
        var eneg = false
        if i < n, p[i] == UInt8(ascii: "-") || p[i] == UInt8(ascii: "+") { eneg = p[i] == UInt8(ascii: "-"); i += 1 }
        guard i < n else { return .none }
        var e = 0
        while i < n, isDigit(p[i]) {
            if e < 100_000 { e = e * 10 + Int(p[i] &- 0x30) }
            i += 1
        }
        guard i == n else { return .none }
        exp10 += eneg ? -e : e
    }
    // Clinger's fast path: exact when the mantissa and the power of ten are both exact doubles.
    if !inexact, mantissa <= (1 << 53), exp10 >= -22, exp10 <= 22 {
        var v = Double(mantissa)
        v = exp10 < 0 ? v / pow10[-exp10] : v * pow10[exp10]
        return .float(negative ? -v : v)
    }
    return slowFloat(p, n)
}

private func parseInfinity(_ p: UnsafePointer<UInt8>, _ n: Int, _ negative: Bool) -> Number {
    func matches(_ word: StaticString) -> Bool {
        guard n == word.utf8CodeUnitCount else { return false }
        for j in 0..<n where p[j] | 0x20 != word.utf8Start[j] { return false }
        return true
    }
    return matches("inf") || matches("infinity") ? .float(negative ? -.infinity : .infinity) : .none
}

/// strtod on a NUL-terminated copy, for numbers the fast path cannot do exactly. The syntax has
/// already been checked.
private func slowFloat(_ p: UnsafePointer<UInt8>, _ n: Int) -> Number {
    withUnsafeTemporaryAllocation(of: CChar.self, capacity: n + 1) { buf in
        for j in 0..<n { buf[j] = CChar(bitPattern: p[j]) }
        buf[n] = 0
        return .float(strtod(buf.baseAddress!, nil))
    }
}

/// "", NA, N/A, NaN, nan, null, NULL, None.
@inline(__always)
func isNullToken(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
    switch n {
    case 0: return true
    case 2: return p[0] == UInt8(ascii: "N") && p[1] == UInt8(ascii: "A")
    case 3:
        let a = p[0], b = p[1], c = p[2]
        return (a == UInt8(ascii: "N") && b == UInt8(ascii: "/") && c == UInt8(ascii: "A"))
            || (a == UInt8(ascii: "N") && b == UInt8(ascii: "a") && c == UInt8(ascii: "N"))
            || (a == UInt8(ascii: "n") && b == UInt8(ascii: "a") && c == UInt8(ascii: "n"))
    case 4:
        let w = UnsafeRawPointer(p).loadUnaligned(as: UInt32.self)
        return w == word4("null") || w == word4("NULL") || w == word4("None")
    default: return false
    }
}

@inline(__always) private func word4(_ s: StaticString) -> UInt32 {
    UnsafeRawPointer(s.utf8Start).loadUnaligned(as: UInt32.self)
}

/// true, True, TRUE, false, False, FALSE.
@inline(__always)
func parseBool(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool? {
    if n == 4 {
        let w = UnsafeRawPointer(p).loadUnaligned(as: UInt32.self)
        if w == word4("true") || w == word4("True") || w == word4("TRUE") { return true }
    } else if n == 5 {
        let w = UnsafeRawPointer(p).loadUnaligned(as: UInt32.self)
        if p[4] == UInt8(ascii: "e") && (w == word4("fals") || w == word4("Fals")) { return false }
        if p[4] == UInt8(ascii: "E") && w == word4("FALS") { return false }
    }
    return nil
}

/// ISO 8601 `YYYY-MM-DD`, optionally followed by `T` or a space, `HH:MM[:SS[.fraction]]` and `Z` or
/// `±HH[:]MM`, as seconds since 1970-01-01T00:00:00Z (UTC when no offset is given).
@inline(__always)
func parseDatetime(_ p: UnsafePointer<UInt8>, _ n: Int) -> Double? {
    guard n >= 10, p[4] == UInt8(ascii: "-"), p[7] == UInt8(ascii: "-") else { return nil }
    func num(_ at: Int, _ len: Int) -> Int? {
        var v = 0
        for j in at..<at + len {
            guard isDigit(p[j]) else { return nil }
            v = v * 10 + Int(p[j] &- 0x30)
        }
        return v
    }
    guard let y = num(0, 4), let mo = num(5, 2), let d = num(8, 2), (1...12).contains(mo), d >= 1,
          d <= daysInMonth(y, mo) else { return nil }
    var seconds = Double(daysFromCivil(y, mo, d) * 86_400)
    var i = 10
    if i == n { return seconds }
    guard p[i] == UInt8(ascii: "T") || p[i] == UInt8(ascii: " "), n >= i + 6, p[i + 3] == UInt8(ascii: ":"),
          let hh = num(i + 1, 2), let mm = num(i + 4, 2), hh < 24, mm < 60 else { return nil }
    seconds += Double(hh * 3600 + mm * 60)
    i += 6
    if i < n, p[i] == UInt8(ascii: ":") {
        guard n >= i + 3, let ss = num(i + 1, 2), ss <= 60 else { return nil }
        seconds += Double(ss)
        i += 3
        if i < n, p[i] == UInt8(ascii: ".") {
            i += 1
            var scale = 0.1, frac = 0.0, count = 0
            while i < n, isDigit(p[i]) {
                if count < 9 { frac += Double(p[i] &- 0x30) * scale; scale /= 10 }
                count += 1; i += 1
            }
            guard count > 0 else { return nil }
            seconds += frac
        }
    }
    if i == n { return seconds }
    if p[i] == UInt8(ascii: "Z") { return i + 1 == n ? seconds : nil }
    guard p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-"), n - i >= 3, let oh = num(i + 1, 2), oh < 24 else { return nil }
    var om = 0
    let rest = n - i - 3
    if rest == 3, p[i + 3] == UInt8(ascii: ":"), let m = num(i + 4, 2) { om = m } else if rest == 2, let m = num(i + 3, 2) { om = m } else if rest != 0 { return nil }
    guard om < 60 else { return nil }
    let offset = Double(oh * 3600 + om * 60)
    return p[i] == UInt8(ascii: "+") ? seconds - offset : seconds + offset
}

func daysInMonth(_ y: Int, _ m: Int) -> Int {
    switch m {
    case 2: return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28
    case 4, 6, 9, 11: return 30
    default: return 31
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
    let y = m <= 2 ? y0 - 1 : y0
    let era = (y >= 0 ? y : y - 399) / 400
    let yoe = y - era * 400
    let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    return era * 146_097 + doe - 719_468
}

/// `YYYY-MM-DDTHH:MM:SS[.fff]Z` for seconds since the epoch, for tables.
func formatDatetime(_ t: Double) -> String {
    guard t.isFinite, abs(t) < 1e14 else { return String(t) }
    let whole = t.rounded(.down)
    var days = Int(whole) / 86_400
    var rem = Int(whole) % 86_400
    if rem < 0 { rem += 86_400; days -= 1 }
    // civil_from_days
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = doy - (153 * mp + 2) / 5 + 1
    let m = mp < 10 ? mp + 3 : mp - 9
    let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
    func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
    var s = "\(String(format: "%04d", y))-\(two(m))-\(two(d))T\(two(rem / 3600)):\(two(rem / 60 % 60)):\(two(rem % 60))"
    let frac = t - whole
    if frac > 0 { s += String(format: ".%03d", Int((frac * 1000).rounded(.down))) }
    return s + "Z"
}
