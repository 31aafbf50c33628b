import Synchronization
import Foundation
import MLOpsBasics
import ObjectStore
@testable import Store
import Testing

@Suite struct StoreTests {
    @Test func objectsWrittenAreReadBackAndVerified() throws {
        let tmp = TempDir()
        let store = try Store.create(at: tmp.path + "/cache")
        let w = store.writer()
        let data = csvBytes(rows: 1000, seed: 9)
        let id = ObjectID.hashing(data)
        try w.put(id: id, kind: .chunk, bytes: data, compressor: Compressor())
        #expect(store.contains(id), "pending objects are visible to their own process")
        try w.finish()
        let fresh = try Store(root: tmp.path + "/cache")
        let (kind, back) = try fresh.read(id)
        #expect(kind == .chunk && back == data)
        #expect(!fresh.contains(.hashing("nope")))
    }

    /// Several threads append while others read back what was just written: buffers are written out
    /// of the lock, so a read must wait for the bytes it needs, never see a hole.
    @Test func objectsWrittenConcurrentlyAreReadableBeforeTheSessionEnds() throws {
        let tmp = TempDir()
        let store = try Store.create(at: tmp.path + "/cache")
        let w = store.writer()
        let n = 160  // 160 x 64 KiB of random bytes: several 4 MiB buffers, written while others append
        let blobs = (0..<n).map { randomBytes(64 << 10, seed: UInt64($0) + 7) }
        let ids = blobs.map { ObjectID.hashing($0) }
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { t in
            let c = Compressor()
            for i in stride(from: t, to: n, by: 4) {
                do {
                    try w.put(id: ids[i], kind: .chunk, bytes: blobs[i], compressor: c)
                    // This thread's previous object: most likely still in a buffer, or being written out.
                    let j = i >= 4 ? i - 4 : i
                    if try store.read(ids[j]).1 != blobs[j] { failures.withLock { $0.append("object \(j) read back wrong") } }
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }
        }
        #expect(failures.withLock { $0 } == [])
        for (i, id) in ids.enumerated() { #expect(try store.read(id).1 == blobs[i]) }
        try w.finish()
        let fresh = try Store(root: tmp.path + "/cache")
        for (i, id) in ids.enumerated() { #expect(try fresh.read(id).1 == blobs[i]) }
    }

    @Test func lookupsUseTheMultiPackIndexOnceThereAreManyPacks() throws {
        let tmp = TempDir()
        let store = try Store.create(at: tmp.path + "/cache")
        var ids: [ObjectID] = []
        for i in 0..<20 {
            let w = store.writer()
            let b = randomBytes(100, seed: UInt64(i + 100))
            ids.append(.hashing(b))
            try w.put(id: ids.last!, kind: .chunk, bytes: b, compressor: Compressor())
            try w.finish()
        }
        #expect(FS.exists(tmp.path + "/cache/packs/multi.midx"))
        let fresh = try Store(root: tmp.path + "/cache")
        for id in ids { #expect(fresh.contains(id)) }
        #expect(fresh.packNames.count == 20)
    }

    @Test func ingestAndMaterializeRoundTripFilesAndDirectories() throws {
        let tmp = TempDir()
        let store = try Store.create(at: tmp.path + "/cache")
        let big = floatBytes(3_000_000, seed: 10)        // 12 MB: the large-file path
        write(big, to: tmp.path + "/w/weights.bin")
        for i in 0..<50 { write(randomBytes(5000 + i, seed: UInt64(i)), to: tmp.path + "/w/dir/sub\(i % 3)/f\(i)") }
        write(big, to: tmp.path + "/w/dir/copy.bin")
        write(randomBytes(300_000, seed: 60), to: tmp.path + "/w/dir/several-chunks.bin")  // small, yet chunked
        let ing = Ingester(store: store, statCache: StatCache(path: tmp.path + "/statcache"))
        let file = try ing.file(at: tmp.path + "/w/weights.bin", key: "weights.bin")
        let dir = try ing.directory(at: tmp.path + "/w/dir", keyPrefix: "dir")
        try ing.finish()
        #expect(file.id == ObjectID.hashing(big))
        #expect(dir.manifest.entries.count == 52)
        for e in dir.manifest.entries {
            #expect(e.id == ObjectID.hashing(try FS.readFile(tmp.path + "/w/dir/" + e.path)), "\(e.path): the id is the file's SHA-256")
        }

        let mat = Materializer(store: store)
        _ = try mat.write([.init(id: file.id, size: file.size, executable: false, dest: tmp.path + "/out.bin")])
        #expect(try FS.readFile(tmp.path + "/out.bin") == big)
        let listing = try store.directory(dir.id)
        #expect(listing == dir.manifest)
        let jobs = listing.entries.map { e -> Materializer.Job in
            try! FS.mkdirs(dirname(tmp.path + "/out/" + e.path))
            return .init(id: e.id, size: e.size, executable: e.executable, dest: tmp.path + "/out/" + e.path)
        }
        _ = try mat.write(jobs)
        for e in listing.entries {
            #expect(try FS.readFile(tmp.path + "/out/" + e.path) == FS.readFile(tmp.path + "/w/dir/" + e.path))
        }
    }

    @Test func smallEditStoresLittle() throws {
        let tmp = TempDir()
        let store = try Store.create(at: tmp.path + "/cache")
        var data = floatBytes(4_000_000, seed: 11)       // 16 MB
        write(data, to: tmp.path + "/f")
        let a = Ingester(store: store, statCache: nil)
        _ = try a.file(at: tmp.path + "/f", key: nil)
        try a.finish()
        data.insert(contentsOf: [1, 2, 3, 4, 5], at: data.count / 2)
        write(data, to: tmp.path + "/f")
        let b = Ingester(store: store, statCache: nil)
        _ = try b.file(at: tmp.path + "/f", key: nil)
        try b.finish()
        #expect(a.bytesWritten > 8 << 20, "the first version is stored")
        #expect(b.bytesWritten < 1 << 20, "an insertion of 5 bytes wrote \(b.bytesWritten) bytes")
    }

    @Test func statCacheSkipsUnchangedFilesAndNoticesChanges() throws {
        let tmp = TempDir()
        let store = try Store.create(at: tmp.path + "/cache")
        write(randomBytes(10000, seed: 12), to: tmp.path + "/f")
        // An mtime well before the save, so git's racy rule (a file changed in the second of the save
        // may change again unseen) does not apply: no waiting for the clock.
        var past = [timeval(tv_sec: time(nil) - 60, tv_usec: 0), timeval(tv_sec: time(nil) - 60, tv_usec: 0)]
        #expect(utimes(tmp.path + "/f", &past) == 0)
        let cache = StatCache(path: tmp.path + "/sc")
        let r1 = try FileHasher(statCache: cache, store: store).file(at: tmp.path + "/f", key: "f")
        try cache.save()
        let reloaded = StatCache(path: tmp.path + "/sc")
        #expect(reloaded.lookup("f", FS.stat(tmp.path + "/f")!) == r1.id)
        write(randomBytes(10000, seed: 13), to: tmp.path + "/f")
        #expect(reloaded.lookup("f", FS.stat(tmp.path + "/f")!) == nil)
    }

    @Test func fsckFindsAFlippedByteAndCheckoutRefusesIt() throws {
        let tmp = TempDir()
        let store = try Store.create(at: tmp.path + "/cache")
        let data = csvBytes(rows: 50_000, seed: 14)      // several chunks
        write(data, to: tmp.path + "/f.csv")
        let ing = Ingester(store: store, statCache: nil)
        let rec = try ing.file(at: tmp.path + "/f.csv", key: nil)
        try ing.finish()
        #expect(try store.fsck().problems.isEmpty)
        let pack = store.packNames[0]
        let path = "\(store.packsDir)/\(pack).pack"
        chmod(path, 0o644)
        var bytes = try FS.readFile(path)
        bytes[bytes.count / 2] ^= 0x40
        try FS.writeAtomic(path, bytes, durable: false)
        let fresh = try Store(root: tmp.path + "/cache")
        let problems = try fresh.fsck().problems
        #expect(!problems.isEmpty)
        #expect(problems.allSatisfy { $0.kind == .corrupt })
        #expect(throws: (any Error).self) {
            _ = try Materializer(store: fresh).write([.init(id: rec.id, size: rec.size, executable: false, dest: tmp.path + "/out.csv")])
        }
        #expect(!FS.exists(tmp.path + "/out.csv"), "nothing that fails its hash reaches the workspace")
    }

    @Test func repackKeepsOnlyWhatIsAskedAndNeverLosesIt() throws {
        let tmp = TempDir()
        let store = try Store.create(at: tmp.path + "/cache")
        var keep: [ObjectID] = []
        for i in 0..<3 {
            write(csvBytes(rows: 20_000, seed: UInt64(20 + i)), to: tmp.path + "/f\(i)")
            let ing = Ingester(store: store, statCache: nil)
            let r = try ing.file(at: tmp.path + "/f\(i)", key: nil)
            try ing.finish()
            if i != 1 { keep.append(r.id) }
        }
        let live = store.closure(of: keep).objects
        let dry = try store.repack(keep: live, dryRun: true)
        #expect(dry.objectsRemoved > 0)
        #expect(store.packNames.count == 3)
        let report = try store.repack(keep: live, dryRun: false)
        #expect(report.objectsRemoved == dry.objectsRemoved)
        let fresh = try Store(root: tmp.path + "/cache")
        for id in live { #expect(fresh.contains(id)) }
        #expect(try fresh.fsck().problems.isEmpty)
        let out = tmp.path + "/back"
        _ = try Materializer(store: fresh).write([.init(id: keep[1], size: Int64(try FS.readFile(tmp.path + "/f2").count), executable: false, dest: out)])
        #expect(try FS.readFile(out) == FS.readFile(tmp.path + "/f2"))
    }
}
