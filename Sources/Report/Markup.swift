import Foundation
import MLOpsBasics

/// A piece of HTML or SVG. Every `String` interpolated into it is escaped, so text from notes, metrics
/// files and commit messages can only ever be text: markup is made only from literals and other
/// `Markup` values.
public struct Markup: ExpressibleByStringInterpolation, Sendable, Equatable {
    public private(set) var html: String

    public init(stringLiteral value: String) { html = value }
    public init(stringInterpolation: Interpolation) { html = stringInterpolation.out }
    init(raw: String) { html = raw }

    public static let empty = Markup(raw: "")

    public static func + (a: Markup, b: Markup) -> Markup { Markup(raw: a.html + b.html) }
    public static func += (a: inout Markup, b: Markup) { a.html += b.html }

    public struct Interpolation: StringInterpolationProtocol {
        var out = ""
        public init(literalCapacity: Int, interpolationCount: Int) { out.reserveCapacity(literalCapacity + 16 * interpolationCount) }
        public mutating func appendLiteral(_ s: String) { out += s }
        /// Text: escaped for element content and quoted attribute values alike.
        public mutating func appendInterpolation(_ s: String) { Markup.escape(s, into: &out) }
        public mutating func appendInterpolation(_ m: Markup) { out += m.html }
        public mutating func appendInterpolation(_ ms: [Markup]) { for m in ms { out += m.html } }
        public mutating func appendInterpolation(_ n: Int) { out += String(n) }
        /// A coordinate or length, to a tenth.
        public mutating func appendInterpolation(_ d: Double) { out += Markup.coordinate(d) }
    }

    /// Escapes `& < > " '`, and shows bidirectional controls and other invisible control characters as
    /// `[U+202E]`, so that no text can reorder what is around it or hide in plain sight (CVE-2021-42574).
    public static func escape(_ s: String) -> String {
        var out = ""
        escape(s, into: &out)
        return out
    }

    static func escape(_ s: String, into out: inout String) {
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\n", "\t": out.unicodeScalars.append(u)
            default:
                if isHidden(u) {
                    let h = String(u.value, radix: 16, uppercase: true)
                    out += "[U+" + String(repeating: "0", count: max(0, 4 - h.count)) + h + "]"
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
    }

    /// Control characters (C0, DEL, C1), bidirectional embeddings, overrides, isolates and marks,
    /// zero-width characters, and noncharacters.
    static func isHidden(_ u: Unicode.Scalar) -> Bool {
        switch u.value {
        case 0..<0x20, 0x7F...0x9F: return true
        case 0x061C, 0x200B...0x200F, 0x202A...0x202E, 0x2060...0x2069, 0xFEFF: return true
        case 0xFFF9...0xFFFB, 0xFFFE, 0xFFFF: return true
        default: return false
        }
    }

    /// `12.3`, `-4`, `0`: a tenth is finer than a pixel; non-finite values (which a chart never
    /// places) become 0 rather than `nan` in an attribute.
    static func coordinate(_ d: Double) -> String {
        guard d.isFinite, abs(d) < 1e12 else { return "0" }
        let t = Int64((d * 10).rounded())
        let whole = t / 10, tenth = abs(t % 10)
        let sign = t < 0 && whole == 0 ? "-" : ""
        return tenth == 0 ? sign + String(whole) : sign + String(whole) + "." + String(tenth)
    }

    /// Joins pieces with a separator.
    static func join(_ parts: [Markup], _ separator: Markup = .empty) -> Markup {
        var out = ""
        for (i, p) in parts.enumerated() {
            if i > 0 { out += separator.html }
            out += p.html
        }
        return Markup(raw: out)
    }

    /// An id or file-name fragment made only of `[a-z0-9-]`: safe in `id`, `href` and file names
    /// whatever the input (a stage name from a note may hold anything).
    static func slug(_ s: String) -> String {
        var out = ""
        for u in s.lowercased().unicodeScalars {
            if (u >= "a" && u <= "z") || (u >= "0" && u <= "9") {
                out.unicodeScalars.append(u)
            } else if !out.hasSuffix("-") {
                out += "-"
            }
            if out.count >= 40 { break }
        }
        let trimmed = out.trimmingCharacters(in: CharacterSet(charactersIn: "-"))
        // Different names can share a slug: the hash of the name keeps ids apart.
        let h = ObjectID.hashing(Array(s.utf8)).hex.prefix(6)
        return (trimmed.isEmpty ? "x" : trimmed) + "-" + h
    }
}
