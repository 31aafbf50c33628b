import FuzzSupport
import MLOpsBasics
import ObjectStore

/// The header of a record in a pack: what it accepts writes back to the same bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Fuzz.bytes(data, size)
    if let h = bytes.withUnsafeBytes({ PackFormat.parseRecordHeader($0) }) {
        let again = PackFormat.recordHeader(kind: h.kind, codec: h.codec, rawSize: h.rawSize, storedSize: h.storedSize, id: h.id)
        precondition(again[4...] == bytes[4..<PackFormat.recordHeaderSize], "record header does not write back")
    }
    return 0
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> CInt {
    Fuzz.writeSeeds("record-header")
    return 0
}
