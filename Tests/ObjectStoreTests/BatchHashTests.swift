import MLOpsBasics
@testable import ObjectStore
import TestSupport
import Testing

/// The multi-buffer SHA-256 must equal the one-at-a-time hash for every length and batch shape: lanes
/// finish at different blocks, the padding takes one or two blocks, and tails go to the single path.
@Suite struct BatchHashTests {
    static let data = randomBytes(1 << 20, seed: 77)

    static func check(_ ranges: [Range<Int>]) {
        data.withUnsafeBytes { all in
            let pieces = ranges.map { UnsafeRawBufferPointer(rebasing: all[$0]) }
            let got = BatchHash.ids(pieces)
            for (k, piece) in pieces.enumerated() {
                #expect(got[k] == ObjectID.hashing(piece), "piece \(k) of \(pieces.count), \(piece.count) bytes")
            }
        }
    }

    @Test func everyLengthUpTo300InOneBatch() {
        Self.check((0...300).map { 7 * $0 ..< 7 * $0 + $0 })
    }

    @Test func paddingBoundaries() {
        Self.check([55, 56, 63, 64, 119, 120, 127, 128, 183, 184, 191, 192].map { 1 ..< 1 + $0 })
    }

    @Test(arguments: [1, 2, 3, 15, 16, 17, 33, 100])
    func mixedChunkSizes(count: Int) {
        let r = randomBytes(count * 2, seed: UInt64(count))
        Self.check((0..<count).map { k in
            let len = 16 << 10 + Int(r[2 * k]) << 10 + Int(r[2 * k + 1])   // 16-272 KiB, any alignment
            let start = (k * 4099) % ((1 << 20) - len)
            return start ..< start + len
        })
    }

    @Test func emptyPiecesAmongOthers() {
        Self.check([0 ..< 0, 3 ..< 70_000, 5 ..< 5, 9 ..< 100, 100 ..< 100])
    }
}
