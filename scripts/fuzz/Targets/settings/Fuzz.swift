import FuzzSupport
import GitBridge
import MLOpsBasics

/// `.gitmlops`, read as a committed config file (libgit2's parser, behind git-mlops's checks).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    Fuzz.writeScratch(Fuzz.bytes(data, size))
    guard let cfg = try? GitConfigFile.committed(path: Fuzz.scratch, name: ".gitmlops") else { return 0 }
    _ = cfg.entries()
    _ = cfg.entries(matching: "^remote\\.")
    _ = (cfg.string("core.remote"), cfg.bool("core.autopush"))
    return 0
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> CInt {
    Fuzz.writeSeeds("settings")
    return 0
}
