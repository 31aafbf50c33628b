import CZstd
import MLOpsBasics

/// How a chunk's bytes are stored in a pack. The raw value is written to disk (docs/format.md).
public enum Codec: UInt8, Sendable {
    /// Stored as is: compression would not pay (random bytes, already-compressed formats).
    case raw = 0
    /// zstd frame.
    case zstd = 1
    /// Bytes split into 4 planes (byte 0 of every word, then byte 1, ...), then zstd: float32 tensors
    /// compress about a fifth better this way because sign and exponent bytes repeat.
    case shuffle4Zstd = 2
}

/// Per-thread compressor. Chooses per chunk the cheapest codec that saves enough.
public final class Compressor {
    private let cctx: OpaquePointer
    private var scratch = GrowableBuffer()
    private var planes = GrowableBuffer()

    /// A codec must save at least this fraction of the bytes to be kept over raw.
    public static let minSaving = 0.05

    public init(level: Int32 = 1) {
        cctx = ZSTD_createCCtx()
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level)
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 0)
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 1)
    }

    deinit { ZSTD_freeCCtx(cctx); scratch.free(); planes.free() }

    /// Compresses `src` and returns (codec, stored bytes). The returned buffer is valid until the next call.
    public func compress(_ src: UnsafeRawBufferPointer) -> (Codec, UnsafeRawBufferPointer) {
        let n = src.count
        if n < 64 { return (.raw, src) }
        let budget = Int(Double(n) * (1 - Compressor.minSaving))
        let kind = EntropyProbe.classify(src)
        if kind == .random { return (.raw, src) }
        if kind == .floatLike {
            let p = planes.reserve(n)
            ByteShuffle.split(src, into: p)
            let size = zstd(UnsafeRawBufferPointer(start: p, count: n))
            if size > 0 && size <= budget {
                return (.shuffle4Zstd, UnsafeRawBufferPointer(start: scratch.pointer, count: size))
            }
        }
        let size = zstd(src)
        if size > 0 && size <= budget {
            return (.zstd, UnsafeRawBufferPointer(start: scratch.pointer, count: size))
        }
        return (.raw, src)
    }

    private func zstd(_ src: UnsafeRawBufferPointer) -> Int {
        let bound = ZSTD_compressBound(src.count)
        let dst = scratch.reserve(bound)
        let r = ZSTD_compress2(cctx, dst, bound, src.baseAddress, src.count)
        return ZSTD_isError(r) != 0 ? 0 : r
    }
}

/// A reusable heap buffer that only grows.
struct GrowableBuffer {
    private(set) var pointer: UnsafeMutableRawPointer?
    private var capacity = 0

    mutating func reserve(_ n: Int) -> UnsafeMutableRawPointer {
        if capacity < n {
            pointer?.deallocate()
            capacity = max(n, capacity * 2)
            pointer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        }
        return pointer!
    }

    func free() { pointer?.deallocate() }
}

/// Per-thread decompressor.
public final class Decompressor {
    private let dctx: OpaquePointer
    private var planes = GrowableBuffer()

    public init() { dctx = ZSTD_createDCtx() }
    deinit { ZSTD_freeDCtx(dctx); planes.free() }

    /// Decodes `src` into `dst`, which must be exactly the raw size. Throws on corrupt input.
    public func decompress(_ codec: Codec, _ src: UnsafeRawBufferPointer, into dst: UnsafeMutableRawBufferPointer) throws {
        switch codec {
        case .raw:
            guard src.count == dst.count else { throw CodecError.sizeMismatch }
            dst.copyMemory(from: src)
        case .zstd:
            let r = ZSTD_decompressDCtx(dctx, dst.baseAddress, dst.count, src.baseAddress, src.count)
            guard ZSTD_isError(r) == 0, r == dst.count else { throw CodecError.corrupt }
        case .shuffle4Zstd:
            let p = planes.reserve(dst.count)
            let r = ZSTD_decompressDCtx(dctx, p, dst.count, src.baseAddress, src.count)
            guard ZSTD_isError(r) == 0, r == dst.count else { throw CodecError.corrupt }
            ByteShuffle.join(UnsafeRawBufferPointer(start: p, count: dst.count), into: dst.baseAddress!)
        }
    }

    public func decompress(_ codec: Codec, _ src: UnsafeRawBufferPointer, rawSize: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: rawSize)
        try out.withUnsafeMutableBytes { try decompress(codec, src, into: $0) }
        return out
    }
}

public enum CodecError: Error { case corrupt, sizeMismatch }

/// Splits a buffer into 4 byte planes and back. A tail shorter than a word stays in place at the end.
enum ByteShuffle {
    static func split(_ src: UnsafeRawBufferPointer, into dst: UnsafeMutableRawPointer) {
        let n = src.count, words = n / 4
        let s = src.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let d = dst.assumingMemoryBound(to: UInt8.self)
        for w in 0..<words {
            d[w] = s[4 * w]
            d[words + w] = s[4 * w + 1]
            d[2 * words + w] = s[4 * w + 2]
            d[3 * words + w] = s[4 * w + 3]
        }
        for i in (4 * words)..<n { d[i] = s[i] }
    }

    static func join(_ src: UnsafeRawBufferPointer, into dst: UnsafeMutableRawPointer) {
        let n = src.count, words = n / 4
        let s = src.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let d = dst.assumingMemoryBound(to: UInt8.self)
        for w in 0..<words {
            d[4 * w] = s[w]
            d[4 * w + 1] = s[words + w]
            d[4 * w + 2] = s[2 * words + w]
            d[4 * w + 3] = s[3 * words + w]
        }
        for i in (4 * words)..<n { d[i] = s[i] }
    }
}

/// A cheap look at a sample of a chunk's bytes, so that zstd is not run on data it cannot shrink.
enum EntropyProbe {
    enum Kind { case random, floatLike, other }

    /// Order-0 entropy (bits per byte) of the whole sample and of each of the 4 byte lanes.
    static func classify(_ buf: UnsafeRawBufferPointer) -> Kind {
        let n = min(buf.count, 16 << 10) & ~3
        if n < 1024 { return .other }
        var counts = [UInt32](repeating: 0, count: 1024)
        let p = buf.baseAddress!.assumingMemoryBound(to: UInt8.self)
        counts.withUnsafeMutableBufferPointer { c in
            var i = 0
            while i < n {
                c[Int(p[i])] &+= 1; c[256 + Int(p[i + 1])] &+= 1
                c[512 + Int(p[i + 2])] &+= 1; c[768 + Int(p[i + 3])] &+= 1
                i += 4
            }
        }
        let lanes = (0..<4).map { Array(counts[($0 * 256)..<($0 * 256 + 256)]) }
        func entropy(_ h: [UInt32], _ total: Int) -> Double {
            var e = 0.0
            let t = Double(total)
            for c in h where c > 0 { let q = Double(c) / t; e -= q * log2(q) }
            return e
        }
        var all = [UInt32](repeating: 0, count: 256)
        for l in lanes { for i in 0..<256 { all[i] &+= l[i] } }
        let total = entropy(all, n)
        let laneE = lanes.map { entropy($0, n / 4) }
        // A lane sample of 4 KiB over 256 symbols reads about 7.95 bits even when uniform.
        if laneE.allSatisfy({ $0 > 7.9 }) && total > 7.97 { return .random }
        if total > 7.0 && laneE.min()! < 6.5 { return .floatLike }
        return .other
    }
}

#if canImport(Glibc)
import Glibc
#endif
