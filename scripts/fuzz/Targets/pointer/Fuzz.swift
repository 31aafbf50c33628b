import FuzzSupport
import MLOpsBasics
import Workspace

/// Pointer files (`PATH.mlops`): what is accepted encodes back to itself.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: Fuzz.bytes(data, size), as: UTF8.self)
    if let p = try? Pointer.decode(text, path: "x.mlops") {
        precondition((try? Pointer.decode(p.encode(), path: "x.mlops")) == p, "pointer does not read back")
    }
    return 0
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> CInt {
    Fuzz.writeSeeds("pointer")
    return 0
}
