import Foundation
import MLOpsBasics
@testable import ObjectStore
import TestSupport
import Testing

/// A pack's index as the database opens it: every object found where the pack holds it, absent ids
/// not found, and the structural checks that run on every open.
@Suite struct PackIndexTests {
    func pack(_ tmp: TempDir, chunks n: Int) throws -> (ObjectDatabase, [ObjectID: [UInt8]], String) {
        let db = try ObjectDatabase(creating: tmp.path + "/cache")
        let w = db.writer()
        var blobs: [ObjectID: [UInt8]] = [:]
        for i in 0..<n {
            let b = randomBytes(3000 + i * 17, seed: UInt64(i) + 100)
            blobs[.hashing(b)] = b
            try w.put(id: .hashing(b), kind: .chunk, bytes: b, compressor: Compressor())
        }
        try w.finish()
        return (db, blobs, db.packNames[0])
    }

    @Test func everyObjectIsFoundAtItsRecordAndNothingElse() throws {
        let tmp = TempDir()
        let (db, blobs, name) = try pack(tmp, chunks: 300)
        let idx = try PackIndex(path: "\(db.packsDir)/\(name).idx", name: name, verifyChecksum: true)
        #expect(idx.count == 300)
        #expect(idx.entries.map(\.id) == blobs.keys.sorted(), "rows sorted by id")
        let pack = db.packFile(name)
        for (id, bytes) in blobs {
            let e = try #require(idx.find(id))
            #expect(e.id == id && e.rawSize == bytes.count)
            let rec = try pack.readRecord(e)
            #expect(Array(rec[..<PackFormat.recordHeaderSize])
                    == PackFormat.recordHeader(kind: .chunk, codec: e.codec, rawSize: e.rawSize, storedSize: e.storedSize, id: id))
        }
        for i in 0..<50 { #expect(idx.find(.hashing("absent \(i)")) == nil) }
        #expect(idx.packSize == FS.stat(db.packPath(name))?.size)
    }

    /// Damage the cheap checks on opening must catch, since lookups use the fan-out as row numbers.
    @Test(arguments: [("magic", 0), ("count", 12), ("fanout", 24 + 4 * 10)])
    func structuralDamageIsCaughtOnOpening(what: String, offset: Int) throws {
        let tmp = TempDir()
        let (db, _, name) = try pack(tmp, chunks: 40)
        let path = "\(db.packsDir)/\(name).idx"
        var bytes = try FS.readFile(path)
        bytes[offset] ^= 0x7f
        chmod(path, 0o644)
        try FS.writeAtomic(path, bytes, durable: false)
        #expect(throws: DamagedIndexError.self, "\(what)") { _ = try PackIndex(path: path, name: name) }
    }
}
