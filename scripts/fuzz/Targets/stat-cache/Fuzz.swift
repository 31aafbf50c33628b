import FuzzSupport
import MLOpsBasics
@testable import Store

/// The stat cache. The input is the file without its trailing SHA-256, which is added here, so that
/// inputs reach the parsing behind the checksum.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let body = Fuzz.bytes(data, size)
    if let (files, dirs) = StatCache.decode(body + ObjectID.hashing(body).bytes, savedAt: 1_500) {
        precondition((files.count + dirs.count) * 70 <= body.count, "more entries than bytes")
    }
    return 0
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> CInt {
    Fuzz.writeSeeds("stat-cache", { Array($0.dropLast(32)) })
    return 0
}
