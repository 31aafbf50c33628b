import FuzzSupport
import MLOpsBasics
import Store

/// The top object of a directory manifest.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    if let top = try? DirManifest.decodeTop(Fuzz.bytes(data, size), id: ObjectID.hashing("dir")) {
        precondition(top.pieces.reduce(0) { $0 + $1.count } == top.files, "piece counts do not add up")
    }
    return 0
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> CInt {
    Fuzz.writeSeeds("dir-top")
    return 0
}
