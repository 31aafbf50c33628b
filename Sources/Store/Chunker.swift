import CKernels
import MLOpsBasics

/// Content-defined chunking: normalized FastCDC over a gear rolling hash (Xia et al., 2020).
///
/// A cut point depends only on the 64 bytes before it, so inserting bytes in the middle of a file moves
/// only the cut points near the edit, and the chunks after it are found again unchanged. The parameters
/// are part of the repository format (docs/format.md): changing them breaks dedupe with older data.
public struct ChunkerParameters: Sendable, Equatable {
    public var minSize: Int
    public var averageSize: Int
    public var maxSize: Int

    /// Format v1: 16 KiB min, 64 KiB target, 256 KiB max, normalization level 2.
    public static let v1 = ChunkerParameters(minSize: 16 << 10, averageSize: 64 << 10, maxSize: 256 << 10)

    public init(minSize: Int, averageSize: Int, maxSize: Int) {
        precondition(minSize > 0 && minSize < averageSize && averageSize < maxSize)
        self.minSize = minSize; self.averageSize = averageSize; self.maxSize = maxSize
    }

    var bits: Int { Int.bitWidth - 1 - averageSize.leadingZeroBitCount }
    /// Harder mask before the target size, easier after it: cut sizes cluster around the average.
    var maskSmall: UInt64 { topBits(bits + 2) }
    var maskLarge: UInt64 { topBits(bits - 2) }
    private func topBits(_ n: Int) -> UInt64 { ~UInt64(0) << UInt64(64 - n) }
}

public struct Chunker: Sendable {
    public let params: ChunkerParameters
    private let maskS: UInt64
    private let maskL: UInt64

    public init(_ params: ChunkerParameters = .v1) {
        self.params = params
        maskS = params.maskSmall
        maskL = params.maskLarge
    }

    /// The gear table: 256 words taken from SHA-256("git-mlops gear v1 <i>"), fixed by the format.
    static let gear: [UInt64] = (0..<256).map { i in
        let id = ObjectID.hashing("git-mlops gear v1 \(i)")
        return id.w0
    }

    /// Length of the first chunk of `buf`. `atEnd` says no more bytes follow, so a short tail is a chunk.
    /// Returns nil when more input is needed to decide (buffer shorter than the max size and not at end).
    @inline(__always)
    public func cut(_ buf: UnsafeRawBufferPointer, atEnd: Bool) -> Int? {
        let n = buf.count
        if n <= params.minSize { return atEnd ? n : nil }
        let limit = min(n, params.maxSize)
        let normal = min(limit, params.averageSize)
        let p = buf.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let cut = Chunker.gear.withUnsafeBufferPointer { g in
            mlops_gear_scan(p, params.minSize, normal, limit, maskS, maskL, g.baseAddress!)
        }
        let found: Int? = cut == 0 ? nil : cut
        if let found { return found }
        if limit == params.maxSize { return limit }
        return atEnd ? n : nil
    }

    /// All chunk lengths of an in-memory buffer (tests and small files).
    public func split(_ buf: UnsafeRawBufferPointer) -> [Int] {
        var out: [Int] = []
        var off = 0
        while off < buf.count {
            let rest = UnsafeRawBufferPointer(rebasing: buf[off...])
            let len = cut(rest, atEnd: true)!
            out.append(len)
            off += len
        }
        return out
    }

    /// The chunks of consecutive bytes at `base`, given their lengths.
    static func pieces(of base: UnsafeRawPointer, cuts: [Int]) -> [UnsafeRawBufferPointer] {
        var off = 0
        return cuts.map { len in
            defer { off += len }
            return UnsafeRawBufferPointer(start: base + off, count: len)
        }
    }

    public func split(_ bytes: [UInt8]) -> [Int] {
        bytes.withUnsafeBytes { split($0) }
    }
}
