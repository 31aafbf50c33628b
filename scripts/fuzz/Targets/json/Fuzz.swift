import FuzzSupport
import MLOpsBasics

/// JSON: what is accepted reads back from its canonical and its pretty form.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    if let j = try? JSON.parse(String(decoding: Fuzz.bytes(data, size), as: UTF8.self)) {
        precondition((try? JSON.parse(j.canonical)) == j && (try? JSON.parse(j.pretty)) == j, "JSON does not read back")
    }
    return 0
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> CInt {
    Fuzz.writeSeeds("json")
    return 0
}
