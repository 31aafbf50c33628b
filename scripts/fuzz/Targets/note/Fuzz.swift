import FuzzSupport
import Lineage
import MLOpsBasics

/// A note on `refs/notes/mlops`: the records it holds, every field as the commands read it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let (records, _) = RunRecord.parseNote(String(decoding: Fuzz.bytes(data, size), as: UTF8.self), source: "note")
    for r in records {
        _ = (r.schemaVersion, r.id, r.shortID, r.stage, r.cmd, r.wdir, r.key, r.started, r.exitCode, r.user, r.host)
        _ = (r.restoredFrom, r.recorded, r.commit, r.dirty, r.params, r.metrics, r.env, r.paths)
        _ = (r.inputs + r.outputs + r.metricFiles).map(\.shortID)
        _ = RunRecord.formatDuration(r.duration ?? 0) + RunRecord.formatTime(r.started)
        _ = Values.flatten(.object(r.params)).map { Values.display($0.value) }
        precondition((try? RunRecord(line: r.line)) == r, "record does not read back")
    }
    return 0
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> CInt {
    Fuzz.writeSeeds("note")
    return 0
}
