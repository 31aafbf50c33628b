import Foundation
import MLOpsBasics
@testable import ObjectStore
import TestSupport
import Testing

@Suite struct RepairTests {
    /// A store with one pack of `n` random chunks, in write order.
    func storeWithChunks(_ n: Int, in tmp: TempDir) throws -> (ObjectDatabase, [ObjectID], String) {
        let store = try ObjectDatabase(creating: tmp.path + "/cache")
        let w = store.writer()
        var ids: [ObjectID] = []
        for i in 0..<n {
            let blob = randomBytes(10_000 + i, seed: UInt64(i) + 40)
            ids.append(.hashing(blob))
            try w.put(id: ids.last!, kind: .chunk, bytes: blob, compressor: Compressor())
        }
        try w.finish()
        return (store, ids, store.packNames[0])
    }

    /// The cache's format line: a later version asks for an upgrade (it is not damage), anything else
    /// is named as damaged with the line to write back, and neither opens the cache.
    @Test func aNewerCacheFormatIsNotDamage() throws {
        let tmp = TempDir()
        let root = tmp.path + "/cache"
        _ = try ObjectDatabase(creating: root)
        try FS.writeAtomic(root + "/format", "git-mlops store 7\n")
        #expect(throws: MLOpsError("\(root)/format: this cache was made by a newer git-mlops (cache format 7)", hint: "upgrade git-mlops to read it")) {
            try ObjectDatabase(root: root)
        }
        try FS.writeAtomic(root + "/format", "git-mlops store one\n")
        #expect(throws: MLOpsError.malformed(root + "/format", "is not a git-mlops cache format line ('git-mlops store one')",
                                             fix: "it reads `git-mlops store 1`; write that line back, then run `git mlops fsck`")) {
            try ObjectDatabase(root: root)
        }
        try FS.writeAtomic(root + "/format", "git-mlops store 1\n")
        #expect(try ObjectDatabase(root: root).packNames.isEmpty)
    }

    /// A damaged index (not a newer one) leaves the database openable: its pack is listed for fsck and
    /// repair, out of lookups, and repair rewrites its objects from the records.
    @Test func aDamagedIndexIsListedAndRepairedFromThePack() throws {
        let tmp = TempDir()
        let (first, ids, name) = try storeWithChunks(5, in: tmp)
        let idx = "\(first.packsDir)/\(name).idx"
        chmod(idx, 0o644)
        var bytes = try FS.readFile(idx)
        bytes[12] ^= 0x40
        try FS.writeAtomic(idx, bytes)
        let store = try ObjectDatabase(root: tmp.path + "/cache")
        #expect(store.packNames == [name])
        #expect(!store.contains(ids[0]))
        #expect(throws: DamagedIndexError.self) { try store.indexEntries(pack: name) }
        let r = try store.dropDamagedPacks([name])
        #expect(r.salvaged == 5 && r.lost.isEmpty)
        #expect(ids.allSatisfy { store.contains($0) })
        // A newer index version is not damage: opening the database says to upgrade.
        let again = store.packNames[0]
        let path = "\(store.packsDir)/\(again).idx"
        chmod(path, 0o644)
        var newer = try FS.readFile(path)
        newer[8] = 2
        try FS.writeAtomic(path, newer)
        #expect(throws: MLOpsError("\(path) was made by a newer git-mlops (index version 2)", hint: "upgrade git-mlops to read it")) {
            try ObjectDatabase(root: tmp.path + "/cache")
        }
    }

    /// A truncated pack: what comes before the cut is kept, what was cut is named, the pack is gone.
    @Test func aTruncatedPackKeepsWhatStillVerifies() throws {
        let tmp = TempDir()
        let (store, ids, name) = try storeWithChunks(20, in: tmp)
        let path = store.packPath(name)
        chmod(path, 0o644)
        let entries = try store.indexEntries(pack: name).sorted { $0.offset < $1.offset }
        #expect(truncate(path, off_t(entries[12].offset + 100)) == 0)
        let r = try store.dropDamagedPacks([name])
        #expect(r.dropped == [name] && r.salvaged == 12)
        #expect(r.lost == Set(entries[12...].map(\.id)))
        #expect(!store.packNames.contains(name))
        for e in entries[..<12] { #expect(try store.read(e.id).1.count == e.rawSize) }
        #expect(ids.filter { store.contains($0) }.count == 12)
        withExtendedLifetime(tmp) {}
    }

    /// A bad index, and a record header (hostile or damaged) that claims more bytes than the pack
    /// holds: the pack is read record by record up to that header, and nothing is allocated for it.
    @Test func aBadIndexIsRebuiltFromTheRecordsUpToAHostileHeader() throws {
        let tmp = TempDir()
        let (store, ids, name) = try storeWithChunks(10, in: tmp)
        let entries = try store.indexEntries(pack: name).sorted { $0.offset < $1.offset }
        let idx = "\(store.packsDir)/\(name).idx", pack = store.packPath(name)
        chmod(idx, 0o644); chmod(pack, 0o644)
        try FS.writeAtomic(idx, randomBytes(3000, seed: 1), durable: false)
        var bytes = try FS.readFile(pack)
        let at = Int(entries[6].offset) + 8  // stored size of the 7th record
        for k in 0..<4 { bytes[at + k] = 0xff }
        try FS.writeAtomic(pack, bytes, durable: false)
        let r = try store.dropDamagedPacks([name])
        #expect(r.salvaged == 6 && r.lost.isEmpty, "\(r)")
        #expect(ids.filter { store.contains($0) }.count == 6)
        #expect(try store.verifyObjects().report.problems.isEmpty)
        withExtendedLifetime(tmp) {}
    }
}
