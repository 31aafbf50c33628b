import FuzzSupport
import MLOpsBasics
@testable import ObjectStore

/// A pack index (`NAME.idx`), read as git-mlops reads one: mapped, every entry, and lookups.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    Fuzz.writeScratch(Fuzz.bytes(data, size))
    guard let idx = try? PackIndex(path: Fuzz.scratch, name: "p") else { return 0 }
    for e in idx.entries.prefix(64) { _ = idx.find(e.id) }
    _ = idx.find(ObjectID.hashing("absent"))
    return 0
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> CInt {
    Fuzz.writeSeeds("pack-index")
    return 0
}
