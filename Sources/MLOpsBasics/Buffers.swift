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

extension Array where Element == UInt8 {
    /// Appends `v` little-endian, as every git-mlops binary format stores integers.
    @inlinable
    public mutating func appendLE<T: FixedWidthInteger>(_ v: T) {
        Swift.withUnsafeBytes(of: v.littleEndian) { append(contentsOf: $0) }
    }
}

extension UnsafeRawPointer {
    /// A little-endian integer at `offset`, wherever it is aligned.
    @inlinable
    public func loadLE<T: FixedWidthInteger>(_ t: T.Type, at offset: Int) -> T {
        T(littleEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}

/// Items 0..<count cut, in order, into groups of at most `maxItems` whose sizes add up to at most
/// `maxBytes` (an item larger than that makes a group of its own): the batches that are hashed side
/// by side while the memory each worker holds for one stays small.
public func sizeLimitedGroups(count: Int, maxItems: Int, maxBytes: Int64, size: (Int) -> Int64) -> [Range<Int>] {
    var groups: [Range<Int>] = []
    var start = 0
    while start < count {
        var end = start, total: Int64 = 0
        while end < count && end - start < maxItems && (end == start || total + size(end) <= maxBytes) {
            total += size(end)
            end += 1
        }
        groups.append(start..<end)
        start = end
    }
    return groups
}
