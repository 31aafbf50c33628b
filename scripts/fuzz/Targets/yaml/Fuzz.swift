import FuzzSupport
import Lineage
import MLOpsBasics

/// Params and metrics documents and `mlops.yaml`, through the YAML budget and Yams.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: Fuzz.bytes(data, size), as: UTF8.self)
    if let doc = try? Values.parseDocument(text, path: "params.yaml") {
        _ = Values.flatten(doc).map { Values.display($0.value) }
    }
    if let p = try? Pipeline.parse(text) {
        _ = try? p.order()
        for s in p.stages.prefix(16) { _ = (p.upstream(of: s.name), p.downstream(of: s.name)) }
        // `stage add` edits the text by lines: what it writes must parse and hold the new stage.
        if let (edited, _) = try? PipelineEditor.adding(StageSpec(name: "fuzz-new", cmd: "x", outs: ["fuzz.out"]), to: text, force: false) {
            precondition((try? Pipeline.parse(edited))?.stage("fuzz-new") != nil, "stage add wrote a broken pipeline")
        }
    }
    return 0
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> CInt {
    Fuzz.writeSeeds("yaml")
    return 0
}
