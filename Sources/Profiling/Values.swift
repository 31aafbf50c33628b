import CKernels
import Foundation

// How one text value is read: null, a number, a bool, a datetime or a string (docs/validation.md,
// "Values"). The rules are C (CKernels, profiling.c), shared by every reader and by the CSV batch path.

enum Number {
    case none
    case int(Int64)
    case float(Double)
}

/// Parses `[+-]digits` as an integer, or `[+-](digits[.digits]|.digits)([eE][+-]digits)` and
/// `[+-]inf`/`[+-]infinity` (any case) as a float. Anything else (spaces included) is not a number.
@inline(__always)
func parseNumber(_ p: UnsafePointer<UInt8>, _ n: Int) -> Number {
    var i: Int64 = 0, d = 0.0
    switch mlops_parse_number(p, n, &i, &d) {
    case 1: return .int(i)
    case 2: return .float(d)
    default: return .none
    }
}

/// true, True, TRUE, false, False, FALSE.
@inline(__always)
func parseBool(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool? {
    switch mlops_parse_bool(p, n) {
    case 1: return true
    case 0: return false
    default: return nil
    }
}

/// ISO 8601 `YYYY-MM-DD`, optionally followed by `T` or a space, `HH:MM[:SS[.fraction]]` and `Z` or
/// `±HH[:]MM`, as seconds since 1970-01-01T00:00:00Z (UTC when no offset is given).
@inline(__always)
func parseDatetime(_ p: UnsafePointer<UInt8>, _ n: Int) -> Double? {
    var t = 0.0
    return mlops_parse_datetime(p, n, &t) != 0 ? t : nil
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
