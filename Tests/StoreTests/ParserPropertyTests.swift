import Foundation
import MLOpsBasics
@testable import ObjectStore
import ParserSeeds
@testable import Store
import Testing

/// The cache's parsers fed random and mutated inputs (issue 9): they return or throw, never trap, and
/// what they accept encodes back to what they read. Mutations come from `Mutator` with fixed seeds;
/// checksums and check lines are recomputed for half of the inputs so that mutations reach the
/// parsing behind them. The fuzz targets in scripts/fuzz run the same parsers under libFuzzer.
@Suite struct ParserPropertyTests {
    static func ids(_ n: Int, _ salt: String) -> [ObjectID] { (0..<n).map { ObjectID.hashing("\(salt)\($0)") } }

    /// Replaces the trailing 32-byte SHA-256 with the hash of what precedes it.
    static func resealed(_ b: [UInt8]) -> [UInt8] {
        guard b.count >= 32 else { return b }
        let body = Array(b[0..<(b.count - 32)])
        return body + ObjectID.hashing(body).bytes
    }

    // MARK: File manifest

    /// Recomputes the `check` line of whatever stands above it.
    static func rechecked(_ b: [UInt8]) -> [UInt8] {
        var body = b
        if let lastLine = b.dropLast().lastIndex(of: 0x0a), b.count - lastLine - 1 == 71 { body = Array(b[...lastLine]) }
        return body + Array("check \(ObjectID.hashing(body).hex)\n".utf8)
    }

    @Test func fileManifestDecoderNeverTraps() {
        let id = ObjectID.hashing("file")
        var m = Mutator(seed: 1)
        let r = mutationRun(seeds: ParserSeeds.fileManifests, iterations: 4_000, seed: 11) { input in
            let bytes = m.below(2) == 0 ? Self.rechecked(input) : input
            guard let fm = try? FileManifest.decode(bytes, id: id) else { return false }
            #expect((try? FileManifest.decode(fm.encode(), id: id)) == fm)
            return true
        }
        #expect(r.accepted > 100 && r.rejected > 100, "\(r)")
    }

    @Test
    func fileManifestSizesOverflowReproducer() throws {
        let body = "mlops-file 1\nsize 1\n\(ObjectID.hashing("a").hex) 9223372036854775807\n\(ObjectID.hashing("b").hex) 9223372036854775807\n"
        #expect(throws: MLOpsError.self) { try FileManifest.decode(Self.rechecked(Array(body.utf8)), id: ObjectID.hashing("file")) }
    }

    // MARK: Directory manifest

    @Test func directoryTopDecoderNeverTraps() {
        let id = ObjectID.hashing("dir")
        let r = mutationRun(seeds: ParserSeeds.directoryTops, iterations: 5_000, seed: 12) { input in
            guard let top = try? DirManifest.decodeTop(input, id: id) else { return false }
            #expect(top.pieces.reduce(0) { $0 + $1.count } == top.files)
            return true
        }
        #expect(r.accepted > 100 && r.rejected > 100, "\(r)")
    }

    @Test
    func directoryTopCountsOverflowReproducer() throws {
        let p = ObjectID.hashing("p").hex
        let top = "mlops-dir 1\nfiles 1\nsize 1\n\(p) 9223372036854775807 a\n\(p) 9223372036854775807 b\n"
        #expect(throws: MLOpsError.self) { try DirManifest.decodeTop(Array(top.utf8), id: ObjectID.hashing("dir")) }
    }

    @Test func directoryPieceDecoderNeverTrapsAndRefusesUnsafePaths() {
        let id = ObjectID.hashing("piece")
        let r = mutationRun(seeds: ParserSeeds.directoryPieces, iterations: 4_000, seed: 13) { input in
            guard let entries = try? DirManifest.decodePiece(input, id: id) else { return false }
            for e in entries {
                #expect((try? RepoPath(e.path)) != nil, "accepted unsafe path \(e.path)")
                #expect(e.size >= 0)
            }
            return true
        }
        #expect(r.accepted > 100 && r.rejected > 100, "\(r)")
    }

    // MARK: Pack index and multi-pack index

    static func indexEntries(_ n: Int) -> [IndexEntry] {
        ids(n, "obj").enumerated().map { i, id in
            IndexEntry(id: id, offset: Int64(16 + i * 1000), storedSize: 900 + i, rawSize: 2000 + i,
                       kind: i % 4 == 0 ? .fileManifest : .chunk, codec: i % 3 == 0 ? .zstd : .raw)
        }
    }

    /// Opens `bytes` as a pack index file and reads every entry and some lookups.
    static func readIndex(_ bytes: [UInt8], dir: TempDir, verify: Bool) -> Bool {
        let path = dir.path + "/p.idx"
        try? FS.writeAtomic(path, bytes, durable: false)
        guard let idx = try? PackIndex(path: path, name: "p", verifyChecksum: verify) else { return false }
        let all = idx.entries
        #expect(all.count == idx.count)
        for e in all.prefix(50) { _ = idx.find(e.id) }
        for id in ids(8, "absent") + ParserSeeds.store.ids { _ = idx.find(id) }
        return true
    }

    @Test func packIndexReaderNeverTraps() {
        let dir = TempDir()
        var m = Mutator(seed: 2)
        let r = mutationRun(seeds: ParserSeeds.store.indexes, iterations: 1_500, seed: 14) { input in
            let bytes = m.below(2) == 0 ? Self.resealed(input) : input
            return Self.readIndex(bytes, dir: dir, verify: m.below(2) == 0)
        }
        #expect(r.accepted > 20 && r.rejected > 20, "\(r)")
    }

    @Test
    func packIndexHugePackSizeReproducer() {
        var b = IndexFormat.encode(Self.indexEntries(1), packSize: 0)
        for k in 0..<8 { b[16 + k] = 0xff }
        #expect(!Self.readIndex(Self.resealed(b), dir: TempDir(), verify: true))
    }

    @Test
    func packIndexHugeOffsetReproducer() {
        var b = IndexFormat.encode(Self.indexEntries(1), packSize: 1 << 20)
        for k in 0..<8 { b[IndexFormat.headerSize + 32 + k] = 0xff }
        _ = Self.readIndex(Self.resealed(b), dir: TempDir(), verify: true)
    }

    @Test
    func packIndexBadFanoutReproducer() {
        // Fan-out 0 for even first bytes and 2^32-1 for odd ones: a lookup of an odd one searches 2^32 rows.
        var b = IndexFormat.encode(Self.indexEntries(1), packSize: 1 << 20)
        for i in stride(from: 1, to: 256, by: 2) { for k in 0..<4 { b[24 + i * 4 + k] = 0xff } }
        _ = Self.readIndex(Self.resealed(b), dir: TempDir(), verify: true)
    }

    static let packNames = ["0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210"]

    static func readMultiIndex(_ bytes: [UInt8], dir: TempDir) -> Bool {
        let path = dir.path + "/multi.midx"
        try? FS.writeAtomic(path, bytes, durable: false)
        guard let midx = try? MultiIndex(path: path) else { return false }
        for id in ParserSeeds.store.ids + ids(8, "absent") {
            if let (_, pack) = midx.find(id) { #expect(midx.packs.contains(pack)) }
        }
        return true
    }

    @Test func multiPackIndexReaderNeverTraps() {
        let dir = TempDir()
        let r = mutationRun(seeds: ParserSeeds.store.multiIndexes, iterations: 1_500, seed: 15) { input in
            return Self.readMultiIndex(input, dir: dir)
        }
        #expect(r.accepted > 20 && r.rejected > 20, "\(r)")
    }

    @Test
    func multiPackIndexHugeOffsetReproducer() {
        var b = MultiIndexFormat.encode(packs: Self.packNames, entries: [(Self.indexEntries(1)[0], 0)])
        let row = 24 + 2 * 16 + 1024
        for k in 0..<8 { b[row + 36 + k] = 0xff }
        _ = Self.readMultiIndex(Self.resealed(b), dir: TempDir())
    }

    @Test
    func multiPackIndexBadFanoutReproducer() {
        var b = MultiIndexFormat.encode(packs: Self.packNames, entries: [(Self.indexEntries(1)[0], 0)])
        for i in stride(from: 1, to: 256, by: 2) { for k in 0..<4 { b[24 + 2 * 16 + i * 4 + k] = 0xff } }
        _ = Self.readMultiIndex(b, dir: TempDir())
    }

    // MARK: Pack record header

    @Test func packRecordHeaderParserNeverTraps() {
        let r = mutationRun(seeds: ParserSeeds.store.recordHeaders, iterations: 5_000, seed: 16) { input in
            guard let h = input.withUnsafeBytes({ PackFormat.parseRecordHeader($0) }) else { return false }
            #expect(h.rawSize >= 0 && h.rawSize <= Int(UInt32.max) && h.storedSize >= 0 && h.storedSize <= Int(UInt32.max))
            #expect(PackFormat.recordHeader(kind: h.kind, codec: h.codec, rawSize: h.rawSize, storedSize: h.storedSize, id: h.id)[4...]
                    == input[4..<PackFormat.recordHeaderSize])
            return true
        }
        #expect(r.accepted > 100 && r.rejected > 100, "\(r)")
    }

    // MARK: Stat cache

    @Test func statCacheDecoderNeverTraps() {
        var m = Mutator(seed: 3)
        let r = mutationRun(seeds: ParserSeeds.statCaches, iterations: 5_000, seed: 17) { input in
            let bytes = m.below(4) == 0 ? input : Self.resealed(input)
            guard let (files, dirs) = StatCache.decode(bytes, savedAt: 1_500) else { return false }
            #expect(files.count + dirs.count <= bytes.count / 70)
            return true
        }
        #expect(r.accepted > 100 && r.rejected > 100, "\(r)")
    }

    @Test func statCacheWithAHugeCountDoesNotReserveForIt() {
        var b = StatCache.magic
        b.appendLE(UInt32(2)); b.appendLE(UInt32.max); b.appendLE(UInt32(0))
        #expect(StatCache.decode(Self.resealed(b + [UInt8](repeating: 0, count: 32)), savedAt: 0) == nil)
    }
}
