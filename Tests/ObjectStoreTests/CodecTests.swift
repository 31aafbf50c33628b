import MLOpsBasics
@testable import ObjectStore
import TestSupport
import Testing

@Suite struct CodecTests {
    @Test(arguments: ["random", "random-4k", "floats", "floats-tail", "csv", "zeros"])
    func roundTrip(kind: String) throws {
        let data: [UInt8]
        switch kind {
        case "random": data = randomBytes(65536, seed: 5)
        case "random-4k": data = randomBytes(4096, seed: 15)
        case "floats": data = floatBytes(16384, seed: 6)
        case "floats-tail": data = floatBytes(20001, seed: 16) + [1, 2, 3]
        case "csv": data = csvBytes(rows: 2000, seed: 7)
        default: data = [UInt8](repeating: 0, count: 70001)
        }
        let c = Compressor(), d = Decompressor()
        let (codec, stored) = data.withUnsafeBytes { c.compress($0) }
        let storedCopy = Array(stored)
        let back = try storedCopy.withUnsafeBytes { try d.decompress(codec, $0, rawSize: data.count) }
        #expect(back == data)
        switch kind {
        case "random", "random-4k": #expect(codec == .raw)
            #expect(data.withUnsafeBytes { EntropyProbe.classify($0).kind } == .random, "zstd is not even tried on random bytes")
        case "floats", "floats-tail": #expect(codec == .planes && storedCopy.count < data.count * 95 / 100)
        case "csv", "zeros": #expect(codec == .zstd && storedCopy.count < data.count / 2)
        default: break
        }
    }

    /// The plane layout is part of the format: byte 0 of every word, then byte 1, 2, 3, then the tail.
    @Test(arguments: [0, 3, 64, 67, 1000, 4099])
    func planesFollowTheFormat(size: Int) {
        let src = (0..<size).map { UInt8(truncatingIfNeeded: $0 * 7 + 3) }
        let words = size / 4
        var want: [UInt8] = []
        for k in 0..<4 { for w in 0..<words { want.append(src[4 * w + k]) } }
        want += src[(4 * words)...]
        var got = [UInt8](repeating: 0, count: size)
        var back = [UInt8](repeating: 0, count: size)
        src.withUnsafeBytes { s in got.withUnsafeMutableBytes { ByteShuffle.split(s, into: $0.baseAddress ?? UnsafeMutableRawPointer(bitPattern: 8)!) } }
        got.withUnsafeBytes { s in back.withUnsafeMutableBytes { ByteShuffle.join(s, into: $0.baseAddress ?? UnsafeMutableRawPointer(bitPattern: 8)!) } }
        #expect(got == want)
        #expect(back == src)
    }

    @Test func corruptFrameIsRejected() throws {
        let data = csvBytes(rows: 500, seed: 8)
        let c = Compressor(), d = Decompressor()
        let (codec, stored) = data.withUnsafeBytes { c.compress($0) }
        var bad = Array(stored)
        bad[bad.count / 2] ^= 0xff
        let decoded = try? bad.withUnsafeBytes { try d.decompress(codec, $0, rawSize: data.count) }
        #expect(decoded != data)
    }
}
