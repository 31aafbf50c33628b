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
        let placeholder = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
        defer { placeholder.deallocate() }
        // An empty piece may have no address; the kernel reads nothing from it.
        let starts: [UnsafePointer<UInt8>?] = pieces.map { UnsafePointer($0.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? UnsafePointer(placeholder)) }
        let lengths = pieces.map(\.count)
        let digests = UnsafeMutableRawPointer.allocate(byteCount: 32 * n, alignment: 8)
        defer { digests.deallocate() }
        digests.withMemoryRebound(to: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                                       UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8).self,
                                   capacity: n) { out in
            mlops_sha256_mb(starts, lengths, n, out)
        }
        return (0..<n).map { ObjectID(bytes: digests + 32 * $0) }
    }
}
