import Testing
import MLOpsBasics
@testable import Workspace

@Suite struct PointerTests {
    static let hex = String(repeating: "ab", count: 32)
    let id = ObjectID(hex: PointerTests.hex)!

    @Test func encodesSmallStableTextThatReadsBack() throws {
        let p = Pointer(id: id, size: 1 << 40, kind: .dir, files: 1_000_000)
        let text = p.encode()
        #expect(text.utf8.count < 200)
        #expect(text.hasPrefix("version \(Pointer.version)\noid sha256:\(id.hex)\n"))
        #expect(try Pointer.decode(text, path: "data.mlops") == p)
    }

    @Test func executableBitAndUnknownKeysSurviveARewrite() throws {
        let text = "version \(Pointer.version)\noid sha256:\(id.hex)\nsize 7\ntype file\nexec true\nzeta 1\nalpha x y\n"
        let p = try Pointer.decode(text, path: "x.mlops")
        #expect(p.executable)
        #expect(p.extra == ["alpha": "x y", "zeta": "1"])
        #expect(p.encode() == "version \(Pointer.version)\noid sha256:\(id.hex)\nsize 7\ntype file\nexec true\nalpha x y\nzeta 1\n")
    }

    static let head = "version \(Pointer.version)\n"
    @Test(arguments: [
        ("", "first line"),
        (head + "oid sha256:\(hex)\nsize 7\ntype file", "final newline"),
        ("version 2\n", "unknown version 2"),
        (head + "oid sha256:abc\nsize 7\ntype file\n", "oid"),
        (head + "oid sha256:\(hex)\nsize -1\ntype file\n", "size"),
        (head + "oid sha256:\(hex)\nsize 7\ntype link\n", "type"),
        (head + "oid sha256:\(hex)\nsize 7\nsize 8\ntype file\n", "twice"),
        ("<<<<<<< HEAD\n" + head, "first line"),
    ])
    func malformedPointersNameTheFileAndTheFix(text: String, why: String) {
        do {
            _ = try Pointer.decode(text, path: "models/m.bin.mlops")
            Issue.record("accepted a malformed pointer: \(text.debugDescription)")
        } catch {
            let line = "\(error)"
            #expect(line.hasPrefix("models/m.bin.mlops: "), "names the file: \(line)")
            #expect(line.contains(why), "says what is wrong: \(line)")
            #expect(!line.contains("\n"), "one line: \(line)")
            #expect(line.contains("git checkout -- models/m.bin.mlops"), "says how to fix it: \(line)")
        }
    }

    /// A later pointer version is not damage: the error says a newer git-mlops wrote it, and to upgrade.
    @Test func aNewerPointerVersionAsksForAnUpgrade() {
        #expect(throws: MLOpsError("models/m.bin.mlops: this pointer was made by a newer git-mlops (pointer version 9)",
                                   hint: "upgrade git-mlops to read it")) {
            try Pointer.decode("version https://git-mlops.dev/spec/pointer/v9\nwhatever it holds\n", path: "models/m.bin.mlops")
        }
    }

    /// docs/format.md: under 200 bytes. The widest pointer git-mlops writes fits; one byte more than the
    /// limit, made of a key a newer version might add, is refused, from text and from a blob alike.
    @Test func aPointerIsUnder200Bytes() throws {
        let widest = Pointer(id: id, size: Int64.max, kind: .dir, files: Int.max, executable: true).encode()
        #expect(widest.utf8.count < 200)
        #expect(try Pointer.decode(widest, path: "w.mlops").size == Int64.max)
        let base = Pointer(id: id, size: 1, kind: .file).encode()
        func padded(to n: Int) -> String { base + "note " + String(repeating: "x", count: n - base.utf8.count - 6) + "\n" }
        #expect(padded(to: 199).utf8.count == 199 && padded(to: 200).utf8.count == 200)
        #expect(try Pointer.decode(padded(to: 199), path: "a.mlops").extra == ["note": String(repeating: "x", count: 199 - base.utf8.count - 6)])
        for bytes in [Array(padded(to: 200).utf8), nil] as [[UInt8]?] {
            #expect(throws: MLOpsError.malformed("b.mlops", "not a valid git-mlops pointer (too large for a pointer: it is under 200 bytes)",
                                                 fix: "restore it with `git checkout -- b.mlops`, or re-create it with `git mlops add`")) {
                try Pointer.decode(blob: bytes, path: "b.mlops")
            }
        }
    }

    @Test func pointerAndDataPathsPair() {
        #expect(Pointer.pointerPath(forData: "data/x.csv") == "data/x.csv.mlops")
        #expect(Pointer.dataPath(forPointer: "data/x.csv.mlops") == "data/x.csv")
    }
}
