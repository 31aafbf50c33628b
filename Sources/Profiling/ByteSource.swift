import CZlib
import CZstd
import Foundation
import MLOpsBasics

/// A stream of bytes to profile (a file, or a file decompressed on the fly) or to monitor.
public protocol ByteSource: AnyObject {
    /// Reads up to `count` bytes; 0 at the end (of what is there so far, for a growing log).
    func read(into p: UnsafeMutableRawPointer, count: Int) throws -> Int
}

/// How a file is compressed, from its last extension.
public enum Compression: String, Sendable {
    case none, gzip, zstd
}

final class FileSource: ByteSource {
    let fd: FileDescriptor
    init(_ fd: FileDescriptor) { self.fd = fd }
    func read(into p: UnsafeMutableRawPointer, count: Int) throws -> Int { try fd.read(into: p, count: count) }
}

/// Reads compressed input in pieces of this size.
private let inputChunk = 1 << 18

/// gzip (several members in a row too, as `cat a.gz b.gz` makes), through zlib's inflate.
public final class GzipSource: ByteSource {
    let source: any ByteSource
    let name: String
    var stream = z_stream()
    let input: UnsafeMutablePointer<UInt8>
    var inputEOF = false
    var finished = false
    /// True between the end of one member and the start of the next.
    var betweenMembers = false

    public init(_ source: any ByteSource, name: String) throws {
        self.source = source
        self.name = name
        input = .allocate(capacity: inputChunk)
        // 15 + 16: gzip wrapper only.
        guard inflateInit2_(&stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            input.deallocate()
            throw MLOpsError("\(name): zlib could not start", hint: "check that zlib is installed")
        }
    }

    deinit { inflateEnd(&stream); input.deallocate() }

    public func read(into p: UnsafeMutableRawPointer, count: Int) throws -> Int {
        if finished || count == 0 { return 0 }
        stream.next_out = p.assumingMemoryBound(to: UInt8.self)
        stream.avail_out = UInt32(min(count, Int(UInt32.max)))
        while stream.avail_out > 0 {
            if stream.avail_in == 0 && !inputEOF {
                let n = try source.read(into: input, count: inputChunk)
                if n == 0 { inputEOF = true } else { stream.next_in = input; stream.avail_in = UInt32(n) }
            }
            if stream.avail_in == 0 && inputEOF {
                if betweenMembers { finished = true; break }
                throw MLOpsError.malformed(name, "the gzip data ends early (truncated file)", fix: "copy or download the file again")
            }
            let rc = inflate(&stream, Z_NO_FLUSH)
            if rc == Z_STREAM_END {
                betweenMembers = true
                inflateReset(&stream)
                continue
            }
            guard rc == Z_OK || (rc == Z_BUF_ERROR && stream.avail_in == 0) else {
                let msg = stream.msg.map { String(cString: $0) } ?? "error \(rc)"
                throw MLOpsError.malformed(name, "not valid gzip data (\(msg))", fix: "check the file with `gzip -t`")
            }
            betweenMembers = false
        }
        return count - Int(stream.avail_out)
    }
}

/// zstd (one or more frames), through ZSTD_decompressStream.
public final class ZstdSource: ByteSource {
    let source: any ByteSource
    let name: String
    let dctx: OpaquePointer
    let input: UnsafeMutablePointer<UInt8>
    var inBuf = ZSTD_inBuffer(src: nil, size: 0, pos: 0)
    var inputEOF = false
    /// 0 when the last frame ended exactly.
    var frameRemaining = 0

    public init(_ source: any ByteSource, name: String) throws {
        self.source = source
        self.name = name
        guard let d = ZSTD_createDCtx() else { throw MLOpsError("\(name): zstd could not start", hint: "check that libzstd is installed") }
        dctx = d
        // Bounds the window (memory) a hostile frame can ask for: 2^27 = 128 MiB, zstd's default limit.
        ZSTD_DCtx_setParameter(dctx, ZSTD_d_windowLogMax, 27)
        input = .allocate(capacity: inputChunk)
    }

    deinit { ZSTD_freeDCtx(dctx); input.deallocate() }

    public func read(into p: UnsafeMutableRawPointer, count: Int) throws -> Int {
        var out = ZSTD_outBuffer(dst: p, size: count, pos: 0)
        while out.pos < out.size {
            if inBuf.pos == inBuf.size && !inputEOF {
                let n = try source.read(into: input, count: inputChunk)
                if n == 0 { inputEOF = true } else { inBuf = ZSTD_inBuffer(src: input, size: n, pos: 0) }
            }
            if inBuf.pos == inBuf.size && inputEOF {
                if frameRemaining != 0 {
                    throw MLOpsError.malformed(name, "the zstd data ends early (truncated file)", fix: "copy or download the file again")
                }
                break
            }
            let before = out.pos
            let rc = ZSTD_decompressStream(dctx, &out, &inBuf)
            if ZSTD_isError(rc) != 0 {
                throw MLOpsError.malformed(name, "not valid zstd data (\(String(cString: ZSTD_getErrorName(rc))))", fix: "check the file with `zstd -t`")
            }
            frameRemaining = rc
            if out.pos == before && inBuf.pos == inBuf.size && inputEOF && rc == 0 { break }
        }
        return out.pos
    }
}
