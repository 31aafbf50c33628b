import CKernels
import MLOpsBasics

/// SHA-256 of many independent pieces at once (the chunks of a batch, a slice of small files): 16 side
/// by side in AVX-512 registers where the CPU has them, about twice SHA-NI's speed per core on the
/// Xeons we measured (see docs/architecture.md); one by one otherwise.
public enum BatchHash {
    public static let vectorized = mlops_sha256_mb_available() != 0

    public static func ids(_ pieces: [UnsafeRawBufferPointer]) -> [ObjectID] {
        guard vectorized, pieces.count > 2 else { return pieces.map { ObjectID.hashing($0) } }
        let n = pieces.count
        let digests = UnsafeMutableRawPointer.allocate(byteCount: 32 * n, alignment: 8)
        defer { digests.deallocate() }
        // An empty piece may have no address; the kernel reads nothing from it, so any address serves.
        let anywhere = UnsafePointer(digests.assumingMemoryBound(to: UInt8.self))
        let starts: [UnsafePointer<UInt8>?] = pieces.map { $0.baseAddress.map { UnsafePointer($0.assumingMemoryBound(to: UInt8.self)) } ?? anywhere }
        let lengths = pieces.map(\.count)
        digests.withMemoryRebound(to: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                                       UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8).self,
                                   capacity: n) { out in
            mlops_sha256_mb(starts, lengths, n, out)
        }
        return (0..<n).map { ObjectID(bytes: digests + 32 * $0) }
    }
}
