import MLOpsBasics
import ObjectStore
@testable import Store
import Testing

@Suite struct ManifestTests {
    @Test func fileManifestRoundTrips() throws {
        let m = FileManifest(size: 30, chunks: [.init(id: .hashing("a"), size: 10), .init(id: .hashing("b"), size: 20)])
        let id = ObjectID.hashing("file")
        #expect(try FileManifest.decode(m.encode(), id: id) == m)
        var bad = m
        bad.size = 31
        #expect(throws: MLOpsError.self) { try FileManifest.decode(bad.encode(), id: id) }
    }

    @Test func directoryPiecesAreStableUnderOneChange() throws {
        var entries = (0..<5000).map { DirEntry(path: "d\($0 % 7)/f\($0).bin", id: .hashing("\($0)"), size: Int64($0), executable: $0 % 11 == 0) }
        let before = DirManifest(entries: entries).encode()
        entries[1234].id = .hashing("changed")
        let after = DirManifest(entries: entries).encode()
        let old = Set(before.pieces.map(\.id))
        let new = after.pieces.filter { !old.contains($0.id) }
        #expect(before.pieces.count > 10)
        #expect(new.count == 1, "one changed file must rewrite one piece, not \(new.count)")
        #expect(before.id != after.id)
    }

    @Test func directoryRoundTripsThroughTopAndPieces() throws {
        // `%` is escaped, so a name that looks escaped reads back as itself (newlines are refused: RepoPath).
        let entries = (0..<900).map { DirEntry(path: "x/%0Aweird%25 name \($0)", id: .hashing("\($0)"), size: 3, executable: false) }
        let m = DirManifest(entries: entries)
        let enc = m.encode()
        let top = try DirManifest.decodeTop(enc.top, id: enc.id)
        #expect(top.files == 900)
        var back: [DirEntry] = []
        for p in enc.pieces { back += try DirManifest.decodePiece(p.bytes, id: p.id) }
        #expect(back == m.entries)
    }

    @Test func unsafePathsInPiecesAreRefused() throws {
        let id = ObjectID.hashing("x")
        for p in ["../evil", "/etc/passwd", "a/../../b", "a//b", "./a", "a/", "a/..", "a/.", "..", "a\0b",
                  ".git/config", "a/.GIT/hooks/x", "git~1/config", ".git./x", "%0A", "a/.b.mlops-tmp"] {
            let line = Array("100644 \(id.hex) 1 \(p)\n".utf8)
            #expect(throws: MLOpsError.self) { try DirManifest.decodePiece(line, id: id) }
        }
        for p in ["...", "a/..b", ".hidden/x", "a b/c d", "x/%2E%2E"] {
            #expect(RepoPath.problem(p) == nil, "\(p) stays inside")
            #expect(try DirManifest.decodePiece(Array("100644 \(id.hex) 1 \(p)\n".utf8), id: id).map(\.path) == [p])
        }
    }

    @Test func malformedEntryLinesAreRefused() {
        let hex = ObjectID.hashing("x").hex
        for line in ["100644 \(hex) 1", "100644 \(hex) 1 ", "100600 \(hex) 1 a", "100644 \(hex.dropLast()) 1 a",
                     "100644 \(hex)  1 a", "100644 \(hex) -1 a", "100644 \(hex) 1x a", "100644  \(hex) 1 a",
                     "100644 \(hex) 99999999999999999999 a", "100644 \(hex.uppercased().dropLast())g 1 a"] {
            #expect(throws: MLOpsError.self, "\(line)") { try DirManifest.decodePiece(Array((line + "\n").utf8), id: .hashing("p")) }
        }
        let ok = try? DirManifest.decodePiece(Array("100755 \(hex.uppercased()) 12 a b\n\n".utf8), id: .hashing("p"))
        #expect(ok == [DirEntry(path: "a b", id: .hashing("x"), size: 12, executable: true)])
    }

    /// A later format version is not damage: the error says to upgrade, not to fetch the object again.
    @Test func aNewerFormatVersionAsksForAnUpgrade() throws {
        func expectUpgrade(_ body: () throws -> Void) {
            do { try body(); Issue.record("a newer version was read") } catch {
                #expect("\(error)".contains("made by a newer git-mlops"), "\(error)")
                #expect(!"\(error)".contains("malformed"), "\(error)")
            }
        }
        let id = ObjectID.hashing("file")
        let file = CheckLine.appended(to: Array("mlops-file 2\nsize 0\n".utf8))
        expectUpgrade { _ = try FileManifest.decode(file, id: id) }
        expectUpgrade { _ = try DirManifest.decodeTop(Array("mlops-dir 7\nfiles 0\nsize 0\n".utf8), id: id) }
        let data = ObjectID.hashing("data")
        let profile = CheckLine.appended(to: Array("mlops-profile 2\ndata \(data.hex)\nparts 0\n{}\n".utf8))
        expectUpgrade { _ = try ProfileObject.decode(profile, key: ProfileObject.key(for: data)) }
        // An older or unknown name stays damage.
        #expect(throws: MLOpsError.self) { try FileManifest.decode(CheckLine.appended(to: Array("mlops-file 0\nsize 0\n".utf8)), id: id) }
        #expect(FormatHeader.newer("mlops-filex 2", than: FileManifest.header, what: "x") == nil)
        #expect(FormatHeader.newer("mlops-file 1", than: FileManifest.header, what: "x") == nil)
    }
}
