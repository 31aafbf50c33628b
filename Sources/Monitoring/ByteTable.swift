import Foundation

/// Distinct byte strings (category labels, class names) numbered in order of first appearance, up to
/// a fixed number: memory stays bounded however many distinct values the live records hold.
struct ByteTable {
    /// Labels longer than this are cut (at a UTF-8 boundary) and counted by the cut label, as profiles do.
    static let maxLabelBytes = 256

    let limit: Int
    /// Open addressing, linear probing; slot values are entry index + 1 (0: empty).
    private var slots: [Int32]
    private var hashes: [UInt64] = []
    private var starts: [Int32] = []
    private var lengths: [Int32] = []
    private var arena: [UInt8] = []

    init(limit: Int) {
        self.limit = limit
        var size = 16
        while size < 2 * limit { size <<= 1 }
        slots = [Int32](repeating: 0, count: size)
    }

    var count: Int { starts.count }
    var isFull: Bool { count >= limit }

    @inline(__always)
    static func hash(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325 ^ UInt64(truncatingIfNeeded: n)
        var i = 0
        let raw = UnsafeRawPointer(p)
        while i + 8 <= n {
            h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0x0000_0100_0000_01B3
            h ^= h >> 29
            i += 8
        }
        while i < n {
            h = (h ^ UInt64(p[i])) &* 0x0000_0100_0000_01B3
            i += 1
        }
        h ^= h >> 32
        h &*= 0xD6E8_FEB8_6659_FD93
        return h ^ (h >> 32)
    }

    /// The entry of `p[0..<n]`, added when new and there is room; nil when new and the table is full.
    @inline(__always)
    mutating func index(_ p0: UnsafePointer<UInt8>, _ n0: Int, insert: Bool = true) -> Int? {
        let n = n0 > ByteTable.maxLabelBytes ? utf8Cut(p0, n0) : n0
        let h = ByteTable.hash(p0, n)
        let mask = slots.count - 1
        var s = Int(truncatingIfNeeded: h) & mask
        while true {
            let e = Int(slots[s])
            if e == 0 { break }
            let i = e - 1
            if hashes[i] == h && Int(lengths[i]) == n
                && arena.withUnsafeBufferPointer({ memcmp($0.baseAddress! + Int(starts[i]), p0, n) == 0 }) {
                return i
            }
            s = (s + 1) & mask
        }
        guard insert && !isFull else { return nil }
        slots[s] = Int32(count + 1)
        hashes.append(h)
        starts.append(Int32(arena.count))
        lengths.append(Int32(n))
        arena.append(contentsOf: UnsafeBufferPointer(start: p0, count: n))
        return count - 1
    }

    mutating func index(_ label: [UInt8], insert: Bool = true) -> Int? {
        label.withUnsafeBufferPointer { b in index(b.baseAddress ?? UnsafePointer(bitPattern: 1)!, b.count, insert: insert) }
    }

    func label(_ i: Int) -> String {
        String(decoding: arena[Int(starts[i])..<Int(starts[i]) + Int(lengths[i])], as: UTF8.self)
    }

    private func utf8Cut(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int {
        var cut = ByteTable.maxLabelBytes
        while cut > 0 && p[cut] & 0xC0 == 0x80 { cut -= 1 }
        return cut
    }
}
