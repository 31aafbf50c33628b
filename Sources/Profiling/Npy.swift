import Foundation
import MLOpsBasics

// NumPy .npy (format versions 1.0, 2.0 and 3.0): magic "\x93NUMPY", version, header length (2 bytes
// in 1.0, 4 after), and a Python dict literal {'descr': ..., 'fortran_order': ..., 'shape': (...)}.
// Profiled: 0-, 1- and 2-D arrays of bool, int8-64, uint8-64 and float16/32/64 in either byte
// order and either memory order (columns "0", "1", ...; a 1-D array is one column "0"), and 1-D
// structured arrays of those (one column per field; unnamed padding fields skipped).

struct NpyScalar: Equatable {
    enum Kind { case bool, int, uint, float }
    let kind: Kind
    let size: Int
    let bigEndian: Bool

    /// '<f8', '>i4', '|b1', '=u2', ...
    init?(_ s: String) {
        let b = Array(s.utf8)
        guard b.count >= 3, let size = Int(String(decoding: b[2...], as: UTF8.self)) else { return nil }
        switch b[0] {
        case UInt8(ascii: "<"), UInt8(ascii: "|"), UInt8(ascii: "="): bigEndian = false
        case UInt8(ascii: ">"): bigEndian = true
        default: return nil
        }
        switch (b[1], size) {
        case (UInt8(ascii: "b"), 1): kind = .bool
        case (UInt8(ascii: "i"), 1), (UInt8(ascii: "i"), 2), (UInt8(ascii: "i"), 4), (UInt8(ascii: "i"), 8): kind = .int
        case (UInt8(ascii: "u"), 1), (UInt8(ascii: "u"), 2), (UInt8(ascii: "u"), 4), (UInt8(ascii: "u"), 8): kind = .uint
        case (UInt8(ascii: "f"), 2), (UInt8(ascii: "f"), 4), (UInt8(ascii: "f"), 8): kind = .float
        default: return nil
        }
        self.size = size
    }

    @inline(__always)
    func add(_ p: UnsafeRawPointer, to col: inout ColumnProfile) {
        switch (kind, size) {
        case (.bool, _): col.addBool(p.load(as: UInt8.self) != 0)
        case (.int, 1): col.addInt(Int64(p.load(as: Int8.self)))
        case (.uint, 1): col.addInt(Int64(p.load(as: UInt8.self)))
        case (.int, 2): col.addInt(Int64(Int16(bitPattern: load16(p))))
        case (.uint, 2): col.addInt(Int64(load16(p)))
        case (.int, 4): col.addInt(Int64(Int32(bitPattern: load32(p))))
        case (.uint, 4): col.addInt(Int64(load32(p)))
        case (.int, 8): col.addInt(Int64(bitPattern: load64(p)))
        case (.uint, 8):
            let v = load64(p)
            if v <= UInt64(Int64.max) { col.addInt(Int64(v)) } else { col.addDouble(Double(v)) }
        case (.float, 2): col.addDouble(Double(Float16(bitPattern: load16(p))))
        case (.float, 4): col.addDouble(Double(Float(bitPattern: load32(p))))
        default: col.addDouble(Double(bitPattern: load64(p)))
        }
    }

    @inline(__always) func load16(_ p: UnsafeRawPointer) -> UInt16 {
        let v = p.loadUnaligned(as: UInt16.self); return bigEndian ? UInt16(bigEndian: v) : UInt16(littleEndian: v)
    }
    @inline(__always) func load32(_ p: UnsafeRawPointer) -> UInt32 {
        let v = p.loadUnaligned(as: UInt32.self); return bigEndian ? UInt32(bigEndian: v) : UInt32(littleEndian: v)
    }
    @inline(__always) func load64(_ p: UnsafeRawPointer) -> UInt64 {
        let v = p.loadUnaligned(as: UInt64.self); return bigEndian ? UInt64(bigEndian: v) : UInt64(littleEndian: v)
    }
}

struct NpyHeader {
    struct Field { let name: String; let offset: Int; let type: NpyScalar }
    /// Bytes before the data.
    let dataOffset: Int
    let rows: Int64
    let columnCount: Int
    let fortran: Bool
    /// One field per column for plain arrays (at offset 0); the named fields of a structured one.
    let fields: [Field]
    /// Bytes per element (plain) or per record (structured).
    let itemSize: Int
    let structured: Bool

    static let maxHeader = 1 << 16

    /// Parses the magic, version and header dict at the start of `b` (nil: more bytes needed).
    /// `fileSize` is checked against what the header promises.
    static func parse(_ b: [UInt8], fileSize: Int64, name: String, maxColumns: Int) throws -> NpyHeader? {
        func bad(_ what: String) -> Error {
            MLOpsError.malformed(name, "not a valid .npy file: \(what)", fix: "write it again with numpy.save")
        }
        let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)
        guard b.prefix(6).elementsEqual(magic.prefix(b.count)) else { throw bad("no \\x93NUMPY magic at the start") }
        guard b.count >= 10 else { return nil }
        let major = b[6]
        let headerLength: Int
        let start: Int
        switch major {
        case 1: headerLength = Int(b[8]) | Int(b[9]) << 8; start = 10
        case 2, 3:
            guard b.count >= 12 else { return nil }
            headerLength = Int(b[8]) | Int(b[9]) << 8 | Int(b[10]) << 16 | Int(b[11]) << 24; start = 12
        default: throw bad("format version \(major).\(b[7]) (1, 2 and 3 are read)")
        }
        guard headerLength <= maxHeader else { throw bad("a header of \(headerLength) bytes (at most \(maxHeader) are read)") }
        guard b.count >= start + headerLength else {
            if Int64(start + headerLength) > fileSize { throw bad("the file ends inside the header") }
            return nil
        }
        guard let text = String(validating: b[start..<start + headerLength], as: UTF8.self) else { throw bad("the header is not text") }
        var lit = PyLiteral(text)
        guard case .dict(let dict)? = try? lit.parseTop() else { throw bad("the header is not a Python dict literal") }
        guard case .bool(let fortran)? = dict["fortran_order"] else { throw bad("no fortran_order") }
        guard case .tuple(let shapeItems)? = dict["shape"] else { throw bad("no shape") }
        var shape: [Int64] = []
        for s in shapeItems {
            guard case .int(let v) = s, v >= 0 else { throw bad("shape holds something other than sizes") }
            shape.append(v)
        }
        guard shape.count <= 2 else { throw bad("a \(shape.count)-D array; profile reads 1-D and 2-D arrays (reshape it to 2-D)") }
        let rows = shape.isEmpty ? 1 : shape[0]
        let dataOffset = start + headerLength
        var fields: [Field] = []
        var itemSize = 0
        var structured = false
        var columns = 1
        switch dict["descr"] {
        case .string(let d)?:
            guard let t = NpyScalar(d) else {
                throw bad("dtype '\(d)' is not profiled (bool, int, uint and float are)")
            }
            itemSize = t.size
            columns = shape.count == 2 ? Int(clamping: shape[1]) : 1
            guard columns <= maxColumns else { throw bad("\(columns) columns, more than \(maxColumns)") }
            fields = (0..<columns).map { Field(name: String($0), offset: 0, type: t) }
        case .list(let items)?:
            guard shape.count <= 1 else { throw bad("a 2-D structured array; profile reads 1-D structured arrays") }
            structured = true
            var names = Set<String>()
            for item in items {
                guard case .tuple(let parts) = item, parts.count == 2, case .string(let fname) = parts[0], case .string(let fd) = parts[1] else {
                    throw bad("a structured dtype field other than ('name', 'type') (nested or subarray fields are not profiled)")
                }
                if fname.isEmpty, fd.hasPrefix("|V"), let pad = Int(fd.dropFirst(2)), pad >= 0, pad <= 1 << 20 {
                    itemSize += pad
                    continue
                }
                guard let t = NpyScalar(fd) else { throw bad("field '\(fname)' has dtype '\(fd)', which is not profiled") }
                guard names.insert(fname).inserted else { throw bad("field '\(fname)' appears twice") }
                fields.append(Field(name: fname, offset: itemSize, type: t))
                itemSize += t.size
            }
            guard !fields.isEmpty, fields.count <= maxColumns else { throw bad("\(fields.count) fields") }
            columns = fields.count
        default:
            throw bad("no descr")
        }
        // shape and item size against the file: no multiplication may overflow, and the data must
        // be exactly what the header promises.
        let perRow = Int64(structured ? itemSize : itemSize * columns)
        let (total, overflow) = rows.multipliedReportingOverflow(by: perRow)
        guard !overflow else { throw bad("shape \(shape) is absurd (its size overflows)") }
        let have = fileSize - Int64(dataOffset)
        guard total == have else {
            throw bad("the header promises \(shape) of \(structured ? "records of \(itemSize) bytes" : "\(itemSize)-byte items") (\(total) bytes of data), but the file holds \(have)")
        }
        return NpyHeader(dataOffset: dataOffset, rows: rows, columnCount: columns, fortran: fortran && shape.count == 2,
                         fields: fields, itemSize: itemSize, structured: structured)
    }
}

struct NpyFormat: BlockFormat {
    let header: NpyHeader
    var hasLines: Bool { false }

    var unit: Int { header.itemSize }

    func cut(_ data: UnsafeRawBufferPointer, atEOF: Bool) throws -> Int {
        data.count / unit * unit
    }

    func parse(_ block: Block) -> BlockResult {
        var columns = header.fields.map { ColumnProfile.accumulator(name: $0.name, seed: blockSeed(block.index)) }
        let p = UnsafeRawPointer(block.base)
        let items = block.count / unit
        let first = block.offset / Int64(unit)
        columns.withUnsafeMutableBufferPointer { acc in
            if header.structured {
                for r in 0..<items {
                    let rec = p + r * unit
                    for (c, f) in header.fields.enumerated() { f.type.add(rec + f.offset, to: &acc[c]) }
                }
            } else if header.fortran {
                let t = header.fields[0].type
                for j in 0..<items {
                    let g = first + Int64(j)
                    t.add(p + j * unit, to: &acc[Int(g / header.rows)])
                }
            } else {
                let t = header.fields[0].type
                let n = header.columnCount
                var c = Int(first % Int64(n))
                for j in 0..<items {
                    t.add(p + j * unit, to: &acc[c])
                    c += 1
                    if c == n { c = 0 }
                }
            }
        }
        for i in columns.indices { columns[i].finish() }
        // Rows are the header's; per block they would count elements, not rows.
        return BlockResult(profile: Profile(format: "npy", rows: 0, columns: columns), lines: 0, failure: nil)
    }

    func finish(_ profile: inout Profile) {
        profile.rows = header.rows
        if profile.columns.isEmpty {
            profile.columns = header.fields.map { ColumnProfile(name: $0.name, seed: blockSeed(0)) }
        }
    }
}

/// The subset of Python literals an .npy header uses: dict, list, tuple, str, int, True/False.
struct PyLiteral {
    indirect enum Value {
        case dict([String: Value]), list([Value]), tuple([Value]), string(String), int(Int64), bool(Bool), none
    }
    struct Failure: Error {}
    let b: [UInt8]
    var i = 0

    init(_ s: String) { b = Array(s.utf8) }

    mutating func parseTop() throws -> Value {
        let v = try value(depth: 0)
        skip()
        guard i == b.count else { throw Failure() }
        return v
    }

    mutating func skip() { while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x09 || b[i] == 0x0D { i += 1 } }

    mutating func value(depth: Int) throws -> Value {
        guard depth < 8 else { throw Failure() }
        skip()
        guard i < b.count else { throw Failure() }
        switch b[i] {
        case UInt8(ascii: "{"):
            var d: [String: Value] = [:]
            for item in try sequence(close: UInt8(ascii: "}"), depth: depth, pairs: true) {
                guard case .tuple(let kv) = item, case .string(let k) = kv[0] else { throw Failure() }
                d[k] = kv[1]
            }
            return .dict(d)
        case UInt8(ascii: "["): return .list(try sequence(close: UInt8(ascii: "]"), depth: depth, pairs: false))
        case UInt8(ascii: "("): return .tuple(try sequence(close: UInt8(ascii: ")"), depth: depth, pairs: false))
        case UInt8(ascii: "'"), UInt8(ascii: "\""):
            let q = b[i]
            i += 1
            let s = i
            while i < b.count, b[i] != q { guard b[i] != UInt8(ascii: "\\") else { throw Failure() }; i += 1 }
            guard i < b.count else { throw Failure() }
            i += 1
            return .string(String(decoding: b[s..<i - 1], as: UTF8.self))
        default:
            let s = i
            while i < b.count, b[i] != UInt8(ascii: ","), b[i] != UInt8(ascii: ")"), b[i] != UInt8(ascii: "]"),
                  b[i] != UInt8(ascii: "}"), b[i] != UInt8(ascii: ":"), b[i] != 0x20 { i += 1 }
            let word = String(decoding: b[s..<i], as: UTF8.self)
            switch word {
            case "True": return .bool(true)
            case "False": return .bool(false)
            case "None": return .none
            default:
                let digits = word.hasSuffix("L") ? String(word.dropLast()) : word
                guard let v = Int64(digits) else { throw Failure() }
                return .int(v)
            }
        }
    }

    mutating func sequence(close: UInt8, depth: Int, pairs: Bool) throws -> [Value] {
        i += 1
        var out: [Value] = []
        while true {
            skip()
            guard i < b.count else { throw Failure() }
            if b[i] == close { i += 1; return out }
            let v = try value(depth: depth + 1)
            if pairs {
                skip()
                guard i < b.count, b[i] == UInt8(ascii: ":") else { throw Failure() }
                i += 1
                out.append(.tuple([v, try value(depth: depth + 1)]))
            } else {
                out.append(v)
            }
            skip()
            guard i < b.count, out.count <= 1 << 16 else { throw Failure() }
            if b[i] == UInt8(ascii: ",") { i += 1; continue }
            guard b[i] == close else { throw Failure() }
            i += 1
            return out
        }
    }
}
