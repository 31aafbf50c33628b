import Foundation
import MLOpsBasics
@testable import Store
import Testing

@Suite struct RepairTests {
    /// A store with one pack of `n` random chunks, in write order.
    func storeWithChunks(_ n: Int, in tmp: TempDir) throws -> (Store, [ObjectID], String) {
        let store = try Store.create(at: tmp.path + "/cache")
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
        #expect(try store.fsck().problems.isEmpty)
        withExtendedLifetime(tmp) {}
    }
}
