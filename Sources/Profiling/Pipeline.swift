import Foundation
import MLOpsBasics

// Both cores on one file: the calling thread reads (and decompresses) fixed-size blocks, cuts each
// after its last complete record, and hands it to the workers; the per-block profiles are merged in
// block order. Block boundaries depend only on the bytes and the block size, and each block's
// sketches are seeded by its index, so the profile does not depend on the number of threads.
// Memory: (threads + 2) blocks, one of which may grow to the record-length limit.

/// A piece of the input that starts at a record boundary.
final class Block: @unchecked Sendable {
    var base: UnsafeMutableRawPointer
    var capacity: Int
    var count = 0
    var index = 0
    /// Bytes of the stream before this block (after any header).
    var offset: Int64 = 0

    init(capacity: Int) {
        self.capacity = capacity
        base = Block.allocate(capacity)
    }

    deinit { free(base) }

    func grow(to n: Int) {
        guard n > capacity else { return }
        let b = Block.allocate(n)
        b.copyMemory(from: base, byteCount: count)
        free(base)
        base = b
        capacity = n
    }

    /// Large buffers are aligned to 2 MiB and asked for transparent huge pages: reading a block into
    /// a new buffer then takes 4 page faults instead of 2048, and the buffers cost less to free.
    static func allocate(_ n: Int) -> UnsafeMutableRawPointer {
        let huge = 2 << 20
        var p: UnsafeMutableRawPointer? = nil
        if n >= huge {
            let size = (n + huge - 1) / huge * huge
            guard posix_memalign(&p, huge, size) == 0, let p else { fatalError("out of memory for a \(n)-byte block") }
            _ = madvise(p, size, MADV_HUGEPAGE)
            return p
        }
        guard posix_memalign(&p, 64, n) == 0, let p else { fatalError("out of memory for a \(n)-byte block") }
        return p
    }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }
}

/// A parse failure inside a block, at a line counted from the block's start (0-based).
struct BlockFailure: Error {
    var line: Int64
    var message: String
    var hint: String
}

struct BlockResult: @unchecked Sendable {
    var profile: Profile
    /// Newlines in the block.
    var lines: Int64
    var failure: BlockFailure?
}

/// What a format does in the pipeline.
protocol BlockFormat: Sendable {
    /// The length of the complete records at the start of `data` (which starts at a record
    /// boundary); `atEOF` when no more bytes follow. 0 when none is complete yet.
    func cut(_ data: UnsafeRawBufferPointer, atEOF: Bool) throws -> Int
    /// Profiles one block.
    func parse(_ block: Block) -> BlockResult
    /// Finishes the merged profile of the whole stream.
    func finish(_ profile: inout Profile)
    /// Whether errors name a line (text formats) or only the file.
    var hasLines: Bool { get }
}

extension BlockFormat {
    var hasLines: Bool { true }
}

/// A failure of the coordinator itself (not inside a block), with its line relative to the end of
/// the blocks cut so far.
private struct CutFailure: Error { var failure: BlockFailure }

/// What the workers and the reader share, under the pipeline's lock.
private final class Shared: @unchecked Sendable {
    var free: [Block] = []
    var results: [Int: BlockResult] = [:]
}

enum Pipeline {
    /// Runs `format` over the rest of `source`, `leftover` being bytes already read past the header.
    /// `firstLine` is the 1-based line number of the first byte given.
    static func run(_ format: some BlockFormat, source: ByteSource, leftover: [UInt8], name: String,
                    firstLine: Int64, options: ProfileOptions, empty: Profile) throws -> Profile {
        let blockSize = max(4096, options.blockSize)
        let maxRecord = max(blockSize, options.maxRecordBytes)
        let threads = max(1, options.threads)
        let lock = NSCondition()
        let shared = Shared()
        // Buffers start small and grow to what the blocks need, so a small file costs little.
        shared.free = (0..<threads + 2).map { _ in Block(capacity: 1 << 16) }
        var submitted = 0
        var merged = 0
        var total = empty
        var lines: Int64 = 0
        var failure: (index: Int, failure: BlockFailure)? = nil
        let gate = DispatchSemaphore(value: threads)

        /// Merges finished results in order; with `all`, waits for every submitted block.
        func drain(all: Bool) {
            lock.lock()
            while merged < submitted {
                guard let r = shared.results.removeValue(forKey: merged) else {
                    if all { lock.wait(); continue }
                    break
                }
                lock.unlock()
                if failure == nil {
                    if let f = r.failure {
                        failure = (merged, BlockFailure(line: lines + f.line, message: f.message, hint: f.hint))
                    } else {
                        total = total.merged(with: r.profile)
                        total.files = 1
                    }
                }
                lines += r.lines
                lock.lock()
                merged += 1
            }
            lock.unlock()
        }

        func take() -> Block {
            lock.lock()
            while shared.free.isEmpty { lock.wait() }
            let b = shared.free.removeLast()
            lock.unlock()
            return b
        }

        var carry = leftover
        var eof = false
        var offset: Int64 = 0
        var cutFailure: BlockFailure? = nil
        reading: while failure == nil {
            let block = take()
            block.count = 0
            block.grow(to: carry.count)
            carry.withUnsafeBytes { block.base.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            block.count = carry.count
            carry = []
            // How much to read depends only on the bytes (never on a reused buffer's capacity),
            // so that the blocks, and with them the profile, are the same on every run.
            var target = max(blockSize, block.count + blockSize / 2)
            var cut = 0
            while true {
                block.grow(to: target)
                while block.count < target && !eof {
                    let n = try source.read(into: block.base + block.count, count: target - block.count)
                    if n == 0 { eof = true } else { block.count += n }
                }
                do {
                    cut = try format.cut(block.bytes, atEOF: eof)
                } catch let f as BlockFailure {
                    cutFailure = f
                    break reading
                }
                if cut == 0 && eof && block.count > 0 {
                    cutFailure = BlockFailure(line: 0, message: "the file ends inside a record (did it change while it was read?)",
                                              hint: "profile it again once nothing writes to it")
                    break reading
                }
                if cut > 0 || eof { break }
                if block.count >= maxRecord {
                    cutFailure = BlockFailure(line: 0, message: "a record is longer than \(formatBytes(Int64(maxRecord))), the limit",
                                              hint: "check for an unclosed quote or a missing line end, or split the record")
                    break reading
                }
                target += blockSize
            }
            if block.count == 0 {
                lock.lock(); shared.free.append(block); lock.unlock()
                break
            }
            carry = Array(UnsafeRawBufferPointer(start: block.base + cut, count: block.count - cut))
            block.count = cut
            block.index = submitted
            block.offset = offset
            offset += Int64(cut)
            submitted += 1
            gate.wait()
            DispatchQueue.global().async {
                let r = format.parse(block)
                gate.signal()
                lock.lock()
                shared.results[block.index] = r
                shared.free.append(block)
                lock.broadcast()
                lock.unlock()
            }
            drain(all: false)
            if eof && carry.isEmpty { break }
        }
        drain(all: true)
        if let f = failure?.failure ?? cutFailure.map({ BlockFailure(line: lines + $0.line, message: $0.message, hint: $0.hint) }) {
            throw MLOpsError(format.hasLines ? "\(name):\(firstLine + f.line): \(f.message)" : "\(name): \(f.message)", hint: f.hint)
        }
        format.finish(&total)
        return total
    }
}
