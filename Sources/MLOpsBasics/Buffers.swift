/// A reusable heap buffer that only grows.
public struct GrowableBuffer {
    public private(set) var pointer: UnsafeMutableRawPointer?
    private var capacity = 0
    private var alignment = 16

    public init(alignment: Int = 16) { self.alignment = alignment }

    /// At least `n` bytes; the first `keeping` bytes survive a move.
    public mutating func reserve(_ n: Int, keeping: Int = 0) -> UnsafeMutableRawPointer {
        if capacity < n {
            let grown = UnsafeMutableRawPointer.allocate(byteCount: max(n, capacity * 2), alignment: alignment)
            if keeping > 0, let pointer { grown.copyMemory(from: pointer, byteCount: keeping) }
            pointer?.deallocate()
            capacity = max(n, capacity * 2)
            pointer = grown
        }
        return pointer!
    }

    public func free() { pointer?.deallocate() }
}

/// A worker's buffer (whole small files, records read before decoding, batches of chunks).
public final class ReadBuffer {
    private var buffer = GrowableBuffer()
    public init() {}
    /// At least `n` bytes; the first `keeping` bytes survive a move.
    public func reserve(_ n: Int, keeping: Int = 0) -> UnsafeMutableRawPointer { buffer.reserve(max(n, 1), keeping: keeping) }
    deinit { buffer.free() }
}
