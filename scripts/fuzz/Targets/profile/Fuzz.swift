import FuzzSupport
import MLOpsBasics
import ObjectStore
import Profiling
import Store

/// Profile objects (kind 5), as a remote hands them to a clone. The input is the text above the
/// `check` line, which is added here, and the key is the one its `data` line claims, so that inputs
/// reach the JSON behind both checks. What decodes must be canonical, and comparing or merging it
/// (what drift and monitor do with a baseline from a remote) must not trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let body = Fuzz.bytes(data, size)
    let lines = body.split(separator: 0x0a, maxSplits: 2, omittingEmptySubsequences: false)
    let claimed = lines.count > 1 ? ObjectID(hex: String(decoding: lines[1].dropFirst(5), as: UTF8.self)) : nil
    let key = ProfileObject.key(for: claimed ?? .hashing("x"))
    if let object = try? ProfileObject.decode(CheckLine.appended(to: body), key: key), let profile = try? Profile.decode(object.json) {
        precondition(profile.encoded == object.json, "a decoded profile does not encode back to its bytes")
        _ = Drift.compare(baseline: profile, current: profile)
        precondition(Profile.merge([profile, profile]) != nil, "a profile does not merge with itself")
    }
    return 0
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> CInt {
    Fuzz.writeSeeds("profile", { Array($0.dropLast(71)) })
    return 0
}
