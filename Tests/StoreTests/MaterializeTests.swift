import Foundation
import MLOpsBasics
@testable import Store
import Testing

/// Checkout's writer: a file appears under its name whole and verified, or not at all.
@Suite struct MaterializeTests {
    func stored(_ tmp: TempDir, _ bytes: [UInt8]) throws -> (Store, FileRecord) {
        let store = try Store.create(at: tmp.path + "/cache")
        write(bytes, to: tmp.path + "/src")
        let ing = Ingester(store: store, statCache: nil)
        let r = try ing.file(at: tmp.path + "/src", key: nil)
        try ing.finish()
        return (store, r)
    }

    @Test func aFileReplacesWhatWasThereWithItsModeAndNoTemporary() throws {
        let tmp = TempDir()
        let data = csvBytes(rows: 40_000, seed: 21)   // several chunks
        let (store, r) = try stored(tmp, data)
        try FS.mkdirs(tmp.path + "/out")
        write(Array("old".utf8), to: tmp.path + "/out/f.csv")
        let st = try Materializer(store: store).write(.init(id: r.id, size: r.size, executable: true, dest: tmp.path + "/out/f.csv"))
        #expect(try FS.readFile(tmp.path + "/out/f.csv") == data)
        #expect(st.size == Int64(data.count) && st.mode & 0o100 != 0)
        #expect(try FS.listDirectory(tmp.path + "/out").map(\.name) == ["f.csv"])
    }

    /// A pointer that names the right data with the wrong size: the error blames the pointer, and the
    /// file that was there is untouched.
    @Test func aWrongSizeBlamesTheOriginAndChangesNothing() throws {
        let tmp = TempDir()
        let (store, r) = try stored(tmp, randomBytes(5000, seed: 22))
        try FS.mkdirs(tmp.path + "/out")
        write(Array("keep me".utf8), to: tmp.path + "/out/f")
        let tree = WorkTree(path: tmp.path + "/out")
        do {
            _ = try Materializer(store: store).write(.init(id: r.id, size: 4999, executable: false, tree: tree, directory: nil, name: "f",
                                                           origin: "f.mlops"))
            Issue.record("a wrong size was written")
        } catch {
            #expect("\(error)".hasPrefix("f.mlops: says "), "\(error)")
            #expect("\(error)".contains(" has 4999 bytes, but its data (sha256:\(r.id.hex)) has 5000"), "\(error)")
        }
        #expect(try FS.readFile(tmp.path + "/out/f") == Array("keep me".utf8))
        #expect(try FS.listDirectory(tmp.path + "/out").map(\.name) == ["f"])
    }

    /// An id the cache does not hold is an error before anything is created.
    @Test func anAbsentObjectCreatesNothing() throws {
        let tmp = TempDir()
        let (store, _) = try stored(tmp, randomBytes(100, seed: 23))
        try FS.mkdirs(tmp.path + "/out")
        #expect(throws: (any Error).self) {
            _ = try Materializer(store: store).write(.init(id: .hashing("absent"), size: 6, executable: false, dest: tmp.path + "/out/g"))
        }
        #expect(try FS.listDirectory(tmp.path + "/out").isEmpty)
    }

    /// Small files are read and hashed 16 at a time; every one is still checked: 40 files write
    /// byte-exact, and with one chunk's stored bytes damaged in its pack, that file is refused by name
    /// and never appears, while none of the others is written wrong.
    @Test func smallFilesInBatchesAreEachVerified() throws {
        let tmp = TempDir()
        let store = try Store.create(at: tmp.path + "/cache")
        let ing = Ingester(store: store, statCache: nil)
        var records: [(FileRecord, [UInt8])] = []
        for i in 0..<40 {
            let bytes = randomBytes(3000 + 97 * i, seed: UInt64(100 + i))
            write(bytes, to: tmp.path + "/src\(i)")
            records.append((try ing.file(at: tmp.path + "/src\(i)", key: nil), bytes))
        }
        try ing.finish()
        try FS.mkdirs(tmp.path + "/out")
        // Jobs hold their directory open: made again for the second, new, directory.
        func jobs() -> [Materializer.Job] {
            records.enumerated().map { i, r in Materializer.Job(id: r.0.id, size: r.0.size, executable: false, dest: tmp.path + "/out/f\(i)") }
        }
        _ = try Materializer(store: store, threads: 2).write(jobs())
        for (i, r) in records.enumerated() { #expect(try FS.readFile(tmp.path + "/out/f\(i)") == r.1) }

        try FS.removeTree(tmp.path + "/out")
        try FS.mkdirs(tmp.path + "/out")
        let victim = 23
        let loc = try #require(store.locate(records[victim].0.id))
        let pack = try FileDescriptor.open(store.packPath(loc.pack.name), O_RDWR)
        let at = loc.entry.offset + Int64(loc.entry.recordSize) - 10
        var byte = try pack.pread(count: 1, offset: at)
        byte[0] ^= 0x55
        try byte.withUnsafeBytes { try pack.pwrite($0, offset: at) }
        pack.close()
        do {
            _ = try Materializer(store: try Store(root: tmp.path + "/cache"), threads: 2).write(jobs())
            Issue.record("a damaged chunk was written")
        } catch {
            #expect("\(error)".contains(records[victim].0.id.hex), "\(error)")
        }
        #expect(!FS.exists(tmp.path + "/out/f\(victim)"))
        for (i, r) in records.enumerated() where FS.exists(tmp.path + "/out/f\(i)") {
            #expect(try FS.readFile(tmp.path + "/out/f\(i)") == r.1, "f\(i)")
        }
    }
}
