import FuzzSupport
import MLOpsBasics
import Store

/// A piece of a directory manifest: every path it accepts stays inside the directory.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    for e in (try? DirManifest.decodePiece(Fuzz.bytes(data, size), id: ObjectID.hashing("piece"))) ?? [] {
        precondition(isSafeRelativePath(e.path) && e.size >= 0, "accepted \(e.path)")
    }
    return 0
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> CInt {
    Fuzz.writeSeeds("dir-piece")
    return 0
}
