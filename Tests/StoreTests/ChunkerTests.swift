import CKernels
import MLOpsBasics
@testable import Store
import Testing

@Suite struct ChunkerTests {
    let chunker = Chunker()

    @Test func chunksCoverTheInputWithinBounds() {
        let data = randomBytes(3 << 20, seed: 1)
        let cuts = chunker.split(data)
        #expect(cuts.reduce(0, +) == data.count)
        for c in cuts.dropLast() {
            #expect(c >= ChunkerParameters.v1.minSize && c <= ChunkerParameters.v1.maxSize)
        }
        let average = data.count / cuts.count
        #expect(average > 40 << 10 && average < 100 << 10, "average chunk \(average)")
    }

    @Test func insertionInTheMiddleChangesOnlyNearbyChunks() {
        let data = randomBytes(4 << 20, seed: 2)
        var edited = data
        edited.insert(contentsOf: randomBytes(1000, seed: 3), at: data.count / 2)
        func ids(_ d: [UInt8]) -> [ObjectID] {
            var off = 0
            return chunker.split(d).map { len in
                defer { off += len }
                return d.withUnsafeBytes { ObjectID.hashing(UnsafeRawBufferPointer(rebasing: $0[off..<(off + len)])) }
            }
        }
        let before = ids(data), after = Set(ids(edited))
        let lost = before.filter { !after.contains($0) }
        #expect(lost.count >= 1 && lost.count <= 2, "chunks changed by a 1000-byte insertion: \(lost.count) of \(before.count)")
    }

    @Test func streamingCutsEqualWholeBufferCuts() {
        // cut() with partial buffers (atEnd false) must agree with the one-shot split.
        let data = randomBytes(1 << 20, seed: 4)
        let whole = chunker.split(data)
        var streamed: [Int] = []
        var start = 0
        data.withUnsafeBytes { all in
            while start < all.count {
                var window = min(all.count - start, 300_000)
                while true {
                    let atEnd = start + window == all.count
                    if let len = chunker.cut(UnsafeRawBufferPointer(rebasing: all[start..<(start + window)]), atEnd: atEnd) {
                        streamed.append(len)
                        start += len
                        break
                    }
                    window = min(all.count - start, window * 2)
                }
            }
        }
        #expect(streamed == whole)
    }

    /// The C scan against the format's definition, byte by byte (docs/format.md), on data that cuts
    /// early, late and at the bounds: any speed-up of the scan must keep every cut point.
    @Test(arguments: [1, 2, 3, 4, 5, 6])
    func cutsFollowTheFormatByteForByte(seed: Int) {
        let p = ChunkerParameters.v1
        var data = randomBytes(2 << 20, seed: UInt64(seed) * 31)
        if seed.isMultiple(of: 2) { for i in stride(from: 0, to: data.count, by: 3) { data[i] = 0 } }  // longer chunks
        func reference(_ d: ArraySlice<UInt8>, atEnd: Bool) -> Int? {
            let n = d.count, b = d.startIndex
            if n <= p.minSize { return atEnd ? n : nil }
            let limit = min(n, p.maxSize), normal = min(limit, p.averageSize)
            var fp: UInt64 = 0
            for j in max(0, p.minSize - 64)..<p.minSize { fp = (fp << 1) &+ Chunker.gear[Int(d[b + j])] }
            for i in p.minSize..<limit {
                fp = (fp << 1) &+ Chunker.gear[Int(d[b + i])]
                if fp & (i < normal ? p.maskSmall : p.maskLarge) == 0 { return i + 1 }
            }
            return limit == p.maxSize ? limit : (atEnd ? n : nil)
        }
        var expected: [Int] = []
        var off = 0
        while off < data.count {
            let len = reference(data[off...], atEnd: true)!
            expected.append(len)
            off += len
        }
        #expect(chunker.split(data) == expected)
    }

    /// The scan runs several streams side by side (SIMD lanes, or interleaved scalar loops); with masks
    /// dense enough to hit every few hundred bytes, random windows put hits in every stream, at block
    /// edges and at the window bounds. Each answer must be the sequential loop's.
    @Test(arguments: [6, 9, 12], [0, 1] as [Int32])
    func scanEqualsTheSequentialLoopWithHitsEverywhere(maskBits: Int, vector: Int32) {
        let data = randomBytes(1 << 20, seed: UInt64(maskBits))
        let small = ~UInt64(0) << UInt64(64 - maskBits - 2), large = ~UInt64(0) << UInt64(64 - maskBits)
        let r = randomBytes(3 * 4 * 400, seed: 99)
        func word(_ k: Int) -> Int { Int(r[4 * k]) | Int(r[4 * k + 1]) << 8 | Int(r[4 * k + 2]) << 16 | Int(r[4 * k + 3]) << 24 }
        data.withUnsafeBytes { raw in
            let p = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            Chunker.gear.withUnsafeBufferPointer { g in
                for k in 0..<400 {
                    let from = k % 10 == 0 ? k % 70 : word(3 * k) % 200_000
                    let normal = from + word(3 * k + 1) % 70_000 - (k % 7 == 0 ? min(from, 500) : 0)
                    let limit = min(data.count, max(normal, from) + word(3 * k + 2) % 200_000)
                    var fp: UInt64 = 0, expected = 0
                    for j in max(0, from - 64)..<from { fp = (fp << 1) &+ g[Int(p[j])] }
                    for i in from..<max(from, limit) {
                        fp = (fp << 1) &+ g[Int(p[i])]
                        if fp & (i < normal ? small : large) == 0 { expected = i + 1; break }
                    }
                    let got = mlops_gear_scan_using(vector, p, from, normal, limit, small, large, g.baseAddress!)
                    #expect(got == expected, "window \(from) \(normal) \(limit)")
                    if k % 50 == 0 { #expect(mlops_gear_scan(p, from, normal, limit, small, large, g.baseAddress!) == expected) }
                }
            }
        }
    }

    @Test func gearTableIsFixed() {
        // Part of the format: a change here breaks dedupe with every existing cache.
        #expect(Chunker.gear.count == 256)
        #expect(Chunker.gear[0] == ObjectID.hashing("git-mlops gear v1 0").w0)
        #expect(Set(Chunker.gear).count == 256)
    }
}
