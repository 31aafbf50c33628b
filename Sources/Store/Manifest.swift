import MLOpsBasics
import ObjectStore

/// The chunk list of a file, stored under the file's id (the SHA-256 of its bytes).
///
///     mlops-file 1
///     size <total bytes>
///     <chunk id hex> <chunk size>        one line per chunk, in file order
///     check <SHA-256 of all the lines above>
///
/// Its key is the file's id, not its own hash, so the last line lets a reader check it on its own.
public struct FileManifest: Equatable, Sendable {
    public struct Chunk: Equatable, Sendable {
        public var id: ObjectID
        public var size: Int
        public init(id: ObjectID, size: Int) { self.id = id; self.size = size }
    }

    public var size: Int64
    public var chunks: [Chunk]

    public init(size: Int64, chunks: [Chunk]) {
        self.size = size
        self.chunks = chunks
    }

    public static let header = "mlops-file 1"
    /// The chunker's maximum (format v1): a larger chunk cannot come from git-mlops, and readers size
    /// buffers by chunk sizes.
    public static let maxChunkSize = ChunkerParameters.v1.maxSize

    public func encode() -> [UInt8] {
        var s = "\(FileManifest.header)\nsize \(size)\n"
        s.reserveCapacity(32 + chunks.count * 76 + 72)
        for c in chunks { s += "\(c.id.hex) \(c.size)\n" }
        return CheckLine.appended(to: Array(s.utf8))
    }

    /// Whether the `check` line matches the text above it.
    public static func isIntact(_ bytes: [UInt8]) -> Bool { CheckLine.isIntact(bytes) }

    /// Parses the bytes as they are, line by line, without making strings: checkout decodes the
    /// manifest of every large file it writes (thousands of lines for a few GB).
    public static func decode(_ bytes: [UInt8], id: ObjectID) throws -> FileManifest {
        let bad = { (why: String) in
            MLOpsError("file manifest \(id.short) is malformed (\(why))", hint: "run `git mlops fsck` and fetch it again from a remote")
        }
        guard isIntact(bytes) else { throw bad("its check line does not match") }
        return try bytes.withUnsafeBytes { buf -> FileManifest in
            let newline = UInt8(ascii: "\n")
            guard buf.last == newline else { throw bad("no final newline") }
            // The lines above the check line (which isIntact has read).
            var end = buf.count - 1
            while end > 0 && buf[end - 1] != newline { end -= 1 }
            var at = 0
            func nextLine() -> UnsafeRawBufferPointer? {
                guard at < end else { return nil }
                var j = at
                while buf[j] != newline { j += 1 }
                defer { at = j + 1 }
                return UnsafeRawBufferPointer(rebasing: buf[at..<j])
            }
            let first = nextLine().map { String(decoding: $0, as: UTF8.self) } ?? ""
            if let newer = FormatHeader.newer(first, than: header, what: "file manifest \(id.short)") { throw newer }
            let sizePrefix = Array("size ".utf8)
            guard first == header, let sizeLine = nextLine(), sizeLine.starts(with: sizePrefix),
                  let size = manifestDecimal(sizeLine[sizePrefix.count...]) else { throw bad("bad header") }
            var chunks: [Chunk] = []
            chunks.reserveCapacity((end - at) / 72)
            var total: Int64 = 0
            while let l = nextLine() {
                guard l.count > 65, l[64] == UInt8(ascii: " "), let cid = ObjectID(hexUTF8: UnsafeRawBufferPointer(rebasing: l[0..<64])),
                      let n = manifestDecimal(l[65...]), n > 0 else { throw bad("bad chunk line") }
                guard n <= maxChunkSize else { throw bad("a chunk of \(n) bytes, more than the \(maxChunkSize) the format allows") }
                chunks.append(Chunk(id: cid, size: Int(n)))
                total += n  // at most lines x 256 KiB: no overflow
            }
            guard total == size else { throw bad("chunk sizes add up to \(total), not \(size)") }
            return FileManifest(size: size, chunks: chunks)
        }
    }
}

/// One file in a directory manifest.
public struct DirEntry: Equatable, Sendable {
    /// Relative to the tracked directory, `/`-separated, never `..` or absolute.
    public var path: String
    public var id: ObjectID
    public var size: Int64
    public var executable: Bool

    public init(path: String, id: ObjectID, size: Int64, executable: Bool) {
        self.path = path; self.id = id; self.size = size; self.executable = executable
    }
}

/// A directory: its entries sorted by path (byte order), cut into pieces at content-defined points.
///
/// A piece ends after an entry whose path hash has its low 8 bits zero (about 256 entries a piece), so
/// adding or changing one file rewrites one piece and the small top object, not the whole listing.
///
/// Top object (the directory's id is the SHA-256 of this text):
///
///     mlops-dir 1
///     files <count>
///     size <total bytes>
///     <piece id hex> <entry count> <first path>
///
/// Piece object: one line per entry, `<mode> <file id hex> <size> <path>`, mode `100644` or `100755`.
/// In paths, `%`, newline and carriage return are written `%25`, `%0A`, `%0D`.
public struct DirManifest: Equatable, Sendable {
    public var entries: [DirEntry]

    public init(entries: [DirEntry]) {
        self.entries = entries.sorted { pathLess($0.path, $1.path) }
    }

    public init(sortedEntries: [DirEntry]) { entries = sortedEntries }

    /// Saturates instead of trapping: a listing from outside may claim sizes that overflow.
    public var totalSize: Int64 {
        entries.reduce(0) { t, e in
            let (sum, over) = t.addingReportingOverflow(e.size)
            return over ? .max : sum
        }
    }

    /// Why these entries cannot be one tree on disk, or nil: a path out of byte order or repeated, or a
    /// file that is also a directory of another entry (`a` and `a/b`). Each path was checked on decoding.
    public func structureProblem() -> String? {
        var files = Set<[UInt8]>()
        files.reserveCapacity(entries.count)
        var previous: String?
        for e in entries {
            if let p = previous, !pathLess(p, e.path) {
                return p.utf8.elementsEqual(e.path.utf8) ? "'\(displayPath(e.path))' is listed twice" : "'\(displayPath(e.path))' is out of order"
            }
            previous = e.path
            let bytes = Array(e.path.utf8)
            for (i, b) in bytes.enumerated() where b == UInt8(ascii: "/") && files.contains(Array(bytes[..<i])) {
                return "'\(displayPath(String(decoding: bytes[..<i], as: UTF8.self)))' is both a file and the directory of '\(displayPath(e.path))'"
            }
            files.insert(bytes)
        }
        return nil
    }

    public static let header = "mlops-dir 1"
    static let pieceMask: UInt64 = 0xff

    public struct Encoded {
        public var top: [UInt8]
        public var id: ObjectID
        public var pieces: [(id: ObjectID, bytes: [UInt8])]
    }

    public func encode() -> Encoded {
        var pieces: [(ObjectID, [UInt8])] = []
        var topLines = "\(DirManifest.header)\nfiles \(entries.count)\nsize \(totalSize)\n"
        var cur = ""
        var count = 0
        var first = ""
        func flush() {
            guard count > 0 else { return }
            let bytes = Array(cur.utf8)
            let pid = ObjectID.hashing(bytes)
            pieces.append((pid, bytes))
            topLines += "\(pid.hex) \(count) \(escapePath(first))\n"
            cur = ""; count = 0
        }
        for e in entries {
            if count == 0 { first = e.path }
            cur += "\(e.executable ? "100755" : "100644") \(e.id.hex) \(e.size) \(escapePath(e.path))\n"
            count += 1
            if fnv1a(e.path) & DirManifest.pieceMask == 0 { flush() }
        }
        flush()
        let top = Array(topLines.utf8)
        return Encoded(top: top, id: ObjectID.hashing(top), pieces: pieces)
    }

    public struct Top {
        public var files: Int
        public var size: Int64
        public var pieces: [(id: ObjectID, count: Int, firstPath: String)]
    }

    public static func decodeTop(_ bytes: [UInt8], id: ObjectID) throws -> Top {
        let bad = { (why: String) in
            MLOpsError("directory manifest \(id.short) is malformed (\(why))", hint: "run `git mlops fsck` and fetch it again from a remote")
        }
        var lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.last == "" else { throw bad("no final newline") }
        lines.removeLast()
        if let first = lines.first, let newer = FormatHeader.newer(first, than: header, what: "directory manifest \(id.short)") { throw newer }
        guard lines.count >= 3, lines[0] == header, lines[1].hasPrefix("files "), lines[2].hasPrefix("size "),
              let files = Int(lines[1].dropFirst(6)), let size = Int64(lines[2].dropFirst(5)) else { throw bad("bad header") }
        var pieces: [(ObjectID, Int, String)] = []
        var sum = 0
        for l in lines[3...] {
            let parts = l.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3, let pid = ObjectID(hex: parts[0]), let n = Int(parts[1]), n > 0 else { throw bad("bad piece line") }
            let (next, over) = sum.addingReportingOverflow(n)
            guard !over else { throw bad("piece counts overflow") }
            sum = next
            pieces.append((pid, n, unescapePath(String(parts[2]))))
        }
        guard sum == files else { throw bad("piece counts do not add up") }
        return Top(files: files, size: size, pieces: pieces)
    }

    /// Parses one piece, byte by byte: a piece of a million-file directory is read at every checkout.
    public static func decodePiece(_ bytes: [UInt8], id: ObjectID) throws -> [DirEntry] {
        let bad = MLOpsError("directory manifest piece \(id.short) is malformed (bad entry line)", hint: "run `git mlops fsck` and fetch it again from a remote")
        var out: [DirEntry] = []
        try bytes.withUnsafeBytes { buf in
            let space = UInt8(ascii: " "), newline = UInt8(ascii: "\n")
            var i = 0
            while i < buf.count {
                var end = i
                while end < buf.count && buf[end] != newline { end += 1 }
                defer { i = end + 1 }
                if end == i { continue }
                // `100644 <64 hex> <size> <path>`: fixed positions up to the size.
                let line = UnsafeRawBufferPointer(rebasing: buf[i..<end])
                guard line.count > 7 + 64 + 3, line[6] == space, line[71] == space else { throw bad }
                let mode = String(decoding: line[0..<6], as: UTF8.self)
                guard mode == "100644" || mode == "100755",
                      let fid = ObjectID(hexUTF8: UnsafeRawBufferPointer(rebasing: line[7..<71])) else { throw bad }
                guard let k = line[72...].firstIndex(of: space), k < line.count - 1,
                      let size = manifestDecimal(line[72..<k]) else { throw bad }
                let path = unescapePath(String(decoding: line[(k + 1)...], as: UTF8.self))
                if let why = RepoPath.problem(path) {
                    throw MLOpsError("directory manifest piece \(id.short) names an \(UnsafePathError(path: path, reason: why))",
                                     hint: "it was not made by git-mlops; do not check it out")
                }
                out.append(DirEntry(path: path, id: fid, size: size, executable: mode == "100755"))
            }
        }
        return out
    }
}

/// A size in a manifest: 1 to 18 ASCII digits, no sign (fits Int64 without a check per digit).
func manifestDecimal(_ d: UnsafeRawBufferPointer.SubSequence) -> Int64? {
    guard !d.isEmpty, d.count <= 18 else { return nil }
    var v: Int64 = 0
    for c in d {
        guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") else { return nil }
        v = v * 10 + Int64(c - UInt8(ascii: "0"))
    }
    return v
}

func fnv1a(_ s: String) -> UInt64 {
    var h: UInt64 = 0xcbf29ce484222325
    for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100000001b3 }
    return h
}

func escapePath(_ p: String) -> String {
    guard p.utf8.contains(where: { $0 == 0x25 || $0 == 0x0a || $0 == 0x0d }) else { return p }
    return p.replacingAll("%", "%25").replacingAll("\n", "%0A").replacingAll("\r", "%0D")
}

func unescapePath(_ p: String) -> String {
    guard p.utf8.contains(UInt8(ascii: "%")) else { return p }
    return p.replacingAll("%0A", "\n").replacingAll("%0D", "\r").replacingAll("%25", "%")
}

extension String {
    func replacingAll(_ a: String, _ b: String) -> String {
        split(separator: a, omittingEmptySubsequences: false).joined(separator: b)
    }
}

#if canImport(Glibc)
import Glibc
#endif
