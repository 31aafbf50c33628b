import CKernels
import CZstd
import MLOpsBasics

/// How a chunk's bytes are stored in a pack. The raw value is written to disk (docs/format.md).
public enum Codec: UInt8, Sendable {
    /// Stored as is: compression would not pay (random bytes, already-compressed formats).
    case raw = 0
    /// zstd frame.
    case zstd = 1
    /// Bytes split into 4 planes (byte 0 of every 4-byte word, then byte 1, ...), each plane zstd or raw:
    /// in float32 tensors the sign/exponent plane compresses well and the mantissa planes not at all,
    /// so only the planes that pay are compressed (about 15% saved on normal weights, at memory speed).
    case planes = 2
}

/// Per-thread compressor. Chooses per chunk the cheapest codec that saves enough.
public final class Compressor {
    private let cctx: OpaquePointer
    private var scratch = GrowableBuffer()
    private var planes = GrowableBuffer()
    private var frameBuffer = GrowableBuffer()

    /// A codec must save at least this fraction of the bytes to be kept over raw.
    public static let minSaving = 0.05

    /// For byte planes: almost no match finding, literals entropy-coded. On the sign/exponent plane of
    /// float32 weights this compresses better than level 1 (0.34 vs 0.40) at 3.5x its speed.
    private let planeCtx: OpaquePointer

    public init(level: Int32 = 1) {
        cctx = ZSTD_createCCtx()
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level)
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 0)
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 1)
        planeCtx = ZSTD_createCCtx()
        ZSTD_CCtx_setParameter(planeCtx, ZSTD_c_compressionLevel, -100)
        // ZSTD_c_literalCompressionMode is a macro for experimentalParam5, which Swift does not import.
        ZSTD_CCtx_setParameter(planeCtx, ZSTD_c_experimentalParam5, Int32(ZSTD_ps_enable.rawValue))
        ZSTD_CCtx_setParameter(planeCtx, ZSTD_c_checksumFlag, 0)
    }

    deinit { ZSTD_freeCCtx(cctx); ZSTD_freeCCtx(planeCtx); scratch.free(); planes.free(); frameBuffer.free() }

    /// Compresses `src` and returns (codec, stored bytes). The returned buffer is valid until the next call.
    public func compress(_ src: UnsafeRawBufferPointer) -> (Codec, UnsafeRawBufferPointer) {
        let n = src.count
        if n < 64 { return (.raw, src) }
        let budget = Int(Double(n) * (1 - Compressor.minSaving))
        let probe = EntropyProbe.classify(src)
        if probe.kind == .random { return (.raw, src) }
        if probe.kind == .floatLike, let size = compressPlanes(src, laneEntropy: probe.lanes), size <= budget {
            return (.planes, UnsafeRawBufferPointer(start: scratch.pointer, count: size))
        }
        let size = zstd(src)
        if size > 0 && size <= budget {
            return (.zstd, UnsafeRawBufferPointer(start: scratch.pointer, count: size))
        }
        return (.raw, src)
    }

    /// Planes codec layout (docs/format.md): u8 flags (bit k: plane k is a zstd frame; bit 4+k: plane k
    /// has a length slot), a u32 length per slotted plane (0: stored raw after all), planes 0-3 (frames
    /// or raw bytes), then the tail bytes that do not fill a word.
    private func compressPlanes(_ src: UnsafeRawBufferPointer, laneEntropy: [Double]) -> Int? {
        let n = src.count, words = n / 4
        guard words > 0 else { return nil }
        let shuffled = planes.reserve(n)
        ByteShuffle.split(src, into: shuffled)
        let bound = ZSTD_compressBound(words)
        let out = scratch.reserve(1 + 16 + 4 * max(bound, words) + 4)
        let frame = frameBuffer.reserve(bound)
        var mask: UInt8 = 0
        var o = 1
        let headerSlots = laneEntropy.filter { $0 < Compressor.planeEntropyLimit }.count
        o += 4 * headerSlots
        var slot = 0
        for k in 0..<4 {
            let plane = shuffled + k * words
            if laneEntropy[k] < Compressor.planeEntropyLimit {
                let r = ZSTD_compress2(planeCtx, frame, bound, plane, words)
                let c = ZSTD_isError(r) != 0 ? words : r
                let useFrame = c < words
                // A planned slot always gets a length: 0 means "stored raw after all".
                let len = useFrame ? c : 0
                withUnsafeBytes(of: UInt32(len).littleEndian) { (out + 1 + 4 * slot).copyMemory(from: $0.baseAddress!, byteCount: 4) }
                slot += 1
                if useFrame {
                    mask |= 1 << k
                    (out + o).copyMemory(from: frame, byteCount: c)
                    o += c
                    continue
                }
            }
            (out + o).copyMemory(from: plane, byteCount: words)
            o += words
        }
        let tail = n - 4 * words
        if tail > 0 { (out + o).copyMemory(from: src.baseAddress! + 4 * words, byteCount: tail); o += tail }
        // Bits 4-7 of the mask say which planes have a length slot.
        var slots: UInt8 = 0
        for k in 0..<4 where laneEntropy[k] < Compressor.planeEntropyLimit { slots |= 1 << (4 + k) }
        out.storeBytes(of: mask | slots, as: UInt8.self)
        return o
    }

    /// Planes above this many bits per byte are stored raw without trying.
    static let planeEntropyLimit = 7.6

    private func zstd(_ src: UnsafeRawBufferPointer) -> Int {
        let bound = ZSTD_compressBound(src.count)
        let dst = scratch.reserve(bound)
        let r = ZSTD_compress2(cctx, dst, bound, src.baseAddress, src.count)
        return ZSTD_isError(r) != 0 ? 0 : r
    }
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
        case .planes:
            let n = dst.count, words = n / 4
            guard src.count >= 1 else { throw CodecError.corrupt }
            let flags = src[0]
            let slotted = (0..<4).filter { flags & (1 << (4 + $0)) != 0 }
            var o = 1 + 4 * slotted.count
            guard src.count >= o else { throw CodecError.corrupt }
            let p = planes.reserve(max(n, 1))
            for k in 0..<4 {
                let target = p + k * words
                if flags & (1 << k) != 0 {
                    guard let slot = slotted.firstIndex(of: k) else { throw CodecError.corrupt }
                    let len = Int(src.baseAddress!.loadLE(UInt32.self, at: 1 + 4 * slot))
                    guard len > 0, o + len <= src.count else { throw CodecError.corrupt }
                    let r = ZSTD_decompressDCtx(dctx, target, words, src.baseAddress! + o, len)
                    guard ZSTD_isError(r) == 0, r == words else { throw CodecError.corrupt }
                    o += len
                } else {
                    guard o + words <= src.count else { throw CodecError.corrupt }
                    target.copyMemory(from: src.baseAddress! + o, byteCount: words)
                    o += words
                }
            }
            let tail = n - 4 * words
            guard o + tail == src.count else { throw CodecError.corrupt }
            if tail > 0 { (p + 4 * words).copyMemory(from: src.baseAddress! + o, byteCount: tail) }
            ByteShuffle.join(UnsafeRawBufferPointer(start: p, count: n), into: dst.baseAddress!)
        }
    }

    public func decompress(_ codec: Codec, _ src: UnsafeRawBufferPointer, rawSize: Int) throws -> [UInt8] {
        try [UInt8](unsafeUninitializedCapacity: rawSize) { buf, count in
            try decompress(codec, src, into: UnsafeMutableRawBufferPointer(buf))
            count = rawSize
        }
    }
}

public enum CodecError: Error { case corrupt, sizeMismatch }

/// Splits a buffer into 4 byte planes and back (SIMD, in CKernels). A tail shorter than a word stays
/// in place at the end.
enum ByteShuffle {
    static func split(_ src: UnsafeRawBufferPointer, into dst: UnsafeMutableRawPointer) {
        mlops_planes_split(src.baseAddress!.assumingMemoryBound(to: UInt8.self), dst.assumingMemoryBound(to: UInt8.self), src.count)
    }

    static func join(_ src: UnsafeRawBufferPointer, into dst: UnsafeMutableRawPointer) {
        mlops_planes_join(src.baseAddress!.assumingMemoryBound(to: UInt8.self), dst.assumingMemoryBound(to: UInt8.self), src.count)
    }
}

/// A cheap look at a sample of a chunk's bytes, so that zstd is not run on data it cannot shrink.
enum EntropyProbe {
    enum Kind { case random, floatLike, other }

    /// Order-0 entropy (bits per byte) of the whole sample and of each of the 4 byte lanes.
    static func classify(_ buf: UnsafeRawBufferPointer) -> (kind: Kind, lanes: [Double]) {
        let n = min(buf.count, sampleSize) & ~3
        if n < 1024 { return (.other, []) }
        var e = (0.0, 0.0, 0.0, 0.0, 0.0)
        withUnsafeMutableBytes(of: &e) { out in
            clog2.withUnsafeBufferPointer {
                mlops_lane_entropy(buf.baseAddress!.assumingMemoryBound(to: UInt8.self), buf.count, sampleSize, $0.baseAddress!,
                                   out.baseAddress!.assumingMemoryBound(to: Double.self))
            }
        }
        let laneE = [e.0, e.1, e.2, e.3], total = e.4
        // A finite sample of uniform bytes reads below 8 bits by about 255 / (2 N ln 2); allow twice that.
        let bias = { (samples: Int) in 2 * 255 / (2 * Double(samples) * M_LN2) }
        if laneE.allSatisfy({ $0 > 8 - bias(n / 4) - 0.02 }) && total > 8 - bias(n) - 0.01 { return (.random, laneE) }
        if total > 7.0 && laneE.min()! < 6.5 { return (.floatLike, laneE) }
        return (.other, laneE)
    }

    /// Four 1 KiB pieces spread over the chunk: enough to tell random, float and other bytes apart
    /// (1,024 samples per lane put uniform bytes at 7.82 bits, well clear of the thresholds), a
    /// quarter of the work of one 16 KiB piece, and blind to no quarter of the chunk.
    static let sampleSize = 4 << 10

    /// c * log2(c) for every count a sample can hold.
    static let clog2: [Double] = (0...sampleSize).map { $0 == 0 ? 0 : Double($0) * log2(Double($0)) }
}

#if canImport(Glibc)
import Glibc
#endif
