import Foundation
import MLOpsBasics
@testable import Profiling
import Testing

/// A table with one column of each kind; rows [start, start + n).
func sampleCSV(_ start: Int, _ n: Int, seed: UInt64, shift: Double = 0) -> String {
    var r = Rng(seed)
    var s = ""
    for i in start..<start + n {
        let cat = "c\(Int(pow(r.uniform(), 3) * 20))"
        let x = r.uniform() < 0.02 ? "" : String(r.normal() + shift)
        let when = 1_600_000_000 + i * 7
        s += "\(i),\(x),\(cat),\(r.uniform() < 0.3),\(formatDatetime(Double(when))),u\(r.int(0..<5000))\n"
    }
    return s
}

let sampleHeader = "id,x,cat,flag,when,user\n"

/// Checks that `m` (a merge) describes the same data as `w` (the whole) within the sketches' errors.
func expectAgree(_ m: Profile, _ w: Profile, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(m.rows == w.rows && m.columns.map(\.name) == w.columns.map(\.name), sourceLocation: sourceLocation)
    for (a, b) in zip(m.columns, w.columns) {
        #expect(a.count == b.count && a.nulls == b.nulls && a.kinds == b.kinds && a.nonFinite == b.nonFinite, "\(a.name)", sourceLocation: sourceLocation)
        #expect(a.type == b.type, sourceLocation: sourceLocation)
        #expect(a.distinctSketch == b.distinctSketch, "\(a.name): HyperLogLog merges exactly", sourceLocation: sourceLocation)
        #expect(a.moments.n == b.moments.n && a.moments.min == b.moments.min && a.moments.max == b.moments.max, sourceLocation: sourceLocation)
        #expect(a.intMin == b.intMin && a.intMax == b.intMax, sourceLocation: sourceLocation)
        if a.moments.n > 0 {
            #expect(abs(a.moments.mean - b.moments.mean) <= 1e-9 * max(1, abs(b.moments.mean)), "\(a.name) mean", sourceLocation: sourceLocation)
            #expect(abs(a.std! - b.std!) <= 1e-9 * max(1, b.std!), "\(a.name) std", sourceLocation: sourceLocation)
            let av = a.quantiles.sortedView, bv = b.quantiles.sortedView
            let tolerance = a.quantiles.rankError + b.quantiles.rankError
            for v in bv.values where abs(av.cdf(v) - bv.cdf(v)) > tolerance {
                Issue.record("\(a.name): CDF at \(v) differs by \(abs(av.cdf(v) - bv.cdf(v))) > \(tolerance)", sourceLocation: sourceLocation)
                break
            }
        }
        if a.categories.isExact && b.categories.isExact {
            #expect(a.categories == b.categories, "\(a.name)", sourceLocation: sourceLocation)
        } else {
            for (label, count) in b.categories.items where count > a.categories.maxError + b.categories.maxError {
                let c = a.categories.count(of: label)
                #expect(abs(c - count) <= a.categories.maxError + b.categories.maxError, "\(a.name) \(label)", sourceLocation: sourceLocation)
            }
        }
    }
}

@Suite struct MergeTests {
    @Test func mergeOfPartsAgreesWithTheWholeAndIsAssociative() throws {
        let a = sampleCSV(0, 60_000, seed: 1), b = sampleCSV(60_000, 90_000, seed: 2), c = sampleCSV(150_000, 30_000, seed: 3)
        let opts = ProfileOptions(blockSize: 1 << 16)
        let pa = try profileOf(sampleHeader + a, options: opts), pb = try profileOf(sampleHeader + b, options: opts)
        let pc = try profileOf(sampleHeader + c, options: opts)
        let whole = try profileOf(sampleHeader + a + b + c, options: opts)
        let left = pa.merged(with: pb).merged(with: pc), right = pa.merged(with: pb.merged(with: pc))
        #expect(left.files == 3 && left.rows == 180_000 && left.bytes == pa.bytes + pb.bytes + pc.bytes)
        expectAgree(left, whole)
        expectAgree(right, whole)
        expectAgree(left, right)
        #expect(left.column("cat")!.type == .string && left.column("when")!.type == .datetime && left.column("flag")!.type == .bool)
        #expect(Profile.merge([pa, pb, pc]) == left)
    }

    @Test func columnsOnOneSideAndTypesThatWiden() throws {
        let ints = try profileOf("a,b\n1,x\n2,y\n"), floats = try profileOf("a,c\n1.5,true\n")
        let m = ints.merged(with: floats)
        #expect(m.columns.map(\.name) == ["a", "b", "c"])
        #expect(m.column("a")!.type == .float && m.column("a")!.max == 2 && m.column("a")!.min == 1)
        #expect(m.column("b")!.count == 2 && m.column("c")!.count == 1 && m.rows == 3)
        let strings = try profileOf("a\nhello\n")
        let s = m.merged(with: strings).column("a")!
        #expect(s.type == .string && s.mean == nil && s.moments.n == 0, "a string column keeps no numeric summary")
        #expect(try profileOf("a\n1\n").merged(with: try profileOf("a\n1\n", name: "t.tsv")).format == "mixed")
    }
}

@Suite struct EncodingTests {
    static func sample() throws -> Profile {
        try profileOf(sampleHeader + sampleCSV(0, 20_000, seed: 4), options: ProfileOptions(blockSize: 1 << 16))
    }

    @Test func roundTripIsExactAndCanonical() throws {
        let dir = TempDir()
        var profiles = [try EncodingTests.sample()]
        profiles.append(try Profiler.profile(file: put(dir, "t.jsonl", "{\"a\": 1, \"b\": \"x\"}\n{\"a\": 2.5, \"c\": [1]}\n")))
        profiles.append(profiles[0].merged(with: profiles[1]))
        for p in profiles {
            let bytes = p.encoded
            let back = try Profile.decode(bytes)
            #expect(back == p)
            #expect(back.encoded == bytes)
            // Decoded profiles merge exactly as the originals do.
            #expect(back.merged(with: profiles[0]) == p.merged(with: profiles[0]))
        }
        // The same bytes give the same profile, byte for byte.
        #expect(try EncodingTests.sample().encoded == profiles[0].encoded)
    }

    @Test func aSmallProfileIsPinned() throws {
        let p = try profileOf("n,s\n1,a\n2,\n")
        #expect(String(decoding: p.encoded, as: UTF8.self) == #"""
            {"bytes":11,"columns":[{"categories":{"items":[["1",1],["2",1]],"maxError":0,"total":2},"count":2,"distinct":{"estimate":2,"exact":true,"hll":"DAQCDDQC","sparse":true},"kinds":{"bool":0,"datetime":0,"float":0,"int":2,"string":0},"name":"n","nonFinite":0,"nulls":0,"numeric":{"histogram":{"counts":[1,1],"edges":[2.0]},"intMax":2,"intMin":1,"kll":{"k":200,"levels":["AAAAAAAA8D8AAAAAAAAAQA=="],"n":2,"rng":"079f88c22e1cb084","variance":0.0},"m2":0.5,"max":2.0,"mean":1.5,"min":1.0,"n":2,"quantiles":[[0.01,1.0],[0.05,1.0],[0.25,1.0],[0.5,1.0],[0.75,2.0],[0.95,2.0],[0.99,2.0]],"rankError":0.0,"std":0.7071067811865476},"type":"int"},{"categories":{"items":[["a",1]],"maxError":0,"total":1},"count":2,"distinct":{"estimate":1,"exact":true,"hll":"APcC","sparse":true},"kinds":{"bool":0,"datetime":0,"float":0,"int":0,"string":1},"name":"s","nonFinite":0,"nulls":1,"type":"string"}],"files":1,"format":"csv","profile":1,"rows":2}
            """#)
    }

    /// Decoding a mutated profile must fail with `expected` in the message.
    static func rejects(_ p: Profile, _ expected: String, sourceLocation: SourceLocation = #_sourceLocation, _ mutate: (inout [String: JSON]) -> Void) {
        var root = p.json.object!
        mutate(&root)
        do {
            _ = try Profile.decode(Array(JSON.object(root).canonical.utf8), source: "p.json")
            Issue.record("accepted a profile that should fail with \(expected)", sourceLocation: sourceLocation)
        } catch {
            #expect("\(error)".contains(expected), "\(error)", sourceLocation: sourceLocation)
            #expect("\(error)".hasPrefix("p.json: not a valid profile (version 1): "), sourceLocation: sourceLocation)
        }
    }

    static func editColumn(_ root: inout [String: JSON], _ i: Int, _ edit: (inout [String: JSON]) -> Void) {
        var cols = root["columns"]!.array!
        var c = cols[i].object!
        edit(&c)
        cols[i] = .object(c)
        root["columns"] = .array(cols)
    }

    static func editNumeric(_ root: inout [String: JSON], _ edit: (inout [String: JSON]) -> Void) {
        editColumn(&root, 1) { c in
            var n = c["numeric"]!.object!
            edit(&n)
            c["numeric"] = .object(n)
        }
    }

    static func editKLL(_ root: inout [String: JSON], _ edit: (inout [String: JSON]) -> Void) {
        editNumeric(&root) { n in
            var k = n["kll"]!.object!
            edit(&k)
            n["kll"] = .object(k)
        }
    }

    @Test func hostileProfilesAreRefusedWithAReason() throws {
        let p = try EncodingTests.sample()
        EncodingTests.rejects(p, "version is 2, expected 1") { $0["profile"] = 2 }
        EncodingTests.rejects(p, "unknown format parquet") { $0["format"] = "parquet" }
        EncodingTests.rejects(p, "rows is -1, below 0") { $0["rows"] = -1 }
        EncodingTests.rejects(p, "do not fit 5 rows") { $0["rows"] = 5 }
        EncodingTests.rejects(p, "column id appears twice") { r in r["columns"] = .array(r["columns"]!.array! + [r["columns"]!.array![0]]) }
        EncodingTests.rejects(p, "kinds do not add up") { EncodingTests.editColumn(&$0, 0) { c in c["nulls"] = 3 } }
        EncodingTests.rejects(p, "kinds do not add up") { EncodingTests.editColumn(&$0, 0) { c in c["kinds"] = ["int": .int(Int64.max), "float": 5, "bool": 0, "datetime": 0, "string": 0] } }
        EncodingTests.rejects(p, "has a rank above 53") { EncodingTests.editColumn(&$0, 0) { c in
            c["distinct"] = ["estimate": 1, "exact": false, "hll": .string(Data([0, 1, 60]).base64EncodedString()), "sparse": true] } }
        EncodingTests.rejects(p, "has 3 registers, expected 4096") { EncodingTests.editColumn(&$0, 0) { c in
            c["distinct"] = ["estimate": 1, "exact": false, "hll": "AAAA", "sparse": false] } }
        EncodingTests.rejects(p, "holds more than 4096 bytes") { EncodingTests.editColumn(&$0, 0) { c in
            c["distinct"] = ["estimate": 1, "exact": false, "hll": .string(String(repeating: "A", count: 8000)), "sparse": false] } }
        EncodingTests.rejects(p, "lists c0 twice") { EncodingTests.editColumn(&$0, 2) { c in
            var cat = c["categories"]!.object!
            cat["items"] = .array(cat["items"]!.array! + [["c0", 1]])
            c["categories"] = .object(cat) } }
        EncodingTests.rejects(p, "more than 128") { EncodingTests.editColumn(&$0, 2) { c in
            var cat = c["categories"]!.object!
            cat["items"] = .array((0..<200).map { .array([.string("v\($0)"), 1]) })
            c["categories"] = .object(cat) } }
        EncodingTests.rejects(p, "counts exceed the total") { EncodingTests.editColumn(&$0, 2) { c in
            var cat = c["categories"]!.object!
            cat["total"] = 10
            c["categories"] = .object(cat) } }
        EncodingTests.rejects(p, "min above max") { EncodingTests.editNumeric(&$0) { n in n["min"] = 1e9 } }
        EncodingTests.rejects(p, "m2 is negative") { EncodingTests.editNumeric(&$0) { n in n["m2"] = -1.0 } }
        EncodingTests.rejects(p, "kll.n differs from n") { EncodingTests.editKLL(&$0) { k in k["n"] = 7 } }
        EncodingTests.rejects(p, "kll.k is not 200") { EncodingTests.editKLL(&$0) { k in k["k"] = 100 } }
        EncodingTests.rejects(p, "rng is not 16 hex digits") { EncodingTests.editKLL(&$0) { k in k["rng"] = "xyz" } }
        EncodingTests.rejects(p, "is not a list of 1 to 60 levels") { EncodingTests.editKLL(&$0) { k in k["levels"] = .array(Array(repeating: "", count: 61)) } }
        EncodingTests.rejects(p, "weights add up to") { EncodingTests.editKLL(&$0) { k in
            var l = k["levels"]!.array!
            l[l.count - 1] = ""
            k["levels"] = .array(l) } }
        EncodingTests.rejects(p, "is not sorted") { EncodingTests.editKLL(&$0) { k in
            var l = k["levels"]!.array!
            l[l.count - 1] = .string(encodeDoubles([1, 0.5]))
            k["levels"] = .array(l) } }
        EncodingTests.rejects(p, "outside [min, max]") { EncodingTests.editKLL(&$0) { k in
            var l = k["levels"]!.array!
            l[l.count - 1] = .string(encodeDoubles([1e300]))
            k["levels"] = .array(l) } }
        EncodingTests.rejects(p, "is not base64") { EncodingTests.editKLL(&$0) { k in
            var l = k["levels"]!.array!
            l[0] = "!!!!"
            k["levels"] = .array(l) } }
        EncodingTests.rejects(p, "holds more than") { EncodingTests.editKLL(&$0) { k in
            var l = k["levels"]!.array!
            l[0] = .string(String(repeating: "A", count: 1 << 20))
            k["levels"] = .array(l) } }
        EncodingTests.rejects(p, "numeric values, expected") { EncodingTests.editColumn(&$0, 1) { c in c["numeric"] = nil } }
        EncodingTests.rejects(p, "not in canonical form") { EncodingTests.editColumn(&$0, 1) { c in c["type"] = "string" } }
        EncodingTests.rejects(p, "not in canonical form") { $0["extra"] = 1 }
        EncodingTests.rejects(p, "not in canonical form") { EncodingTests.editNumeric(&$0) { n in n["std"] = 5.0 } }
    }

    @Test func malformedBytesAreRefusedAndNeverCrash() throws {
        let bytes = try EncodingTests.sample().encoded
        func fails(_ b: [UInt8], _ what: String) {
            do { _ = try Profile.decode(b); Issue.record("accepted: \(what)") } catch { #expect("\(error)".hasPrefix("profile: not a valid profile")) }
        }
        fails([], "empty")
        fails(Array("{}".utf8), "empty object")
        fails(Array(String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: ",", with: ", ").utf8), "spaces")
        fails([0xFF] + bytes, "not UTF-8")
        fails(Array(repeating: UInt8(ascii: "["), count: 100_000), "deep nesting")
        fails(Array(("[" + String(repeating: "0,", count: 4_100_000) + "0]").utf8), "too many values")
        for cut in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 300)) { fails(Array(bytes[..<cut]), "prefix \(cut)") }
        var r = Rng(77)
        var accepted = 0
        for _ in 0..<400 {
            var b = bytes
            for _ in 0..<r.int(1..<4) { b[r.int(0..<b.count)] = UInt8(truncatingIfNeeded: r.next()) }
            if let p = try? Profile.decode(b) { accepted += 1; #expect(p.encoded == b) }
        }
        #expect(accepted < 40, "random corruption is almost always caught (\(accepted) accepted)")
    }
}

@Suite struct DeferredListingTests {
    /// Values of a column with few distinct values reach HyperLogLog and KLL through the category
    /// table, with their counts as weights: the sketches must be what adding each value gives.
    @Test func foldingTheTableIsExact() throws {
        var text = "x\n"
        for i in 0..<3000 { text += "\(i % 5)\n" }
        for i in 0..<20_000 { text += "\(1000 + i)\n" }
        let c = try profileOf(text).column("x")!
        var direct = HyperLogLog()
        for line in text.split(separator: "\n").dropFirst() { direct.add(hash: valueHash(Array(line.utf8))) }
        #expect(c.distinctSketch == direct)
        #expect(c.quantiles.n == 23_000 && c.moments.n == 23_000 && c.intMax == 20_999)
        let view = c.quantiles.sortedView
        #expect(abs(view.cdf(4) - 3000.0 / 23_000) <= c.quantiles.rankError + 1e-12)

        let few = try profileOf("x\n" + (0..<10_000).map { "\($0 % 3)" }.joined(separator: "\n") + "\n").column("x")!
        #expect(few.quantiles.rankError == 0 && few.quantiles.n == 10_000)
        #expect(few.histogram == Histogram(edges: [1, 2], counts: [3334, 3333, 3333]))
        #expect(few.quantile(0.5) == 1 && few.distinct == (3, true))
    }
}
