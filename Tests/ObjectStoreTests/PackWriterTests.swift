import MLOpsBasics
@testable import ObjectStore
import TestSupport
import Testing

/// The writer asks the database once per object and records what it appends in the database's table
/// of pending objects; the database reads that table and holds no writer.
@Suite struct PackWriterTests {
    @Test func anObjectPutTwiceIsStoredOnce() throws {
        let tmp = TempDir()
        let db = try ObjectDatabase(creating: tmp.path + "/cache")
        let w = db.writer()
        let blob = randomBytes(5000, seed: 1), id = ObjectID.hashing(blob)
        #expect(try w.put(id: id, kind: .chunk, bytes: blob, compressor: Compressor()))
        #expect(try !w.put(id: id, kind: .chunk, bytes: blob, compressor: Compressor()), "found pending: not written again")
        #expect(try !w.putNew(id: id, kind: .chunk, bytes: blob, compressor: Compressor()), "the session holds it")
        try w.finish()
        #expect(w.objectsWritten == 1)
        #expect(try db.indexEntries(pack: db.packNames[0]).map(\.id) == [id])
    }

    /// Another session's pending objects count as stored for `put`; `putStored` (copies the caller
    /// chose) asks only its own session, as gc's repack needs.
    @Test func sessionsSeeEachOthersPendingObjects() throws {
        let tmp = TempDir()
        let db = try ObjectDatabase(creating: tmp.path + "/cache")
        let a = db.writer(), b = db.writer()
        let blob = randomBytes(3000, seed: 2), id = ObjectID.hashing(blob)
        try a.put(id: id, kind: .chunk, bytes: blob, compressor: Compressor())
        #expect(db.contains(id))
        #expect(try !b.put(id: id, kind: .chunk, bytes: blob, compressor: Compressor()))
        #expect(try blob.withUnsafeBytes { try b.putStored(id: id, kind: .chunk, codec: .raw, rawSize: blob.count, stored: $0) })
        try a.finish()
        try b.finish()
        #expect(try db.read(id).1 == blob)
    }

    /// What an abandoned or dropped session appended is gone from the table: nothing names bytes that
    /// will never be sealed.
    @Test func abandonedAndDroppedSessionsLeaveNothingPending() throws {
        let tmp = TempDir()
        let db = try ObjectDatabase(creating: tmp.path + "/cache")
        let one = randomBytes(2000, seed: 3), two = randomBytes(2000, seed: 4)
        let a = db.writer()
        try a.put(id: .hashing(one), kind: .chunk, bytes: one, compressor: Compressor())
        #expect(db.contains(.hashing(one)))
        a.abandon()
        #expect(!db.contains(.hashing(one)))
        do {
            let b = db.writer()
            try b.put(id: .hashing(two), kind: .chunk, bytes: two, compressor: Compressor())
            withExtendedLifetime(b) { #expect(db.contains(.hashing(two))) }
        }
        #expect(!db.contains(.hashing(two)))
        #expect(db.packNames.isEmpty)
    }
}
