import Foundation
import MLOpsBasics
@testable import Profiling
import Testing

@Suite struct CSVReaderTests {
    @Test func quotingCRLFAndBOM() throws {
        let text = "\u{FEFF}id,name,note\r\n1,\"a, b\",\"say \"\"hi\"\"\"\r\n2,plain,\"two\r\nlines\"\r\n3,\"\",\r\n"
        let p = try profileOf(text)
        #expect(p.rows == 3 && p.format == "csv")
        #expect(p.columns.map(\.name) == ["id", "name", "note"])
        let name = p.column("name")!, note = p.column("note")!
        #expect(name.type == .string && name.nulls == 0)
        #expect(Set(name.categories.items.map(\.label)) == ["a, b", "plain", ""], "a quoted empty field is an empty string")
        #expect(Set(note.categories.items.map(\.label)) == ["say \"hi\"", "two\r\nlines"])
        #expect(note.nulls == 1, "an unquoted empty field is a null")
        #expect(p.column("id")!.type == .int && p.column("id")!.intMax == 3)
    }

    @Test func typesAndNulls() throws {
        let text = """
            i,f,b,d,s,mixed,empty
            1,1.5,true,2024-01-01,x,1,
            -7,2e3,False,2024-02-29T12:30:00Z,y,true,NA
            NA,inf,TRUE,2024-03-01 00:00:00+01:00,,2024-01-01,null
            9223372036854775807,.25,false,2024-03-02T00:00:00.5,z,z,

            """
        let p = try profileOf(text)
        let types = p.columns.map(\.type)
        #expect(types == [.int, .float, .bool, .datetime, .string, .string, .null])
        let i = p.column("i")!
        #expect(i.nulls == 1 && i.intMin == -7 && i.intMax == Int64.max)
        let f = p.column("f")!
        #expect(f.nonFinite == 1 && f.min == 0.25 && f.max == 2000)
        let b = p.column("b")!
        #expect(b.mean == 0.5 && b.categories.count(of: "true") == 1)
        let d = p.column("d")!
        #expect(d.min == 1_704_067_200 && d.max == 1_709_337_600.5)
        #expect(d.quantile(0.5) == 1_709_209_800)
        #expect(p.column("s")!.nulls == 1)
        #expect(p.column("empty")!.nulls == 4 && p.column("empty")!.distinct.value == 0)
    }

    @Test func tsvAndCompressedGiveTheSameProfile() throws {
        var r = Rng(11)
        var rows = "a\tb\tc\n"
        for i in 0..<20_000 { rows += "\(i)\t\(r.normal())\tcat\(r.int(0..<30))\n" }
        let dir = TempDir()
        let plain = try Profiler.profile(file: put(dir, "x.tsv", rows))
        let gz = try Profiler.profile(file: put(dir, "x.tsv.gz", gzipped(Array(rows.utf8))))
        let zst = try Profiler.profile(file: put(dir, "x.tsv.zst", zstdCompressed(Array(rows.utf8))))
        #expect(plain.format == "tsv" && plain.rows == 20_000)
        #expect(gz.columns == plain.columns && zst.columns == plain.columns)
        #expect(gz.bytes < plain.bytes && zst.bytes < plain.bytes)
        // Two gzip members one after the other, as `cat a.gz b.gz` makes.
        let bytes = Array(rows.utf8)
        let cut = bytes[..<(bytes.count / 2)].lastIndex(of: 0x0A)! + 1
        let two = gzipped(Array(bytes[..<cut])) + gzipped(Array(bytes[cut...]))
        #expect(try Profiler.profile(file: put(dir, "two.tsv.gz", two)).columns == plain.columns)
    }

    /// Quoted newlines across block boundaries, tiny blocks, any number of threads: the same exact
    /// figures, and for a given block size the same profile whatever the threads.
    @Test func blocksCutOnlyBetweenRecords() throws {
        var r = Rng(5)
        var text = "id,text,x\n"
        for i in 0..<5_000 {
            let t = r.uniform() < 0.3 ? "\"multi\nline \"\"\(i % 50)\"\"\nvalue\"" : "v\(i % 77)"
            text += "\(i),\(t),\(r.int(0..<1000))\n"
        }
        let base = try profileOf(text)
        #expect(base.rows == 5_000)
        for (blockSize, threads) in [(4096, 1), (4096, 2), (4096, 3), (65_536, 2)] {
            let p = try profileOf(text, options: ProfileOptions(threads: threads, blockSize: blockSize))
            #expect(p.rows == base.rows)
            for (a, b) in zip(p.columns, base.columns) {
                #expect(a.count == b.count && a.kinds == b.kinds && a.distinctSketch == b.distinctSketch)
                if b.categories.isExact { #expect(a.categories == b.categories) }
                #expect(a.intMin == b.intMin && a.intMax == b.intMax && a.moments.n == b.moments.n)
                #expect(abs(a.moments.mean - b.moments.mean) < 1e-9)
            }
        }
        let one = try profileOf(text, options: ProfileOptions(threads: 1, blockSize: 4096))
        let three = try profileOf(text, options: ProfileOptions(threads: 3, blockSize: 4096))
        for (a, b) in zip(one.columns, three.columns) {
            #expect(a.quantiles == b.quantiles, "\(a.name) kll")
            #expect(a.categories == b.categories, "\(a.name) cat")
            #expect(a.moments == b.moments, "\(a.name) mom")
        }
        #expect(one == three && one.encoded == three.encoded)
    }

    @Test func headerOnlyAndNoTrailingNewline() throws {
        let h = try profileOf("a,b\n")
        #expect(h.rows == 0 && h.columns.map(\.count) == [0, 0])
        let p = try profileOf("a,b\n1,2\n3,4")
        #expect(p.rows == 2 && p.column("b")!.intMax == 4)
        let one = try profileOf("only\n1\n\n3\n")
        #expect(one.rows == 3 && one.column("only")!.nulls == 1, "a blank line in a one-column file is a null")
        let blank = try profileOf("a,b\n1,2\n\n3,4\n")
        #expect(blank.rows == 2, "blank lines are skipped")
    }

    @Test func badCSVGetsOneErrorNamingFileAndLine() {
        func err(_ text: String, _ name: String = "data.csv") -> String { profileError(Array(text.utf8), name: name) ?? "no error" }
        #expect(err("a,b,c\n1,2,3\n4,5\n") == "data.csv:3: row has 2 fields, the header has 3; fix the row, or quote fields that contain ','")
        #expect(err("a,b\n1,2\n1,2,3\n") == "data.csv:3: row has 3 fields, the header has 2; fix the row, or quote fields that contain ','")
        #expect(err("a\tb\n1\t2\t3\n", "d.tsv") == "d.tsv:2: row has 3 fields, the header has 2; fix the row, or quote fields that contain '\\t'")
        #expect(err("a,b\n1,\"x\"\"\n2,3\n") == "data.csv:2: a quoted field is not closed before the end of the file; add the closing '\"' (a quote inside a quoted field is written \"\")")
        #expect(err("a,b\n1,x\"y\n") == "data.csv:2: a quote inside an unquoted field; quote the whole field and write the quote as \"\"")
        #expect(err("a,b\n1,\"x\"y\n") == "data.csv:2: text after the closing quote of a quoted field; quote the whole field and write a quote inside it as \"\"")
        #expect(err("") == "data.csv: the file is empty; profile a file with a header row and data, or remove it")
        #expect(err("\u{FEFF}") == "data.csv: the file is empty; profile a file with a header row and data, or remove it")
        #expect(err("a,a\n1,2\n") == "data.csv:1: column \"a\" appears twice in the header; give every column its own name")
        #expect(profileError(Array("a\n1\n".utf8), name: "x.txt") == "x.txt: not a table that profile reads; profile reads CSV (.csv), TSV (.tsv), JSON Lines (.jsonl, .ndjson) and NumPy (.npy), the text formats also as .gz or .zst")
        // Invalid UTF-8 on line 1234, far from the start.
        var bytes = Array("a,b\n".utf8)
        for i in 2..<1234 { bytes += Array("\(i),x\n".utf8) }
        bytes += [0x31, 0x2C, 0xFF, 0xFE, 0x0A] + Array("5,6\n".utf8)
        #expect(profileError(bytes, name: "data.csv", options: ProfileOptions(blockSize: 4096))
            == "data.csv:1234: invalid UTF-8 (byte 0xff); convert the file to UTF-8, e.g. `iconv -f latin1 -t utf-8`")
        // Ragged far into a file cut into many blocks: the line is counted across blocks.
        var many = "a,b\n"
        for i in 0..<20_000 { many += i == 15_000 ? "oops\n" : "\(i),\"q\nq\"\n" }
        #expect(profileError(Array(many.utf8), name: "big.csv", options: ProfileOptions(threads: 2, blockSize: 4096))
            == "big.csv:30002: row has 1 field, the header has 2; fix the row, or quote fields that contain ','")
    }

    @Test func aLineOverTheLimitIsAnErrorNotAnAllocation() {
        var text = Array("a,b\n1,2\n".utf8)
        text += [UInt8](repeating: UInt8(ascii: "x"), count: 3 << 20) + Array(",1\n".utf8)
        let e = profileError(text, name: "long.csv", options: ProfileOptions(blockSize: 1 << 16, maxRecordBytes: 1 << 20))
        #expect(e == "long.csv:3: a record is longer than 1.0 MiB, the limit; check for an unclosed quote or a missing line end, or split the record")
        let unclosed = Array("a,b\n1,\"".utf8) + [UInt8](repeating: 0x41, count: 2 << 20)
        #expect(profileError(unclosed, name: "q.csv", options: ProfileOptions(blockSize: 1 << 16, maxRecordBytes: 1 << 20))?.hasPrefix("q.csv:2: ") == true)
    }

    @Test func brokenCompressedInputIsAnError() {
        let gz = gzipped(Array("a,b\n1,2\n".utf8))
        #expect(profileError(Array(gz.prefix(gz.count - 6)), name: "t.csv.gz") == "t.csv.gz: the gzip data ends early (truncated file); copy or download the file again")
        #expect(profileError(Array("not gzip at all".utf8), name: "t.csv.gz")?.hasPrefix("t.csv.gz: not valid gzip data") == true)
        let zs = zstdCompressed(Array("a,b\n1,2\n".utf8))
        #expect(profileError(Array(zs.prefix(zs.count - 3)), name: "t.csv.zst") == "t.csv.zst: the zstd data ends early (truncated file); copy or download the file again")
        #expect(profileError([1, 2, 3, 4, 5, 6, 7, 8], name: "t.csv.zst")?.hasPrefix("t.csv.zst: not valid zstd data") == true)
    }
}

@Suite struct JSONLinesReaderTests {
    @Test func keysBecomeColumnsAndNestedValuesAreStrings() throws {
        let text = """
            {"id": 1, "name": "a", "score": 0.5, "ok": true, "tags": ["x", "y"]}
            {"id": 2, "name": "b\\u00e9", "score": null, "ok": false, "meta": {"k": [1, {"z": null}]}}

            {"name": "c", "id": 3, "when": "2024-01-01T00:00:00Z", "score": 1e2}
            """
        let p = try profileOf(text, name: "t.jsonl")
        #expect(p.rows == 3 && p.format == "jsonl")
        #expect(p.columns.map(\.name) == ["id", "name", "score", "ok", "tags", "meta", "when"])
        #expect(p.columns.map(\.count) == [3, 3, 3, 3, 3, 3, 3])
        #expect(p.column("id")!.type == .int && p.column("score")!.type == .float && p.column("score")!.nulls == 1)
        #expect(p.column("ok")!.type == .bool)
        #expect(p.column("name")!.categories.count(of: "bé") == 1)
        let tags = p.column("tags")!
        #expect(tags.type == .string && tags.nulls == 2 && tags.categories.items[0].label == "[\"x\", \"y\"]")
        #expect(p.column("meta")!.categories.items[0].label == "{\"k\": [1, {\"z\": null}]}")
        #expect(p.column("when")!.type == .datetime && p.column("when")!.nulls == 2)
    }

    @Test func aKeyFirstSeenInALaterBlockIsNullBefore() throws {
        var text = ""
        for i in 0..<3000 { text += i < 2500 ? "{\"a\": \(i)}\n" : "{\"a\": \(i), \"late\": \"v\"}\n" }
        let p = try profileOf(text, name: "t.ndjson", options: ProfileOptions(blockSize: 4096))
        #expect(p.rows == 3000)
        #expect(p.column("late")!.count == 3000 && p.column("late")!.nulls == 2500)
    }

    @Test func aBrokenLineNamesItsLine() {
        func err(_ text: String) -> String { profileError(Array(text.utf8), name: "d.jsonl") ?? "no error" }
        #expect(err("{\"a\": 1}\n{\"a\": 2,}\n") == "d.jsonl:2: invalid JSON at byte 9 of the line: expected a key in quotes; fix or remove the line; each line must be one JSON object")
        #expect(err("{\"a\": 1}\n\n[1, 2]\n") == "d.jsonl:3: invalid JSON at byte 1 of the line: a line must hold a JSON object ({...}); fix or remove the line; each line must be one JSON object")
        #expect(err("{\"a\": 1} x\n").hasPrefix("d.jsonl:1: invalid JSON at byte 10 of the line: text after the object"))
        #expect(err("{\"a\": 1, \"a\": 2}\n").hasPrefix("d.jsonl:1: invalid JSON at byte 10 of the line: key \"a\" appears twice"))
        #expect(err("{\"a\": \"\\ud800\"}\n").contains("lone surrogate"))
        #expect(err("{\"a\": 01}\n").hasPrefix("d.jsonl:1: invalid JSON"))
        #expect(err("{\"a\": \"x\n").hasPrefix("d.jsonl:1: invalid JSON at byte 9 of the line: the string is not closed"))
        #expect(err("") == "d.jsonl: the file is empty; profile a file with a header row and data, or remove it")
        var many = ""
        for i in 0..<5000 { many += i == 4321 ? "{\"a\": tru}\n" : "{\"a\": \(i)}\n" }
        #expect(profileError(Array(many.utf8), name: "d.jsonl", options: ProfileOptions(blockSize: 4096))?.hasPrefix("d.jsonl:4322: invalid JSON") == true)
    }
}

@Suite struct NpyReaderTests {
    /// An .npy file by hand: magic, version, padded header, data.
    static func npy(_ header: String, _ data: [UInt8], major: UInt8 = 1) -> [UInt8] {
        let prefix = major == 1 ? 10 : 12
        var h = Array(header.utf8)
        while (prefix + h.count + 1) % 64 != 0 { h.append(0x20) }
        h.append(0x0A)
        var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [major, 0]
        if major == 1 { out += [UInt8(h.count & 0xFF), UInt8(h.count >> 8)] } else { out += [UInt8(h.count & 0xFF), UInt8(h.count >> 8), 0, 0] }
        return out + h + data
    }

    static func le<T: FixedWidthInteger>(_ v: [T]) -> [UInt8] { v.flatMap { x in withUnsafeBytes(of: x.littleEndian) { Array($0) } } }
    static func be<T: FixedWidthInteger>(_ v: [T]) -> [UInt8] { v.flatMap { x in withUnsafeBytes(of: x.bigEndian) { Array($0) } } }

    @Test func headersByteOrdersAndMemoryOrders() throws {
        let dir = TempDir()
        // 3x2 int32, C order: rows (1, 10), (2, 20), (3, 30).
        let c = try Profiler.profile(file: put(dir, "c.npy", NpyReaderTests.npy("{'descr': '<i4', 'fortran_order': False, 'shape': (3, 2), }", NpyReaderTests.le([Int32(1), 10, 2, 20, 3, 30]))))
        #expect(c.rows == 3 && c.columns.map(\.name) == ["0", "1"])
        #expect(c.column("0")!.intMax == 3 && c.column("1")!.intMin == 10)
        // The same array in Fortran order, big-endian, format 2.0 and 3.0.
        let fdata = NpyReaderTests.be([Int32(1), 2, 3, 10, 20, 30])
        for major: UInt8 in [2, 3] {
            let f = try Profiler.profile(file: put(dir, "f\(major).npy", NpyReaderTests.npy("{'descr': '>i4', 'fortran_order': True, 'shape': (3, 2), }", fdata, major: major)))
            #expect(f.columns == c.columns && f.rows == 3)
        }
        // float64 1-D with a NaN (null); bool; uint8; float16.
        let doubles: [Double] = [1.5, .nan, -2, 4]
        let fl = try Profiler.profile(file: put(dir, "d.npy", NpyReaderTests.npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }", NpyReaderTests.le(doubles.map(\.bitPattern)))))
        #expect(fl.column("0")!.type == .float && fl.column("0")!.nulls == 1 && fl.column("0")!.min == -2)
        let bo = try Profiler.profile(file: put(dir, "b.npy", NpyReaderTests.npy("{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }", [1, 0, 1])))
        #expect(bo.column("0")!.type == .bool && bo.column("0")!.categories.count(of: "true") == 2)
        let half = try Profiler.profile(file: put(dir, "h.npy", NpyReaderTests.npy("{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }", NpyReaderTests.le([Float16(0.5).bitPattern, Float16(-3).bitPattern]))))
        #expect(half.column("0")!.max == 0.5 && half.column("0")!.min == -3)
        // Structured: ('a', '<i2'), 2 bytes padding, ('b', '>f4').
        var rec: [UInt8] = []
        for (a, b) in [(Int16(7), Float(1.25)), (Int16(-1), Float(2.5))] { rec += NpyReaderTests.le([a]) + [0, 0] + NpyReaderTests.be([b.bitPattern]) }
        let s = try Profiler.profile(file: put(dir, "s.npy", NpyReaderTests.npy("{'descr': [('a', '<i2'), ('', '|V2'), ('b', '>f4')], 'fortran_order': False, 'shape': (2,), }", rec)))
        #expect(s.columns.map(\.name) == ["a", "b"] && s.column("a")!.intMin == -1 && s.column("b")!.max == 2.5)
        // A 0-d array and an empty one.
        #expect(try Profiler.profile(file: put(dir, "z.npy", NpyReaderTests.npy("{'descr': '<i8', 'fortran_order': False, 'shape': (), }", NpyReaderTests.le([Int64(42)])))).column("0")!.intMax == 42)
        let e = try Profiler.profile(file: put(dir, "e.npy", NpyReaderTests.npy("{'descr': '<i8', 'fortran_order': False, 'shape': (0, 3), }", [])))
        #expect(e.rows == 0 && e.columns.count == 3)
    }

    @Test func largeArraysAcrossBlocksInBothOrders() throws {
        var r = Rng(2)
        let rows = 30_000
        let values = (0..<rows * 3).map { _ in Float(r.normal()) }
        var cdata: [UInt32] = [], fdata: [UInt32] = []
        for i in 0..<rows { for j in 0..<3 { cdata.append(values[i * 3 + j].bitPattern) } }
        for j in 0..<3 { for i in 0..<rows { fdata.append(values[i * 3 + j].bitPattern) } }
        let dir = TempDir()
        let opts = ProfileOptions(threads: 2, blockSize: 4096)
        let c = try Profiler.profile(file: put(dir, "c.npy", NpyReaderTests.npy("{'descr': '<f4', 'fortran_order': False, 'shape': (\(rows), 3), }", NpyReaderTests.le(cdata))), options: opts)
        let f = try Profiler.profile(file: put(dir, "f.npy", NpyReaderTests.npy("{'descr': '<f4', 'fortran_order': True, 'shape': (\(rows), 3), }", NpyReaderTests.le(fdata))), options: opts)
        for j in 0..<3 {
            let col = (0..<rows).map { Double(values[$0 * 3 + j]) }
            for p in [c, f] {
                let x = p.column(String(j))!
                #expect(x.count == Int64(rows) && x.min == col.min() && x.max == col.max())
                #expect(abs(x.mean! - col.reduce(0, +) / Double(rows)) < 1e-9)
                #expect(x.distinct.value > 0.9 * Double(rows))
            }
        }
    }

    @Test func numpyWrittenFilesAgree() throws {
        guard Python.shouldRun else { return }
        let dir = TempDir()
        _ = try Python.run("""
            import numpy as np, sys, json
            d = sys.argv[1]
            np.save(d + '/a.npy', np.arange(12, dtype='>i8').reshape(4, 3))
            np.save(d + '/b.npy', np.asfortranarray(np.arange(12, dtype='<f4').reshape(4, 3)))
            np.save(d + '/r.npy', np.array([(1, 2.5, True), (3, -1.0, False)], dtype=[('x', '<u2'), ('y', '<f8'), ('z', '?')]))
            print(json.dumps(0))
            """, [dir.path])
        let a = try Profiler.profile(file: dir.path + "/a.npy"), b = try Profiler.profile(file: dir.path + "/b.npy")
        #expect(a.rows == 4 && a.columns.map { $0.intMax } == [9, 10, 11])
        #expect(b.columns.map { $0.max! } == [9, 10, 11] && b.column("0")!.type == .float)
        let r = try Profiler.profile(file: dir.path + "/r.npy")
        #expect(r.columns.map(\.name) == ["x", "y", "z"] && r.column("z")!.type == .bool && r.column("y")!.min == -1)
    }

    /// Bytes from memory, as a file that changes while it is read would give them.
    final class MemorySource: ByteSource {
        var bytes: [UInt8]
        var at = 0
        init(_ b: [UInt8]) { bytes = b }
        func read(into p: UnsafeMutableRawPointer, count: Int) throws -> Int {
            let n = min(count, bytes.count - at)
            bytes.withUnsafeBytes { p.copyMemory(from: $0.baseAddress! + at, byteCount: n) }
            at += n
            return n
        }
    }

    @Test func aFileThatChangesWhileReadIsAnError() {
        let file = NpyReaderTests.npy("{'descr': '<i8', 'fortran_order': False, 'shape': (1000,), }", NpyReaderTests.le((0..<1000).map { Int64($0) }))
        let size = Int64(file.count)
        for (bytes, what) in [(file + [1, 2, 3], "grew by a partial item"), (file + [UInt8](repeating: 0, count: 80), "grew by whole items"),
                              (Array(file.dropLast(800)), "shrank")] {
            do {
                _ = try Profiler.npy(MemorySource(bytes), fileSize: size, name: "w.npy", options: ProfileOptions(blockSize: 4096))
                Issue.record("accepted a file that \(what)")
            } catch {
                #expect("\(error)".hasPrefix("w.npy: the "), "\(what): \(error)")
                #expect("\(error)".contains("change"), "\(what): \(error)")
            }
        }
        #expect((try? Profiler.npy(MemorySource(file), fileSize: size, name: "w.npy", options: ProfileOptions(blockSize: 4096)))?.rows == 1000)
    }

    @Test func lyingOrHostileHeadersAreErrors() {
        func err(_ bytes: [UInt8]) -> String { profileError(bytes, name: "w.npy") ?? "no error" }
        let eight = NpyReaderTests.le([Int64(1), 2])
        #expect(err(NpyReaderTests.npy("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }", eight))
            == "w.npy: not a valid .npy file: the header promises [3] of 8-byte items (24 bytes of data), but the file holds 16; write it again with numpy.save")
        #expect(err(NpyReaderTests.npy("{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }", eight)).contains("(8 bytes of data), but the file holds 16"))
        #expect(err(NpyReaderTests.npy("{'descr': '<i8', 'fortran_order': False, 'shape': (4611686018427387904, 4), }", eight))
            == "w.npy: not a valid .npy file: shape [4611686018427387904, 4] is absurd (its size overflows); write it again with numpy.save")
        #expect(err(NpyReaderTests.npy("{'descr': '<i8', 'fortran_order': False, 'shape': (-1,), }", eight)).contains("shape holds something other than sizes"))
        #expect(err(NpyReaderTests.npy("{'descr': '<U8', 'fortran_order': False, 'shape': (1,), }", [UInt8](repeating: 0, count: 32)))
            == "w.npy: not a valid .npy file: dtype '<U8' is not profiled (bool, int, uint and float are); write it again with numpy.save")
        #expect(err(NpyReaderTests.npy("{'descr': '<i8', 'fortran_order': False, 'shape': (1, 1, 2), }", eight)).contains("a 3-D array"))
        #expect(err(NpyReaderTests.npy("{'descr': '<i8', 'shape': (2,), }", eight)).contains("no fortran_order"))
        #expect(err(NpyReaderTests.npy("{'descr': '<i8', 'fortran_order': False, 'shape': (2,) ", eight)).contains("not a Python dict literal"))
        #expect(err(Array("not numpy".utf8)) == "w.npy: not a valid .npy file: no \\x93NUMPY magic at the start; write it again with numpy.save")
        #expect(err([0x93] + Array("NUMPY".utf8) + [1, 0, 0xFF, 0xFF]) == "w.npy: not a valid .npy file: the file ends inside the header; write it again with numpy.save")
        #expect(err([0x93] + Array("NUMPY".utf8) + [2, 0, 0xFF, 0xFF, 0xFF, 0x7F]).contains("a header of 2147483647 bytes"))
        #expect(err([0x93] + Array("NUMPY".utf8) + [9, 0, 0, 0]).contains("format version 9.0"))
        #expect(err([]) == "w.npy: the file is empty; profile a file with a header row and data, or remove it")
    }
}

@Suite struct JSONEscapeTests {
    /// Decodes the escape at the start of `text`: the bytes it stands for and where it ends, or the error.
    func decode(_ text: [UInt8]) -> (out: [UInt8], next: Int, error: String?) {
        var out: [UInt8] = [], i = 0
        let error = text.withUnsafeBufferPointer { JSONEscape.decode($0.baseAddress!, &i, end: $0.count, into: &out) }
        return (out, i, error)
    }

    @Test func everyEscapeOfRFC8259AndNothingElse() {
        for (e, b) in [("\\\"", 0x22), ("\\\\", 0x5C), ("\\/", 0x2F), ("\\b", 0x08), ("\\f", 0x0C), ("\\n", 0x0A), ("\\r", 0x0D), ("\\t", 0x09)] {
            let r = decode(Array((e + "x").utf8))
            #expect(r.out == [UInt8(b)] && r.next == 2 && r.error == nil, "\(e)")
        }
        #expect(decode(Array("\\u00e9".utf8)).out == Array("é".utf8))
        #expect(decode(Array("\\u00E9".utf8)).out == Array("é".utf8))
        let pair = decode(Array("\\ud83d\\ude00z".utf8))
        #expect(pair.out == Array("😀".utf8) && pair.next == 12 && pair.error == nil)
        #expect(decode(Array("\\x".utf8)).error == "an unknown escape \\x")
        #expect(decode(Array("\\".utf8)).error == "the string is not closed")
        #expect(decode(Array("\\u00".utf8)).error == "a short \\u escape")
        #expect(decode(Array("\\u00g0".utf8)).error == "a bad \\u escape")
        // A control byte is not a hex digit (0x10 | 0x20 is "0").
        #expect(decode([0x5C, 0x75, 0x30, 0x30, 0x10, 0x41]).error == "a bad \\u escape")
        #expect(decode(Array("\\ud800x".utf8)).error == "a lone surrogate \\u escape")
        #expect(decode(Array("\\ud800\\u0041".utf8)).error == "a lone surrogate \\u escape")
        #expect(decode(Array("\\udc00".utf8)).error == "a lone surrogate \\u escape")
    }
}

@Suite struct JSONLineScannerTests {
    /// The members of the line's object as `key=kind:text`, or the error as the readers word it.
    func scan(_ line: String) -> String {
        var scratch: [UInt8] = [0xFF]
        return scan(line, scratch: &scratch)
    }

    func scan(_ line: String, scratch: inout [UInt8]) -> String {
        let bytes = Array(line.utf8) + [0]
        return bytes.withUnsafeBufferPointer { b in
            var s = JSONLineScanner(p: b.baseAddress!, i: 0, end: b.count - 1)
            var members: [String] = []
            do {
                s.skipSpace()
                var more = try s.openObject()
                while more {
                    let k = try s.key(into: &scratch)
                    let key = s.withBytes(of: k, in: scratch) { String(decoding: $0, as: UTF8.self) }
                    try s.colon()
                    let v = try s.value(into: &scratch)
                    members.append("\(key)=\(v.kind):" + s.withBytes(of: v.text, in: scratch) { String(decoding: $0, as: UTF8.self) })
                    more = try s.next()
                }
                try s.closeLine()
            } catch let f as JSONLineScanner.Failure {
                return f.message(lineStart: 0)
            } catch {
                return "\(error)"
            }
            return members.joined(separator: " ")
        }
    }

    @Test func valuesAndTheirText() {
        #expect(scan(#" { "i": -12, "f": 0.5e-3, "F": 1E+2, "z": -0, "t": true, "n": null, "e": "", "x": false } "#)
                == "i=number:-12 f=number:0.5e-3 F=number:1E+2 z=number:-0 t=boolean:true n=null:null e=string: x=boolean:false")
        #expect(scan("{}") == "" && scan("\t{ }\r") == "")
        // Nested values are their text as written, escapes and all.
        #expect(scan(#"{"m": {"k": [1, {"z": "\n"}, []]}, "l": [ ]}"#) == #"m=nested:{"k": [1, {"z": "\n"}, []]} l=nested:[ ]"#)
    }

    @Test func escapesAndSurrogatePairs() {
        #expect(scan(#"{"s": "a\"b\\c\/d\b\f\n\r\t", "u": "\u00e9\ud83d\ude00!", "p": "plain é"}"#)
                == "s=string:a\"b\\c/d\u{8}\u{C}\n\r\t u=string:é😀! p=string:plain é")
        #expect(scan(#"{"k\u0041": 1}"#) == "kA=number:1")
        #expect(scan(#"{"e": "\ud83d"}"#) == #"invalid JSON at byte 14 of the line: a lone surrogate \u escape"#)
        #expect(scan(#"{"e": "\udc00"}"#) == #"invalid JSON at byte 14 of the line: a lone surrogate \u escape"#)
        #expect(scan(#"{"a": "x\q"}"#) == #"invalid JSON at byte 11 of the line: an unknown escape \q"#)
        #expect(scan("{\"a\": \"x\ty\"}") == #"invalid JSON at byte 9 of the line: a control character inside a string (write it as \u00XX)"#)
    }

    /// A string without escapes stays in the line; one with escapes goes after what the scratch buffer
    /// holds; a bad one leaves the buffer as it was.
    @Test func stringsUseTheScratchBufferOnlyForEscapes() throws {
        let line = Array(#""plain" "a\nb" "bad\x""#.utf8)
        var scratch: [UInt8] = [1, 2]
        try line.withUnsafeBufferPointer { b in
            var s = JSONLineScanner(p: b.baseAddress!, i: 0, end: b.count)
            let plain = try s.string(into: &scratch)
            #expect(!plain.inScratch && plain.offset == 1 && plain.length == 5 && scratch == [1, 2])
            s.skipSpace()
            let escaped = try s.string(into: &scratch)
            #expect(escaped.inScratch && escaped.offset == 2 && escaped.length == 3 && scratch == [1, 2, 0x61, 0x0A, 0x62])
            s.skipSpace()
            #expect(throws: JSONLineScanner.Failure.self) { try s.string(into: &scratch) }
            #expect(scratch == [1, 2, 0x61, 0x0A, 0x62])
        }
        // Nested values check their strings in the scratch buffer and take them out again.
        var kept: [UInt8] = [7]
        #expect(scan(#"{"m": ["\u00e9", {"\n": "\t"}]}"#, scratch: &kept) == #"m=nested:["\u00e9", {"\n": "\t"}]"#)
        #expect(kept == [7])
    }

    @Test func numbersOfRFC8259Only() {
        #expect(scan(#"{"a": 01}"#) == "invalid JSON at byte 8 of the line: expected ',' or '}'")
        #expect(scan(#"{"a": 1.}"#) == "invalid JSON at byte 9 of the line: expected digits after '.'")
        #expect(scan(#"{"a": -}"#) == "invalid JSON at byte 8 of the line: expected a value")
        #expect(scan(#"{"a": 1e}"#) == "invalid JSON at byte 9 of the line: expected digits in the exponent")
        #expect(scan(#"{"a": 1e+}"#) == "invalid JSON at byte 10 of the line: expected digits in the exponent")
        #expect(scan(#"{"a": .5}"#) == "invalid JSON at byte 7 of the line: expected a value")
        #expect(scan(#"{"a": +1}"#) == "invalid JSON at byte 7 of the line: expected a value")
        #expect(scan(#"{"a": [1, 01]}"#) == "invalid JSON at byte 12 of the line: expected ',' or ']'")
        #expect(scan(#"{"a": tru}"#) == "invalid JSON at byte 7 of the line: unexpected token")
        #expect(scan(#"{"a": nul"#) == "invalid JSON at byte 7 of the line: unexpected token")
    }

    @Test func nestingIsLimited() {
        func nested(_ n: Int) -> String { #"{"a": "# + String(repeating: "[", count: n) + String(repeating: "]", count: n) + "}" }
        #expect(scan(nested(JSONLineScanner.maxDepth)).hasPrefix("a=nested:[[["))
        #expect(scan(nested(JSONLineScanner.maxDepth + 1)) == "invalid JSON at byte 135 of the line: nested more than 128 deep")
        #expect(scan(#"{"a": [1 2]}"#) == "invalid JSON at byte 10 of the line: expected ',' or ']'")
        #expect(scan(#"{"a": {"k" 1}}"#) == "invalid JSON at byte 12 of the line: expected ':' after a key")
        #expect(scan(#"{"a": {1: 2}}"#) == "invalid JSON at byte 8 of the line: expected a key in quotes")
    }

    @Test func truncatedAndMisshapenLines() {
        for (line, error) in [
            (#"{"#, "byte 2 of the line: expected a key in quotes"),
            (#"{"a""#, "byte 5 of the line: expected ':' after a key"),
            (#"{"a": "#, "byte 7 of the line: expected a value"),
            (#"{"a": 1"#, "byte 8 of the line: the object is not closed"),
            (#"{"a": 1,"#, "byte 9 of the line: expected a key in quotes"),
            (#"{"a": [1, 2"#, "byte 12 of the line: not closed"),
            (#"{"a": "abc"#, "byte 11 of the line: the string is not closed"),
            (#"{"a": "ab\"#, "byte 10 of the line: the string is not closed"),
            (#"{"a": "\u12"#, #"byte 10 of the line: a short \u escape"#),
            (#"{"a": 1,}"#, "byte 9 of the line: expected a key in quotes"),
            (#"{"a": 1 "b": 2}"#, "byte 9 of the line: expected ',' or '}'"),
            (#"[1]"#, "byte 1 of the line: a line must hold a JSON object ({...})"),
            (#"{} x"#, "byte 4 of the line: text after the object"),
        ] {
            #expect(scan(line) == "invalid JSON at " + error, "\(line)")
        }
    }
}
