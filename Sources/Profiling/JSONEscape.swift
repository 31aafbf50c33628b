/// The escapes of RFC 8259 strings for the streaming JSON Lines readers (profiles here, live records
/// in Monitoring). Strict, unlike MLOpsBasics' JSON: a lone surrogate or an unknown escape is an error.
public enum JSONEscape {
    /// Decodes the escape that starts at `p[i]` (a backslash): appends its UTF-8 to `out` and moves `i`
    /// past it. Returns what is wrong instead when it is not a valid escape.
    @inline(__always)
    public static func decode(_ p: UnsafePointer<UInt8>, _ i: inout Int, end: Int, into out: inout [UInt8]) -> String? {
        guard i + 1 < end else { return "the string is not closed" }
        let e = p[i + 1]
        i += 2
        switch e {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e); return nil
        case UInt8(ascii: "b"): out.append(0x08); return nil
        case UInt8(ascii: "f"): out.append(0x0C); return nil
        case UInt8(ascii: "n"): out.append(0x0A); return nil
        case UInt8(ascii: "r"): out.append(0x0D); return nil
        case UInt8(ascii: "t"): out.append(0x09); return nil
        case UInt8(ascii: "u"): break
        default: return "an unknown escape \\\(UnicodeScalar(e))"
        }
        let lone = "a lone surrogate \\u escape"
        var v: UInt32 = 0
        if let bad = hex4(p, &i, end: end, &v) { return bad }
        if v >= 0xD800 && v < 0xDC00 {
            guard end - i >= 6, p[i] == UInt8(ascii: "\\"), p[i + 1] == UInt8(ascii: "u") else { return lone }
            i += 2
            var lo: UInt32 = 0
            if let bad = hex4(p, &i, end: end, &lo) { return bad }
            guard lo >= 0xDC00 && lo < 0xE000 else { return lone }
            v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00)
        } else if v >= 0xDC00 && v < 0xE000 {
            return lone
        }
        out.append(contentsOf: String(UnicodeScalar(v)!).utf8)
        return nil
    }

    /// Four hex digits at `p[i]` into `v`; what is wrong otherwise.
    static func hex4(_ p: UnsafePointer<UInt8>, _ i: inout Int, end: Int, _ v: inout UInt32) -> String? {
        guard end - i >= 4 else { return "a short \\u escape" }
        for _ in 0..<4 {
            let c = p[i]
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            default: return "a bad \\u escape"
            }
            v = v << 4 | d
            i += 1
        }
        return nil
    }
}
