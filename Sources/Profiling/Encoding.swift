import Foundation
import MLOpsBasics

// Profile format version 1: canonical JSON (MLOpsBasics.JSON: sorted keys, no spaces, shortest
// round-trip numbers), laid out in docs/validation.md, "Profile format (version 1)". Derived fields
// (type, estimates, quantiles, histogram, std) are written for readers of the JSON; the decoder
// ignores them and instead re-encodes what it decoded and requires the same bytes, so a profile is
// accepted only in its one canonical form.

extension Profile {
    /// Decoder limits: checked before anything is built from the input.
    public static let maxEncodedBytes = 64 << 20
    static let maxNodes = 4_000_000
    public static let maxColumns = 4096
    static let maxNameBytes = 4096
    static let maxLevels = 60
    static let quantilePoints: [Double] = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99]

    public var json: JSON {
        .object([
            "profile": .int(Int64(Profile.formatVersion)),
            "format": .string(format),
            "files": .int(files),
            "rows": .int(rows),
            "bytes": .int(bytes),
            "columns": .array(columns.map(\.json)),
        ])
    }

    /// The canonical bytes of the profile.
    public var encoded: [UInt8] { Array(json.canonical.utf8) }

    /// Decodes a profile, treating the bytes as hostile: sizes and counts are checked before
    /// anything is allocated from them, every invariant of the sketches is checked, and the input
    /// must be the canonical encoding of what it decodes to.
    public static func decode(_ bytes: [UInt8], source: String = "profile") throws -> Profile {
        func bad(_ what: String) -> MLOpsError {
            MLOpsError.malformed(source, "not a valid profile (version \(formatVersion)): \(what)",
                                 fix: "profile the data again with `git mlops profile`")
        }
        guard bytes.count <= maxEncodedBytes else { throw bad("\(bytes.count) bytes, more than the limit of \(maxEncodedBytes)") }
        guard structuralCount(bytes) <= maxNodes else { throw bad("more than \(maxNodes) JSON values") }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw bad("not UTF-8") }
        let root: JSON
        do { root = try JSON.parse(text) } catch { throw bad("\(error)") }
        let profile: Profile
        do { profile = try Decoder(root: root).profile() } catch let e as Decoder.Failure { throw bad(e.what) }
        guard profile.encoded == bytes else { throw bad("not in canonical form (fields out of order, derived values that disagree, or extra keys)") }
        return profile
    }

    /// Commas, colons and brackets outside strings: a bound on the values JSON.parse would build.
    static func structuralCount(_ b: [UInt8]) -> Int {
        var n = 0, inString = false, escaped = false
        for c in b {
            if inString {
                if escaped { escaped = false } else if c == UInt8(ascii: "\\") { escaped = true } else if c == UInt8(ascii: "\"") { inString = false }
            } else if c == UInt8(ascii: "\"") {
                inString = true
                n += 1
            } else if c == UInt8(ascii: ",") || c == UInt8(ascii: ":") || c == UInt8(ascii: "[") || c == UInt8(ascii: "{") {
                n += 1
            }
        }
        return n
    }
}

extension ColumnProfile {
    var json: JSON {
        var o: [String: JSON] = [
            "name": .string(name),
            "type": .string(type.rawValue),
            "count": .int(count),
            "nulls": .int(nulls),
            "nonFinite": .int(nonFinite),
            "kinds": .object(["int": .int(kinds.int), "float": .int(kinds.float), "bool": .int(kinds.bool),
                              "datetime": .int(kinds.datetime), "string": .int(kinds.string)]),
            "distinct": distinctJSON,
            "categories": .object([
                "items": .array(categories.items.map { .array([.string($0.label), .int($0.count)]) }),
                "maxError": .int(categories.maxError),
                "total": .int(categories.total),
            ]),
        ]
        if moments.n > 0 { o["numeric"] = numericJSON }
        return .object(o)
    }

    private var distinctJSON: JSON {
        let regs = distinctSketch.registers
        let nonzero = regs.reduce(0) { $0 + ($1 != 0 ? 1 : 0) }
        let sparse = 3 * nonzero < regs.count
        var raw: [UInt8] = []
        if sparse {
            for (i, r) in regs.enumerated() where r != 0 { raw += [UInt8(i >> 8), UInt8(i & 0xFF), r] }
        } else {
            raw = regs
        }
        let d = distinct
        return .object(["estimate": .int(Int64(d.value)), "exact": .bool(d.exact),
                        "hll": .string(Data(raw).base64EncodedString()), "sparse": .bool(sparse)])
    }

    private var numericJSON: JSON {
        var o: [String: JSON] = [
            "n": .int(moments.n), "mean": .double(moments.mean), "m2": .double(moments.m2),
            "min": .double(moments.min), "max": .double(moments.max),
            "kll": .object([
                "k": .int(Int64(quantiles.k)),
                "n": .int(quantiles.n),
                "variance": .double(quantiles.variance),
                "rng": .string(hex16(quantiles.rng)),
                "levels": .array(quantiles.levels.enumerated().map { h, level in
                    .string(encodeDoubles(h == 0 ? level.sorted() : level))
                }),
            ]),
            "rankError": .double(quantiles.rankError),
        ]
        if let s = moments.std { o["std"] = .double(s) }
        if kinds.int > 0 { o["intMin"] = .int(intMin); o["intMax"] = .int(intMax) }
        let view = quantiles.sortedView
        o["quantiles"] = .array(Profile.quantilePoints.map { .array([.double($0), .double(view.quantile($0) ?? 0)]) })
        if let h = histogram {
            o["histogram"] = .object(["edges": .array(h.edges.map { .double($0) }), "counts": .array(h.counts.map { .int($0) })])
        }
        return .object(o)
    }
}

func hex16(_ v: UInt64) -> String {
    let s = String(v, radix: 16)
    return String(repeating: "0", count: 16 - s.count) + s
}

/// Float64 values, little-endian, base64: exact bit patterns in a fraction of the JSON text.
func encodeDoubles(_ values: [Double]) -> String {
    var raw = [UInt8]()
    raw.reserveCapacity(values.count * 8)
    for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { raw += $0 } }
    return Data(raw).base64EncodedString()
}

/// Reads the JSON tree of a profile, checking every field.
private struct Decoder {
    struct Failure: Error { let what: String }
    let root: JSON

    func fail(_ what: String) -> Failure { Failure(what: what) }

    func object(_ v: JSON?, _ path: String) throws -> [String: JSON] {
        guard let o = v?.object else { throw fail("\(path) is not an object") }
        return o
    }

    func int(_ o: [String: JSON], _ key: String, _ path: String, min: Int64 = 0) throws -> Int64 {
        guard case .int(let v)? = o[key] else { throw fail("\(path).\(key) is not an integer") }
        guard v >= min else { throw fail("\(path).\(key) is \(v), below \(min)") }
        return v
    }

    func double(_ o: [String: JSON], _ key: String, _ path: String) throws -> Double {
        guard let v = o[key]?.double, v.isFinite else { throw fail("\(path).\(key) is not a finite number") }
        return v
    }

    func string(_ o: [String: JSON], _ key: String, _ path: String, maxBytes: Int) throws -> String {
        guard let s = o[key]?.string else { throw fail("\(path).\(key) is not a string") }
        guard s.utf8.count <= maxBytes else { throw fail("\(path).\(key) is longer than \(maxBytes) bytes") }
        return s
    }

    func base64(_ s: String, maxBytes: Int, _ path: String) throws -> [UInt8] {
        guard s.utf8.count <= (maxBytes + 2) / 3 * 4 else { throw fail("\(path) holds more than \(maxBytes) bytes") }
        guard let d = Data(base64Encoded: s) else { throw fail("\(path) is not base64") }
        return [UInt8](d)
    }

    func profile() throws -> Profile {
        let o = try object(root, "profile")
        guard case .int(let v)? = o["profile"], v == Int64(Profile.formatVersion) else {
            throw fail("version is \(o["profile"].map { $0.canonical } ?? "missing"), expected \(Profile.formatVersion)")
        }
        let format = try string(o, "format", "profile", maxBytes: 16)
        guard ["csv", "tsv", "jsonl", "npy", "mixed"].contains(format) else { throw fail("unknown format \(format)") }
        let rows = try int(o, "rows", "profile")
        guard let cols = o["columns"]?.array else { throw fail("columns is not an array") }
        guard cols.count <= Profile.maxColumns else { throw fail("\(cols.count) columns, more than \(Profile.maxColumns)") }
        var columns: [ColumnProfile] = []
        var names = Set<String>()
        for (i, c) in cols.enumerated() {
            let col = try column(c, "columns[\(i)]", rows: rows)
            guard names.insert(col.name).inserted else { throw fail("column \(col.name) appears twice") }
            columns.append(col)
        }
        return Profile(format: format, files: try int(o, "files", "profile", min: 1), rows: rows,
                       bytes: try int(o, "bytes", "profile"), columns: columns)
    }

    func column(_ v: JSON, _ path: String, rows: Int64) throws -> ColumnProfile {
        let o = try object(v, path)
        var c = ColumnProfile(name: try string(o, "name", path, maxBytes: Profile.maxNameBytes), seed: 0)
        c.count = try int(o, "count", path)
        c.nulls = try int(o, "nulls", path)
        guard c.count <= rows, c.nulls <= c.count else { throw fail("\(path): count \(c.count) and nulls \(c.nulls) do not fit \(rows) rows") }
        let k = try object(o["kinds"], path + ".kinds")
        c.kinds = KindCounts(int: try int(k, "int", path), float: try int(k, "float", path), bool: try int(k, "bool", path),
                             datetime: try int(k, "datetime", path), string: try int(k, "string", path))
        let (sum, overflow) = [c.kinds.float, c.kinds.bool, c.kinds.datetime, c.kinds.string].reduce((c.kinds.int, false)) {
            let r = $0.0.addingReportingOverflow($1); return (r.partialValue, $0.1 || r.overflow)
        }
        guard !overflow, sum == c.count - c.nulls else { throw fail("\(path).kinds do not add up to the non-null count") }
        c.nonFinite = try int(o, "nonFinite", path)
        guard c.nonFinite <= c.kinds.float else { throw fail("\(path).nonFinite exceeds the floats") }
        c.distinctSketch = try hll(try object(o["distinct"], path + ".distinct"), path + ".distinct")
        c.categories = try categories(try object(o["categories"], path + ".categories"), path + ".categories", present: c.count - c.nulls)
        if let n = o["numeric"] {
            try numeric(try object(n, path + ".numeric"), path + ".numeric", into: &c)
        } else {
            c.quantiles = KLLSketch(k: KLLSketch.defaultK, n: 0, levels: [[]], variance: 0, rng: 0)
        }
        let expected = c.isNumeric ? c.kinds.total - c.nonFinite : 0
        guard c.moments.n == expected else { throw fail("\(path): \(c.moments.n) numeric values, expected \(expected)") }
        return c
    }

    func hll(_ o: [String: JSON], _ path: String) throws -> HyperLogLog {
        guard let sparse = o["sparse"]?.bool else { throw fail("\(path).sparse is not a bool") }
        let m = HyperLogLog.registerCount
        let raw = try base64(try string(o, "hll", path, maxBytes: 8 * m), maxBytes: sparse ? 3 * m : m, path + ".hll")
        var regs = [UInt8](repeating: 0, count: m)
        if sparse {
            guard raw.count % 3 == 0 else { throw fail("\(path).hll is not a list of (index, rank)") }
            var last = -1
            for j in stride(from: 0, to: raw.count, by: 3) {
                let i = Int(raw[j]) << 8 | Int(raw[j + 1])
                guard i > last, i < m, raw[j + 2] >= 1 else { throw fail("\(path).hll has a bad entry") }
                regs[i] = raw[j + 2]
                last = i
            }
        } else {
            guard raw.count == m else { throw fail("\(path).hll has \(raw.count) registers, expected \(m)") }
            regs = raw
        }
        guard regs.allSatisfy({ $0 <= HyperLogLog.maxRank }) else { throw fail("\(path).hll has a rank above \(HyperLogLog.maxRank)") }
        return HyperLogLog(registers: regs)
    }

    func categories(_ o: [String: JSON], _ path: String, present: Int64) throws -> FrequentItems {
        guard let items = o["items"]?.array else { throw fail("\(path).items is not an array") }
        guard items.count <= FrequentItems.capacity else { throw fail("\(path) lists \(items.count) items, more than \(FrequentItems.capacity)") }
        let total = try int(o, "total", path)
        guard total <= present else { throw fail("\(path).total exceeds the non-null count") }
        var f = FrequentItems()
        var sum: Int64 = 0
        for item in items {
            guard let pair = item.array, pair.count == 2, let label = pair[0].string, case .int(let n) = pair[1], n >= 1 else {
                throw fail("\(path).items holds something other than [label, count]")
            }
            let bytes = Array(label.utf8)
            guard bytes.count <= FrequentItems.maxLabelBytes else { throw fail("\(path) has a label longer than \(FrequentItems.maxLabelBytes) bytes") }
            guard f.count(of: label) == 0 else { throw fail("\(path) lists \(label) twice") }
            let (s, overflow) = sum.addingReportingOverflow(n)
            guard !overflow, s <= total else { throw fail("\(path) counts exceed the total") }
            sum = s
            bytes.withUnsafeBytes { f.add(hash: valueHash(bytes), count: n, $0.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, bytes.count) }
        }
        f.total = total
        f.maxError = try int(o, "maxError", path)
        return f
    }

    func numeric(_ o: [String: JSON], _ path: String, into c: inout ColumnProfile) throws {
        let n = try int(o, "n", path, min: 1)
        let lo = try double(o, "min", path), hi = try double(o, "max", path)
        guard lo <= hi else { throw fail("\(path): min above max") }
        let m2 = try double(o, "m2", path)
        guard m2 >= 0 else { throw fail("\(path).m2 is negative") }
        c.moments = Moments(n: n, mean: try double(o, "mean", path), m2: m2, min: lo, max: hi)
        if c.kinds.int > 0 {
            guard case .int(let a)? = o["intMin"], case .int(let b)? = o["intMax"], a <= b else { throw fail("\(path) lacks intMin <= intMax") }
            c.intMin = a; c.intMax = b
        }
        let kll = try object(o["kll"], path + ".kll")
        guard try int(kll, "k", path + ".kll") == Int64(KLLSketch.defaultK) else { throw fail("\(path).kll.k is not \(KLLSketch.defaultK)") }
        guard try int(kll, "n", path + ".kll") == n else { throw fail("\(path).kll.n differs from n") }
        let variance = try double(kll, "variance", path + ".kll")
        guard variance >= 0 else { throw fail("\(path).kll.variance is negative") }
        let rngText = try string(kll, "rng", path + ".kll", maxBytes: 16)
        guard rngText.utf8.count == 16, let rng = UInt64(rngText, radix: 16) else { throw fail("\(path).kll.rng is not 16 hex digits") }
        guard let levelTexts = kll["levels"]?.array, (1...Profile.maxLevels).contains(levelTexts.count) else {
            throw fail("\(path).kll.levels is not a list of 1 to \(Profile.maxLevels) levels")
        }
        let capacity = KLLSketch.totalCapacity(k: KLLSketch.defaultK, levels: levelTexts.count)
        var levels: [[Double]] = []
        var retained = 0
        var weight: Int64 = 0
        for (h, t) in levelTexts.enumerated() {
            guard let s = t.string else { throw fail("\(path).kll.levels[\(h)] is not a string") }
            let raw = try base64(s, maxBytes: 8 * (capacity - retained), path + ".kll.levels[\(h)]")
            guard raw.count % 8 == 0 else { throw fail("\(path).kll.levels[\(h)] is not a list of float64") }
            var level: [Double] = []
            level.reserveCapacity(raw.count / 8)
            for j in stride(from: 0, to: raw.count, by: 8) {
                let bits = raw[j..<j + 8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                let v = Double(bitPattern: bits)
                guard v.isFinite, v >= lo, v <= hi else { throw fail("\(path).kll.levels[\(h)] holds a value outside [min, max]") }
                guard level.last.map({ $0 <= v }) ?? true else { throw fail("\(path).kll.levels[\(h)] is not sorted") }
                level.append(v)
            }
            retained += level.count
            let (w, o1) = (Int64(1) << Int64(h)).multipliedReportingOverflow(by: Int64(level.count))
            let (sum, o2) = weight.addingReportingOverflow(w)
            guard !o1, !o2 else { throw fail("\(path).kll weights overflow") }
            weight = sum
            levels.append(level)
        }
        guard weight == n else { throw fail("\(path).kll weights add up to \(weight), not n = \(n)") }
        guard retained < capacity else { throw fail("\(path).kll holds more items than its levels allow") }
        c.quantiles = KLLSketch(k: KLLSketch.defaultK, n: n, levels: levels, variance: variance, rng: rng)
    }
}
