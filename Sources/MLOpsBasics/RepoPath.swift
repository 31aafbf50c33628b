/// A path inside the work tree, relative to its root, checked as git checks the paths of a tree it
/// checks out (`verify_path` with `core.protectNTFS` and `core.protectHFS` on): every path that comes
/// from outside (pointers, directory listings, `mlops.yaml` outputs, run records) becomes one of these
/// before anything is written there, and the work-tree calls (`WorkTree`) take nothing else.
///
/// Refused: empty, absolute, empty/`.`/`..` components, a `.git` component in any case or in the
/// spellings NTFS and HFS+ treat as `.git` (trailing dots and spaces, `git~1`, an NTFS stream suffix,
/// ignorable code points), NUL, newline and carriage return, and names git-mlops writes itself
/// (`*.mlops-tmp`). See docs/security.md.
public struct RepoPath: Hashable, Sendable, CustomStringConvertible {
    public let string: String

    /// Byte equality: two spellings of one name that Unicode calls equal are two files on disk.
    public static func == (a: RepoPath, b: RepoPath) -> Bool { a.string.utf8.elementsEqual(b.string.utf8) }
    public func hash(into h: inout Hasher) { for b in string.utf8 { h.combine(b) } }

    public init(_ path: String) throws {
        if let why = RepoPath.problem(path) { throw UnsafePathError(path: path, reason: why) }
        string = path
    }

    /// Joins two checked paths: every component of both was checked, so the result needs no check.
    private init(joined: String) { string = joined }

    public var description: String { string }

    /// The last component.
    public var name: String { basename(string) }

    /// The path without its last component; nil at the top.
    public var parent: RepoPath? {
        let d = dirname(string)
        return d.isEmpty ? nil : RepoPath(joined: d)
    }

    public func appending(_ rest: RepoPath) -> RepoPath { RepoPath(joined: string + "/" + rest.string) }

    /// Whether `other` lies below this path (not equal to it).
    public func contains(_ other: RepoPath) -> Bool {
        let n = string.utf8.count
        return other.string.utf8.count > n + 1 && other.string.utf8.starts(with: string.utf8)
            && other.string.utf8.dropFirst(n).first == UInt8(ascii: "/")
    }

    /// This path relative to `ancestor`, which must contain it.
    public func relative(to ancestor: RepoPath) -> RepoPath? {
        guard ancestor.contains(self) else { return nil }
        return RepoPath(joined: String(string.utf8.dropFirst(ancestor.string.utf8.count + 1))!)
    }

    /// Why `path` is not a safe work-tree path, or nil when it is.
    public static func problem(_ path: String) -> String? {
        var s = path
        return s.withUTF8 { problem(bytes: $0) }
    }

    /// Why one file name (a single component) may not appear in the work tree, or nil.
    public static func nameProblem(_ name: String) -> String? {
        if name.utf8.contains(UInt8(ascii: "/")) { return "contains a slash" }
        return problem(name)
    }

    private static func problem(bytes: UnsafeBufferPointer<UInt8>) -> String? {
        guard let first = bytes.first else { return "empty" }
        if first == slash { return "absolute" }
        var start = 0
        for i in 0...bytes.count where i == bytes.count || bytes[i] == slash {
            if let why = componentProblem(UnsafeBufferPointer(rebasing: bytes[start..<i])) { return why }
            start = i + 1
        }
        return nil
    }

    private static let slash = UInt8(ascii: "/"), dot = UInt8(ascii: ".")
    /// The suffix of the temporaries git-mlops writes in the work tree (`.NAME.mlops-tmp`).
    public static let tempSuffix = ".mlops-tmp"
    static let ownSuffix = Array(tempSuffix.utf8)

    private static func componentProblem(_ c: UnsafeBufferPointer<UInt8>) -> String? {
        if c.isEmpty { return "an empty component" }
        if c.count == 1 && c[0] == dot { return "a `.` component" }
        if c.count == 2 && c[0] == dot && c[1] == dot { return "a `..` component" }
        var ascii = true, backslash = false
        for b in c {
            if b == 0 { return "a NUL byte" }
            if b == 0x0a { return "a newline" }
            if b == 0x0d { return "a carriage return" }
            if b >= 0x80 { ascii = false }
            if b == UInt8(ascii: "\\") { backslash = true }
        }
        if c.count >= ownSuffix.count && c.suffix(ownSuffix.count).elementsEqual(ownSuffix) {
            return "a name git-mlops uses for its temporary files"
        }
        if ascii && !backslash { return isDotGit(c) ? "a `.git` component" : nil }
        // Backslash separates names on NTFS, so git checks each piece (core.protectNTFS).
        let folded = ascii ? Array(c) : withoutIgnorables(c)
        for piece in folded.split(separator: UInt8(ascii: "\\"), omittingEmptySubsequences: false) where isDotGit(piece) {
            return "a `.git` component"
        }
        return nil
    }

    /// `.git` as NTFS or HFS+ would resolve it: ASCII case folded, then `.git` or `git~1` (the 8.3 short
    /// name) followed by nothing but dots and spaces (which NTFS drops), or by `:` (an NTFS stream).
    private static func isDotGit<C: Collection>(_ b: C) -> Bool where C.Element == UInt8 {
        func lower(_ x: UInt8) -> UInt8 { x >= 65 && x <= 90 ? x + 32 : x }
        var i = b.makeIterator()
        func next() -> UInt8? { i.next().map(lower) }
        switch next() {
        case dot:
            guard next() == UInt8(ascii: "g"), next() == UInt8(ascii: "i"), next() == UInt8(ascii: "t") else { return false }
        case UInt8(ascii: "g"):
            guard next() == UInt8(ascii: "i"), next() == UInt8(ascii: "t"), next() == UInt8(ascii: "~"), next() == UInt8(ascii: "1") else { return false }
        default:
            return false
        }
        while let x = next() {
            if x == UInt8(ascii: ":") { return true }
            if x != dot && x != UInt8(ascii: " ") { return false }
        }
        return true
    }

    /// The bytes without the code points HFS+ ignores in names (git's `next_hfs_char`): zero-width
    /// joiners and marks U+200C-200F, directional formatting U+202A-202E, U+206A-206F, and U+FEFF.
    private static func withoutIgnorables(_ c: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(c.count)
        var i = 0
        while i < c.count {
            if i + 2 < c.count {
                let (a, b, d) = (c[i], c[i + 1], c[i + 2])
                let ignorable = (a == 0xe2 && b == 0x80 && ((0x8c...0x8f).contains(d) || (0xaa...0xae).contains(d)))
                    || (a == 0xe2 && b == 0x81 && (0xaa...0xaf).contains(d))
                    || (a == 0xef && b == 0xbb && d == 0xbf)
                if ignorable { i += 3; continue }
            }
            out.append(c[i])
            i += 1
        }
        return out
    }
}

extension RepoPath: Comparable {
    /// Byte order, as git sorts paths.
    public static func < (a: RepoPath, b: RepoPath) -> Bool { a.string.utf8.lexicographicallyPrecedes(b.string.utf8) }
}

/// A path from outside that would leave the work tree or touch what git-mlops must not write.
public struct UnsafePathError: Error, CustomStringConvertible {
    public let path: String
    public let reason: String
    public init(path: String, reason: String) { self.path = path; self.reason = reason }
    public var description: String { "unsafe path '\(displayPath(path))' (\(reason))" }
}

/// A path as printed in messages: control characters escaped, so one error stays one line.
public func displayPath(_ p: String) -> String {
    guard p.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else { return p }
    var out = ""
    for s in p.unicodeScalars {
        switch s {
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\0": out += "\\0"
        default: out += s.value < 0x20 || s.value == 0x7f ? "\\x" + String(s.value, radix: 16) : String(s)
        }
    }
    return out
}
