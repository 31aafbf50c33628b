import FuzzSupport
import MLOpsBasics
@testable import ObjectStore

/// The multi-pack index (`packs/multi.midx`): lookups of ids present and absent.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Fuzz.bytes(data, size)
    Fuzz.writeScratch(bytes)
    guard let midx = try? MultiIndex(path: Fuzz.scratch) else { return 0 }
    // Ids as the rows hold them, wherever rows would be, and one that is nowhere.
    var ids = [ObjectID.hashing("absent")]
    var at = 24 + midx.packs.count * 16 + 1024
    while at + 32 <= bytes.count, ids.count < 64 {
        ids.append(bytes.withUnsafeBytes { ObjectID(bytes: $0.baseAddress! + at) })
        at += MultiIndexFormat.entrySize
    }
    for id in ids { if let (_, pack) = midx.find(id) { precondition(midx.packs.contains(pack)) } }
    return 0
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> CInt {
    Fuzz.writeSeeds("multi-index")
    return 0
}
