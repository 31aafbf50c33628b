import Foundation
import MLOpsBasics
import ObjectStore
import Store
@testable import Transfer
import TestSupport
import Testing

/// A local store holding a directory of files, and the id of that directory.
struct Fixture {
    let tmp = TempDir()
    let store: Store
    var dirID: ObjectID
    var bigID: ObjectID

    init(files: Int = 40, seed: UInt64 = 1) throws {
        store = try Store.create(at: tmp.path + "/cache")
        try FS.mkdirs(tmp.path + "/data")
        for i in 0..<files {
            try FS.mkdirs(tmp.path + "/data/d\(i % 4)")
            try FS.writeAtomic(tmp.path + "/data/d\(i % 4)/f\(i)", randomBytes(2000 + i * 10, seed: seed &+ UInt64(i)), durable: false)
        }
        try FS.writeAtomic(tmp.path + "/big.bin", randomBytes(3 << 20, seed: seed &+ 999), durable: false)
        let ing = Ingester(store: store, statCache: nil)
        dirID = try ing.directory(at: tmp.path + "/data", keyPrefix: nil).id
        bigID = try ing.file(at: tmp.path + "/big.bin", key: nil).id
        try ing.finish()
    }

    func transfer(_ backend: RemoteBackend, retry: RetryPolicy = RetryPolicy(attempts: 5, baseDelay: 0.001)) throws -> Transfer {
        Transfer(store: store, remote: try RemoteStore(backend: backend, cacheDir: tmp.path + "/remote-cache-\(UUID().uuidString.prefix(6))", retry: retry))
    }

    var all: Set<ObjectID> { store.closure(of: [dirID, bigID]).objects }
}

@Suite struct TransferTests {
    @Test func pushThenFetchIntoAnEmptyStoreRoundTrips() throws {
        let src = try Fixture()
        let remote = MemoryBackend()
        let pushed = try src.transfer(remote).push(src.all)
        #expect(pushed.objects == src.all.count)
        #expect(remote.names.contains("mlops-remote"))
        #expect(remote.names.filter { $0.hasSuffix(".pack") }.count == pushed.packs)

        let again = try src.transfer(remote).push(src.all)
        #expect(again.objects == 0 && again.alreadyThere == src.all.count, "a second push sends nothing")

        let dst = try Fixture(files: 0, seed: 500)
        let fetched = try dst.transfer(remote).fetch(roots: [src.dirID, src.bigID])
        #expect(fetched.missing.isEmpty)
        #expect(dst.store.closure(of: [src.dirID, src.bigID]).missing.isEmpty)
        let out = dst.tmp.path + "/out.bin"
        _ = try Materializer(store: dst.store).write([.init(id: src.bigID, size: 3 << 20, executable: false, dest: out)])
        #expect(try FS.readFile(out) == FS.readFile(src.tmp.path + "/big.bin"))
    }

    /// Manifests are read first (small range reads) and may be read again inside a whole pack; chunks once.
    @Test func aFullFetchReadsEachChunkAtMostOnce() throws {
        let src = try Fixture(files: 300)
        let remote = MemoryBackend()
        _ = try src.transfer(remote).push(src.all)
        let held = try remote.list(prefix: "").reduce(Int64(0)) { $0 + $1.size }
        let dst = try Fixture(files: 0, seed: 11)
        let before = remote.bytesServed
        let report = try dst.transfer(remote).fetch(roots: [src.dirID, src.bigID])
        #expect(report.missing.isEmpty)
        #expect(remote.bytesServed - before <= held + held / 100, "read \(remote.bytesServed - before) bytes from a remote holding \(held)")
    }

    @Test func aPartialFetchReadsOnlyWhatItNeedsInMergedRanges() throws {
        let src = try Fixture(files: 200)
        let remote = MemoryBackend()
        _ = try src.transfer(remote).push(src.all)
        let dst = try Fixture(files: 0, seed: 77)
        let listing = try src.store.directory(src.dirID)
        let few = listing.entries.prefix(3).map(\.id)
        let report = try dst.transfer(remote).fetch(roots: few)
        #expect(report.wholePacks == 0)
        #expect(report.objects == 3)
        #expect(report.rangeRequests >= 1 && report.rangeRequests <= 3)
        for id in few { #expect(dst.store.contains(id)) }
        #expect(!dst.store.contains(src.bigID))
    }

    @Test func aCorruptObjectOnTheRemoteIsRefusedAndNamed() throws {
        let src = try Fixture(files: 5)
        let remote = MemoryBackend()
        _ = try src.transfer(remote).push(src.store.closure(of: [src.bigID]).objects)
        let pack = remote.names.first { $0.hasSuffix(".pack") }!
        remote.corrupt(pack, at: 5000)
        let dst = try Fixture(files: 0, seed: 3)
        do {
            _ = try dst.transfer(remote).fetch(roots: [src.bigID])
            Issue.record("a corrupt object must not be accepted")
        } catch let e as MLOpsError {
            #expect(e.message.contains("is corrupt"))
            #expect(e.message.contains(pack))
        }
        #expect(dst.store.closure(of: [src.bigID]).missing.isEmpty == false)
    }

    /// A directory remote hands whole packs over by a kernel copy, and what arrives is checked record
    /// by record as strictly as ranges are: a round trip is byte-exact, a byte flipped in a record's
    /// header or payload is refused and named, and no chunk of that pack is kept.
    @Test(arguments: [0, 40, 5000, 1_500_000, -1])
    func aDirectoryRemotesWholePacksAreCheckedAfterTheCopy(flip: Int) throws {
        let src = try Fixture(files: 5)
        let remote = try DirectoryBackend(root: src.tmp.path + "/remote")
        _ = try src.transfer(remote).push(src.store.closure(of: [src.bigID]).objects)
        let pack = try #require(try remote.list(prefix: "packs/").first { $0.name.hasSuffix(".pack") })
        let dst = try Fixture(files: 0, seed: 3)
        guard flip != 0 else {
            let report = try dst.transfer(remote).fetch(roots: [src.bigID])
            #expect(report.wholePacks == 1 && report.missing.isEmpty, "\(report)")
            let out = dst.tmp.path + "/out.bin"
            _ = try Materializer(store: dst.store).write([.init(id: src.bigID, size: 3 << 20, executable: false, dest: out)])
            #expect(try FS.readFile(out) == FS.readFile(src.tmp.path + "/big.bin"))
            return
        }
        let path = remote.root + "/" + pack.name
        let at = flip > 0 ? Int64(flip) : pack.size - 100
        let fd = try FileDescriptor.open(path, O_RDWR)
        var byte = try fd.pread(count: 1, offset: at)
        byte[0] ^= 0x20
        try byte.withUnsafeBytes { try fd.pwrite($0, offset: at) }
        fd.close()
        do {
            _ = try dst.transfer(remote).fetch(roots: [src.bigID])
            Issue.record("a pack with a flipped byte at \(at) was accepted")
        } catch let e as MLOpsError {
            #expect(e.message.contains(pack.name) && (e.message.contains("is corrupt") || e.message.contains("bad header")), "\(e)")
        }
        // The file's manifest, read and checked first, is kept for the next try; no chunk of the damaged pack is.
        let chunks = src.store.closure(of: [src.bigID]).objects.subtracting([src.bigID])
        #expect(chunks.count > 5 && !chunks.contains(where: dst.store.contains), "nothing of the damaged pack is kept")
    }

    @Test func transientFailuresAreRetriedAndPermanentOnesNamed() throws {
        let src = try Fixture(files: 5)
        let remote = MemoryBackend()
        remote.failNext = 3
        let r = try src.transfer(remote).push(src.all)
        #expect(r.objects == src.all.count)
        remote.failNext = 1000
        let dst = try Fixture(files: 0, seed: 4)
        do {
            _ = try dst.transfer(remote, retry: RetryPolicy(attempts: 3, baseDelay: 0.001)).fetch(roots: [src.dirID])
            Issue.record("must give up")
        } catch let e as MLOpsError {
            #expect(e.message.hasPrefix("memory://: list  failed after 3 attempts") || e.message.contains("failed after 3 attempts"))
        }
    }

    @Test func anInterruptedPushResumesWithoutResendingCompletePacks() throws {
        let src = try Fixture(files: 5)
        // Many packs: push each object group in its own pack by pushing a first part, then failing.
        let remote = MemoryBackend()
        let first = Set(src.store.closure(of: [src.dirID]).objects)
        _ = try src.transfer(remote).push(first)
        let before = remote.names.count
        let r = try src.transfer(remote).push(src.all)
        #expect(r.alreadyThere == first.count)
        #expect(r.objects == src.all.count - first.count)
        #expect(remote.names.count == before + 2)
    }

    @Test func remoteGCIsTwoPhaseAndRespectsGrace() throws {
        let src = try Fixture(files: 10)
        let remote = MemoryBackend()
        let t = try src.transfer(remote)
        _ = try t.push(src.all)
        // Only the directory stays live; the big file becomes garbage.
        let young = try t.collectGarbage(roots: [src.dirID], grace: 3600, dryRun: false)
        #expect(young.packsRetired == 0 && young.objectsRetired == 0, "nothing younger than the grace period is touched")
        for n in remote.names { remote.age(n, by: 7200) }
        let dry = try t.collectGarbage(roots: [src.dirID], grace: 3600, dryRun: true)
        #expect(dry.objectsRetired > 0)
        let namesBefore = remote.names
        #expect(try t.collectGarbage(roots: [src.dirID], grace: 3600, dryRun: true).objectsRetired == dry.objectsRetired)
        #expect(remote.names == namesBefore, "a dry run changes nothing")
        let phase1 = try t.collectGarbage(roots: [src.dirID], grace: 3600, dryRun: false)
        #expect(phase1.packsRetired >= 1)
        #expect(remote.names.contains { $0.hasPrefix("trash/") })

        // A push that relied on the retired pack before it was retired: the big file is live again.
        for n in remote.names { remote.age(n, by: 7200) }
        let phase2 = try t.collectGarbage(roots: [src.dirID, src.bigID], grace: 3600, dryRun: false)
        #expect(phase2.packsDeleted >= 1)
        #expect(phase2.objectsRescued > 0, "live objects of a retired pack are rescued before it is deleted")
        #expect(!remote.names.contains { $0.hasPrefix("trash/") })

        let dst = try Fixture(files: 0, seed: 9)
        let f = try dst.transfer(remote).fetch(roots: [src.dirID, src.bigID])
        #expect(f.missing.isEmpty)
        #expect(dst.store.closure(of: [src.dirID, src.bigID]).missing.isEmpty)
    }

    /// A bucket may hold anything: odd names in `trash/` are left alone, and a retired pack whose index
    /// does not read is never deleted (nobody can tell what it holds).
    @Test func remoteGCLeavesHostileTrashAlone() throws {
        let src = try Fixture(files: 10)
        let remote = MemoryBackend()
        let t = try src.transfer(remote)
        _ = try t.push(src.all)
        try remote.put("packs/0123abcd.pack", bytes: PackFormat.header() + randomBytes(5000, seed: 1))
        try remote.put("trash/0123abcd.idx", bytes: randomBytes(2000, seed: 2))
        try remote.put("trash/../mlops-remote.idx", bytes: [1, 2, 3])
        try remote.put("trash/a.b.idx", bytes: [1, 2, 3])
        for n in remote.names { remote.age(n, by: 7200) }
        for _ in 0..<2 {
            _ = try t.collectGarbage(roots: [src.dirID], grace: 3600, dryRun: false)
            for n in remote.names { remote.age(n, by: 7200) }
        }
        #expect(remote.names.contains("packs/0123abcd.pack") && remote.names.contains("trash/0123abcd.idx"))
        #expect(remote.names.contains("mlops-remote") && remote.names.contains("trash/../mlops-remote.idx") && remote.names.contains("trash/a.b.idx"))
        let dst = try Fixture(files: 0, seed: 9)
        #expect(try dst.transfer(remote).fetch(roots: [src.dirID]).missing.isEmpty)
    }

    @Test func directoryBackendWritesAtomicallyAndRangesWork() throws {
        let tmp = TempDir()
        let b = try DirectoryBackend(root: tmp.path + "/remote")
        try b.put("packs/a.idx", bytes: Array("hello world".utf8))
        #expect(try b.get("packs/a.idx", range: 6..<11) == Array("world".utf8))
        #expect(try b.list(prefix: "packs/").map(\.name) == ["packs/a.idx"])
        #expect(throws: RemoteNotFound.self) { try b.get("packs/none") }
        try FS.writeAtomic(tmp.path + "/src", randomBytes(5 << 20, seed: 1), durable: false)
        try b.putFile("packs/b.pack", from: tmp.path + "/src")
        #expect(try b.get("packs/b.pack") == FS.readFile(tmp.path + "/src"))
        #expect(try FS.listDirectory(tmp.path + "/remote/packs").allSatisfy { !$0.name.hasPrefix(".tmp-") })
    }
}
