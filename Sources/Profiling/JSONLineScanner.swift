import Foundation

/// The one strict reader of a JSON Lines line (an object), shared by the profiler, the column scan and
/// the live monitor: it checks RFC 8259 syntax byte by byte and says where each key and value is; each
/// caller decides what a value means. Nothing is allocated per value: strings without escapes stay in
/// the line, escaped ones are unescaped at the end of the caller's scratch buffer. Inlinable so the
/// monitor's per-record loop inlines it as the profiler's does.
public struct JSONLineScanner {
    /// Deeper arrays and objects are refused (the scan of nested values recurses).
    public static let maxDepth = 128

    public struct Failure: Error {
        public var offset: Int
        public var what: String

        /// The wording every reader uses, counting bytes from `lineStart` (the line's first byte).
        public func message(lineStart: Int) -> String { "invalid JSON at byte \(offset - lineStart + 1) of the line: \(what)" }

        /// How to fix such a line, the same for every reader.
        public static let hint = "fix or remove the line; each line must be one JSON object"
    }

    /// A key's or value's bytes: `p[offset...]` in the line, or (a string with escapes) unescaped in
    /// the scratch buffer at `offset`.
    public struct Text {
        public var offset: Int
        public var length: Int
        public var inScratch: Bool

        @inlinable
        public init(offset: Int, length: Int, inScratch: Bool) {
            self.offset = offset
            self.length = length
            self.inScratch = inScratch
        }
    }

    public enum Kind {
        case string, number, boolean, null
        /// An array or object: its text as written.
        case nested
    }

    /// A value: a string's unescaped bytes, else its text as written.
    public struct Value {
        public var kind: Kind
        public var text: Text

        @inlinable
        public init(kind: Kind, text: Text) {
            self.kind = kind
            self.text = text
        }
    }

    public let p: UnsafePointer<UInt8>
    /// The next byte to read, and the end of the line (its line end excluded).
    public var i: Int
    public var end: Int

    @inlinable
    public init(p: UnsafePointer<UInt8>, i: Int = 0, end: Int = 0) {
        self.p = p
        self.i = i
        self.end = end
    }

    public func fail(_ what: String) -> Failure { Failure(offset: i, what: what) }

    /// What is wrong about the key or value at `offset` (a duplicate key, say).
    public func fail(at offset: Int, _ what: String) -> Failure { Failure(offset: offset, what: what) }

    @inlinable @inline(__always)
    public mutating func skipSpace() {
        while i < end, p[i] == 0x20 || p[i] == 0x09 || p[i] == 0x0D || p[i] == 0x0A { i += 1 }
    }

    // MARK: The line's object

    /// Reads the `{` that opens the line's object (at `i`, after white space); false when the object is empty.
    @inlinable
    public mutating func openObject() throws -> Bool {
        guard i < end, p[i] == UInt8(ascii: "{") else { throw fail("a line must hold a JSON object ({...})") }
        i += 1
        skipSpace()
        if i < end, p[i] == UInt8(ascii: "}") { i += 1; return false }
        return true
    }

    /// A member's key; `colon()` reads what follows it.
    @inlinable @inline(__always)
    public mutating func key(into scratch: inout [UInt8]) throws -> Text {
        guard i < end, p[i] == UInt8(ascii: "\"") else { throw fail("expected a key in quotes") }
        return try string(into: &scratch)
    }

    @inlinable @inline(__always)
    public mutating func colon() throws {
        skipSpace()
        guard i < end, p[i] == UInt8(ascii: ":") else { throw fail("expected ':' after a key") }
        i += 1
        skipSpace()
    }

    /// After a member's value: true when another member follows (`,`), false at the closing `}`.
    @inlinable @inline(__always)
    public mutating func next() throws -> Bool {
        skipSpace()
        guard i < end else { throw fail("the object is not closed") }
        if p[i] == UInt8(ascii: ",") { i += 1; skipSpace(); return true }
        if p[i] == UInt8(ascii: "}") { i += 1; return false }
        throw fail("expected ',' or '}'")
    }

    /// After the object: only white space may follow.
    @inlinable
    public mutating func closeLine() throws {
        skipSpace()
        guard i == end else { throw fail("text after the object") }
    }

    // MARK: Values

    @inlinable @inline(__always)
    public mutating func value(into scratch: inout [UInt8]) throws -> Value { try value(into: &scratch, depth: 0) }

    /// A value inside `depth` arrays and objects.
    @inlinable @inline(__always)
    mutating func value(into scratch: inout [UInt8], depth: Int) throws -> Value {
        guard i < end else { throw fail("expected a value") }
        let start = i
        let kind: Kind
        switch p[i] {
        case UInt8(ascii: "\""): return Value(kind: .string, text: try string(into: &scratch))
        case UInt8(ascii: "t"): try literal("true"); kind = .boolean
        case UInt8(ascii: "f"): try literal("false"); kind = .boolean
        case UInt8(ascii: "n"): try literal("null"); kind = .null
        case UInt8(ascii: "{"), UInt8(ascii: "["): try skipNested(depth: depth, scratch: &scratch); kind = .nested
        default: try number(); kind = .number
        }
        return Value(kind: kind, text: Text(offset: start, length: i - start, inScratch: false))
    }

    /// Calls `body` with the bytes of `t` (a key or value read with `scratch`).
    @inlinable @inline(__always)
    public func withBytes<R>(of t: Text, in scratch: [UInt8], _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        guard t.inScratch else { return try body(UnsafeBufferPointer(start: p + t.offset, count: t.length)) }
        return try scratch.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[t.offset..<t.offset + t.length])) }
    }

    @inlinable
    public mutating func literal(_ word: StaticString) throws {
        let n = word.utf8CodeUnitCount
        guard end - i >= n, memcmp(p + i, word.utf8Start, n) == 0 else { throw fail("unexpected token") }
        i += n
    }

    /// -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
    @inlinable @inline(__always)
    public mutating func number() throws {
        if i < end, p[i] == UInt8(ascii: "-") { i += 1 }
        guard i < end, p[i] &- 0x30 < 10 else { throw fail("expected a value") }
        if p[i] == UInt8(ascii: "0") { i += 1 } else { skipDigits() }
        if i < end, p[i] == UInt8(ascii: ".") {
            i += 1
            guard skipDigits() else { throw fail("expected digits after '.'") }
        }
        if i < end, p[i] | 0x20 == UInt8(ascii: "e") {
            i += 1
            if i < end, p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-") { i += 1 }
            guard skipDigits() else { throw fail("expected digits in the exponent") }
        }
    }

    /// False when there was no digit.
    @inlinable @inline(__always) @discardableResult
    mutating func skipDigits() -> Bool {
        let s = i
        while i < end, p[i] &- 0x30 < 10 { i += 1 }
        return i > s
    }

    /// A string at `p[i] == "`. Without escapes it stays in the line; with them it is unescaped at the
    /// end of `scratch` (which is left as it was when the string is bad).
    @inlinable @inline(__always)
    public mutating func string(into scratch: inout [UInt8]) throws -> Text {
        i += 1
        let start = i
        skipPlain()
        guard i < end else { throw fail("the string is not closed") }
        if p[i] == UInt8(ascii: "\"") { i += 1; return Text(offset: start, length: i - 1 - start, inScratch: false) }
        return try escapedString(from: start, into: &scratch)
    }

    /// Bytes that stand for themselves in a string: up to a quote, a backslash or a control byte.
    @inlinable @inline(__always)
    mutating func skipPlain() {
        while i < end, p[i] != UInt8(ascii: "\""), p[i] != UInt8(ascii: "\\"), p[i] >= 0x20 { i += 1 }
    }

    /// The rest of a string from its first escape (or control byte) at `i`; `start` is its first byte.
    @inlinable
    mutating func escapedString(from start: Int, into scratch: inout [UInt8]) throws -> Text {
        let off = scratch.count
        var run = start
        while true {
            scratch.append(contentsOf: UnsafeBufferPointer(start: p + run, count: i - run))
            guard i < end else { scratch.removeSubrange(off...); throw fail("the string is not closed") }
            let c = p[i]
            if c == UInt8(ascii: "\"") { i += 1; return Text(offset: off, length: scratch.count - off, inScratch: true) }
            if c < 0x20 { scratch.removeSubrange(off...); throw fail("a control character inside a string (write it as \\u00XX)") }
            if let bad = JSONEscape.decode(p, &i, end: end, into: &scratch) { scratch.removeSubrange(off...); throw fail(bad) }
            run = i
            skipPlain()
        }
    }

    /// Skips an array or object at `i`, checking it, up to its end. Its strings are unescaped into
    /// `scratch` only to check them, and taken out again.
    @inlinable
    public mutating func skipNested(depth: Int, scratch: inout [UInt8]) throws {
        guard depth < JSONLineScanner.maxDepth else { throw fail("nested more than \(JSONLineScanner.maxDepth) deep") }
        let close = p[i] == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
        let mark = scratch.count
        i += 1
        skipSpace()
        if i < end, p[i] == close { i += 1; return }
        while true {
            skipSpace()
            if close == UInt8(ascii: "}") {
                _ = try key(into: &scratch)
                try colon()
            }
            _ = try value(into: &scratch, depth: depth + 1)
            if scratch.count > mark { scratch.removeSubrange(mark...) }
            skipSpace()
            guard i < end else { throw fail("not closed") }
            if p[i] == UInt8(ascii: ",") { i += 1; continue }
            if p[i] == close { i += 1; return }
            throw fail("expected ',' or '\(UnicodeScalar(close))'")
        }
    }
}
