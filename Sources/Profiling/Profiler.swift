import Foundation
import MLOpsBasics

/// The table formats profiles are made of.
public enum DataFormat: String, Sendable {
    case csv, tsv, jsonl, npy
}

public struct ProfileOptions: Sendable {
    /// Blocks parsed side by side (the profile does not depend on it).
    public var threads: Int
    /// Bytes per block; part of what the profile of a file depends on, so keep the default.
    public var blockSize: Int
    /// The longest record (line) accepted; longer is an error, which keeps memory bounded.
    public var maxRecordBytes: Int

    public static let defaultBlockSize = 8 << 20
    public static let defaultMaxRecordBytes = 16 << 20

    /// `threads` defaults to one per core; the command passes the user's `Tuning` (`GIT_MLOPS_THREADS`).
    public init(threads: Int = Tuning().threads, blockSize: Int = ProfileOptions.defaultBlockSize,
                maxRecordBytes: Int = ProfileOptions.defaultMaxRecordBytes) {
        self.threads = threads
        self.blockSize = blockSize
        self.maxRecordBytes = maxRecordBytes
    }
}

public enum Profiler {
    static let supported = "CSV (.csv), TSV (.tsv), JSON Lines (.jsonl, .ndjson) and NumPy (.npy), the text formats also as .gz or .zst"

    /// The format and compression a file name says, or nil when it is not a table profile reads.
    public static func detect(_ path: String) -> (format: DataFormat, compression: Compression)? {
        var name = basename(path).lowercased()
        var compression = Compression.none
        if name.hasSuffix(".gz") { compression = .gzip; name.removeLast(3) } else if name.hasSuffix(".zst") { compression = .zstd; name.removeLast(4) }
        let format: DataFormat
        if name.hasSuffix(".csv") { format = .csv } else if name.hasSuffix(".tsv") { format = .tsv } else if name.hasSuffix(".jsonl") || name.hasSuffix(".ndjson") {
            format = .jsonl
        } else if name.hasSuffix(".npy") && compression == .none { format = .npy } else { return nil }
        return (format, compression)
    }

    /// Profiles one file, streamed: memory stays bounded whatever its size. `name` is how errors
    /// name the file (default: the path).
    public static func profile(file path: String, name: String? = nil, options: ProfileOptions = ProfileOptions()) throws -> Profile {
        let display = name ?? path
        guard let (format, compression) = detect(path) else {
            throw MLOpsError.malformed(display, "not a table that profile reads", fix: "profile reads \(supported)")
        }
        let fd: FileDescriptor
        do { fd = try FileDescriptor.open(path, O_RDONLY | O_CLOEXEC) } catch {
            throw MLOpsError("\(display): cannot open: \(error)", hint: "check that the file exists and is readable")
        }
        defer { fd.close() }
        guard let st = fd.stat(), st.isRegular else { throw MLOpsError.malformed(display, "not a regular file", fix: "name a file") }
        fd.adviseSequential()
        let source: ByteSource
        switch compression {
        case .none: source = FileSource(fd)
        case .gzip: source = try GzipSource(fd, name: display)
        case .zstd: source = try ZstdSource(fd, name: display)
        }
        var profile: Profile
        switch format {
        case .csv, .tsv: profile = try csv(source, separator: format == .csv ? 0x2C : 0x09, name: display, options: options)
        case .jsonl: profile = try jsonLines(source, name: display, options: options)
        case .npy: profile = try npy(source, fileSize: st.size, name: display, options: options)
        }
        profile.bytes = st.size
        profile.files = 1
        return profile
    }

    /// Reads from `source` until `ready` accepts the bytes so far (it returns nil for "more") or the
    /// stream ends; at most `limit` bytes.
    static func readHead<T>(_ source: ByteSource, limit: Int, name: String, _ ready: ([UInt8], Bool) throws -> T?) throws -> (T, [UInt8]) {
        var head: [UInt8] = []
        var eof = false
        var chunk = 1 << 16
        while true {
            if !eof && head.count < limit {
                let want = min(chunk, limit - head.count)
                let old = head.count
                head += [UInt8](repeating: 0, count: want)
                let n = try head.withUnsafeMutableBytes { try source.read(into: $0.baseAddress! + old, count: want) }
                head.removeLast(want - n)
                if n == 0 { eof = true }
                chunk = min(chunk * 2, 1 << 22)
            }
            if let v = try ready(head, eof || head.count >= limit) { return (v, head) }
            if eof || head.count >= limit {
                throw MLOpsError.malformed(name + ":1", "the first record is longer than \(formatBytes(Int64(limit))), the limit",
                                           fix: "check for an unclosed quote or a missing line end")
            }
        }
    }

    static func emptyFile(_ name: String) -> MLOpsError {
        MLOpsError.malformed(name, "the file is empty", fix: "profile a file with a header row and data, or remove it")
    }

    static func csv(_ source: ByteSource, separator: UInt8, name: String, options: ProfileOptions) throws -> Profile {
        let ((names, length, lines, bom), head) = try readHead(source, limit: options.maxRecordBytes, name: name) { head, atEOF -> ([String], Int, Int64, Int)? in
            let bom = head.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
            if head.count < 3 && !atEOF { return nil }
            if head.count - bom == 0 && atEOF { throw emptyFile(name) }
            do {
                return try head.withUnsafeBytes { b throws in
                    let data = UnsafeRawBufferPointer(rebasing: b[bom...])
                    if let bad = firstInvalidUTF8(data), bad < (try CSVFormat.cutRecords(data, atEOF: atEOF, first: true)) {
                        throw BlockFailure(line: 0, message: "invalid UTF-8 in the header", hint: "convert the file to UTF-8, e.g. `iconv -f latin1 -t utf-8`")
                    }
                    return try CSVFormat.header(data, separator: separator, atEOF: atEOF).map { ($0.names, $0.length, $0.lines, bom) }
                }
            } catch let f as BlockFailure {
                throw MLOpsError("\(name):\(1 + f.line): \(f.message)", hint: f.hint)
            }
        }
        if names == [""] { throw MLOpsError.malformed(name + ":1", "the header row is empty", fix: "the first line must name the columns") }
        guard names.count <= Profile.maxColumns else {
            throw MLOpsError.malformed(name + ":1", "\(names.count) columns, more than \(Profile.maxColumns)", fix: "split the table")
        }
        var seen = Set<String>()
        for n in names where !seen.insert(n).inserted {
            throw MLOpsError.malformed(name + ":1", "column \"\(n)\" appears twice in the header", fix: "give every column its own name")
        }
        let format = CSVFormat(separator: separator, header: names, display: name)
        let empty = Profile(format: format.format, columns: names.map { ColumnProfile(name: $0, seed: blockSeed(-1)) })
        return try Pipeline.run(format, source: source, leftover: Array(head[(bom + length)...]), name: name,
                                firstLine: 1 + lines, options: options, empty: empty)
    }

    static func jsonLines(_ source: ByteSource, name: String, options: ProfileOptions) throws -> Profile {
        let (_, head) = try readHead(source, limit: options.maxRecordBytes, name: name) { head, atEOF -> Bool? in
            if head.isEmpty && atEOF { throw emptyFile(name) }
            return true
        }
        let format = JSONLinesFormat(display: name, maxColumns: Profile.maxColumns)
        return try Pipeline.run(format, source: source, leftover: head, name: name, firstLine: 1, options: options,
                                empty: Profile(format: "jsonl"))
    }

    static func npy(_ source: ByteSource, fileSize: Int64, name: String, options: ProfileOptions) throws -> Profile {
        let (header, head) = try readHead(source, limit: NpyHeader.maxHeader + 12, name: name) { head, atEOF -> NpyHeader? in
            if head.isEmpty && atEOF { throw emptyFile(name) }
            if let h = try NpyHeader.parse(head, fileSize: fileSize, name: name, maxColumns: Profile.maxColumns) { return h }
            if atEOF { throw MLOpsError.malformed(name, "not a valid .npy file: it ends inside the header", fix: "write it again with numpy.save") }
            return nil
        }
        let format = NpyFormat(header: header)
        let profile = try Pipeline.run(format, source: source, leftover: Array(head[header.dataOffset...]), name: name, firstLine: 1,
                                       options: options, empty: Profile(format: "npy"))
        // The size was checked against the header before reading; a file that changed since is caught here.
        guard profile.columns.allSatisfy({ $0.count == header.rows }) else {
            throw MLOpsError.malformed(name, "the data does not match the header (did the file change while it was read?)",
                                       fix: "profile it again once nothing writes to it")
        }
        return profile
    }
}
