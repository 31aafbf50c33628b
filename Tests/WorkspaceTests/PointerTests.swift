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
        ("version https://git-mlops.dev/spec/pointer/v9\n", "upgrade git-mlops"),
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

    @Test func pointerAndDataPathsPair() {
        #expect(Pointer.pointerPath(forData: "data/x.csv") == "data/x.csv.mlops")
        #expect(Pointer.dataPath(forPointer: "data/x.csv.mlops") == "data/x.csv")
    }
}
