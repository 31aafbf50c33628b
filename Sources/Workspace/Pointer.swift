import MLOpsBasics

/// The small text file git keeps in place of tracked data: `PATH.mlops` beside `PATH`.
///
///     version https://git-mlops.dev/spec/pointer/v1
///     oid sha256:<64 hex>
///     size <bytes>
///     type file|dir
///     files <count>          (directories only)
///
/// Version first, then keys in this order, then any unknown keys (kept as read, sorted). Under 200 bytes.
public struct Pointer: Equatable, Sendable {
    public enum Kind: String, Sendable { case file, dir }

    public static let version = "https://git-mlops.dev/spec/pointer/v1"
    public static let suffix = ".mlops"

    public var id: ObjectID
    public var size: Int64
    public var kind: Kind
    public var files: Int?
    public var executable: Bool
    /// Keys this version does not know, preserved on rewrite.
    public var extra: [String: String]

    public init(id: ObjectID, size: Int64, kind: Kind, files: Int? = nil, executable: Bool = false, extra: [String: String] = [:]) {
        self.id = id; self.size = size; self.kind = kind; self.files = files; self.executable = executable; self.extra = extra
    }

    public func encode() -> String {
        var s = "version \(Pointer.version)\noid sha256:\(id.hex)\nsize \(size)\ntype \(kind.rawValue)\n"
        if let files { s += "files \(files)\n" }
        if executable { s += "exec true\n" }
        for k in extra.keys.sorted() { s += "\(k) \(extra[k]!)\n" }
        return s
    }

    /// A pointer is under 200 bytes (ours are at most 191: every field at its widest), so a file or
    /// blob is read only up to this size, and anything larger is not a pointer.
    public static let maxBlobBytes = 199
    static let tooLarge = "too large for a pointer: it is under 200 bytes"

    /// Parses a pointer blob read with `readBlob(_:atMost: maxBlobBytes)` (nil: it was larger).
    public static func decode(blob: [UInt8]?, path: String) throws -> Pointer {
        guard let blob else { throw malformed(path, tooLarge) }
        return try decode(String(decoding: blob, as: UTF8.self), path: path)
    }

    static func malformed(_ path: String, _ why: String) -> MLOpsError {
        .malformed(path, "not a valid git-mlops pointer (\(why))", fix: "restore it with `git checkout -- \(path)`, or re-create it with `git mlops add`")
    }

    /// Parses a pointer; `path` names the file in errors.
    public static func decode(_ text: String, path: String) throws -> Pointer {
        func bad(_ why: String) -> MLOpsError { malformed(path, why) }
        guard text.utf8.count <= maxBlobBytes else { throw bad(tooLarge) }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.last == "" else { throw bad("no final newline") }
        lines.removeLast()
        let first = lines.first ?? ""
        guard first == "version \(version)" else {
            // A later version of this spec is not damage: a newer git-mlops wrote it.
            let spec = "version https://git-mlops.dev/spec/pointer/v"
            if first.hasPrefix(spec), let v = Int(first.dropFirst(spec.count)), v > 1 {
                throw MLOpsError("\(path): this pointer was made by a newer git-mlops (pointer version \(v))", hint: "upgrade git-mlops to read it")
            }
            if first.hasPrefix("version ") { throw bad("unknown \(first.prefix(80))") }
            throw bad("first line must be `version \(version)`")
        }
        var fields: [String: String] = [:]
        for (n, l) in lines.dropFirst().enumerated() {
            guard let sp = l.firstIndex(of: " "), sp != l.startIndex else { throw bad("line \(n + 2) is not `key value`") }
            let k = String(l[..<sp]), v = String(l[l.index(after: sp)...])
            guard k.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }) else { throw bad("bad key on line \(n + 2)") }
            guard fields[k] == nil else { throw bad("key \(k) appears twice") }
            fields[k] = v
        }
        guard let oid = fields.removeValue(forKey: "oid"), oid.hasPrefix("sha256:"), let id = ObjectID(hex: oid.dropFirst(7)) else {
            throw bad("missing or bad `oid sha256:<hex>`")
        }
        guard let sizeText = fields.removeValue(forKey: "size"), let size = Int64(sizeText), size >= 0 else { throw bad("missing or bad size") }
        guard let kindText = fields.removeValue(forKey: "type"), let kind = Kind(rawValue: kindText) else { throw bad("type must be file or dir") }
        var files: Int?
        if let f = fields.removeValue(forKey: "files") {
            guard let n = Int(f), n >= 0 else { throw bad("bad files count") }
            files = n
        }
        let exec = fields.removeValue(forKey: "exec") == "true"
        return Pointer(id: id, size: size, kind: kind, files: files, executable: exec, extra: fields)
    }

    /// `data/x.csv.mlops` -> `data/x.csv`.
    public static func dataPath(forPointer p: String) -> String { String(p.dropLast(suffix.count)) }
    public static func pointerPath(forData p: String) -> String { p + suffix }
}
