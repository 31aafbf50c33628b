import FuzzSupport
import MLOpsBasics
import Store

/// File manifests. The input is the text above the `check` line, which is added here, so that inputs
/// reach the parsing behind the check.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let body = Fuzz.bytes(data, size)
    let id = ObjectID.hashing("file")
    if let m = try? FileManifest.decode(body + Array("check \(ObjectID.hashing(body).hex)\n".utf8), id: id) {
        precondition((try? FileManifest.decode(m.encode(), id: id)) == m, "file manifest does not read back")
    }
    return 0
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> CInt {
    Fuzz.writeSeeds("file-manifest", { Array($0.dropLast(71)) })
    return 0
}
