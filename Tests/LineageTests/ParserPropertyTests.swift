import MLOpsBasics
import Testing
import TestSupport
@testable import Lineage

/// JSON, run-record notes, params and metrics documents and `mlops.yaml` fed random and mutated
/// inputs (issue 9): they parse or throw (or, for notes, report the line), never trap, and what they
/// accept reads back the same.
@Suite struct LineageParserPropertyTests {
    static let record = #"{"cmd":"python3 train.py","code":{"commit":"0123456789abcdef0123456789abcdef01234567","deps":[{"blob":"e69de29bb2d1d6434b8b29ae775ad8c2e48c5391","path":"train.py"},{"digest":"ab","files":3,"path":"src"}],"dirty":false},"duration":1.25,"env":{"git_mlops":"0.1"},"exit":0,"id":"00112233aabbccdd","inputs":[{"files":2,"oid":"sha256:\#(String(repeating: "a", count: 64))","path":"data","size":10,"type":"dir"}],"key":"ff","metric_files":[{"blob":"aa","oid":"sha256:\#(String(repeating: "b", count: 64))","path":"m.json","size":3,"type":"file"}],"metrics":{"m.json":{"acc":0.5,"n":[1,2,{"x":-1e-5}]}},"outputs":[{"oid":"sha256:\#(String(repeating: "c", count: 64))","path":"model.npy","size":9,"type":"file"}],"params":{"train.lr":0.1,"train.name":"r\u00e9s\ud83d\ude00\n"},"schema":"https://git-mlops.dev/spec/run/v1","stage":"train","started":"2025-06-01T12:00:03.123Z","user":"u"}"#

    static let jsonSeeds: [[UInt8]] = [
        record, "[]", "{}", "[1, -2.5e3, true, false, null, \"\\u0041\\t\\\\\"]", "{\"a\": {\"b\": [[[]]]}, \"c\": 9223372036854775807}",
        "\"\\ud83d\\ude00 \\ud800 x\"", "-0.0", "123456789012345678901234567890",
    ].map { Array($0.utf8) }

    @Test func jsonParserNeverTrapsAndItsCanonicalFormReadsBack() {
        let r = mutationRun(seeds: Self.jsonSeeds, iterations: 3_000, seed: 31) { input in
            guard let j = try? JSON.parse(String(decoding: input, as: UTF8.self)) else { return false }
            #expect((try? JSON.parse(j.canonical)) == j, "\(j.canonical)")
            #expect((try? JSON.parse(j.pretty)) == j)
            return true
        }
        #expect(r.accepted > 100 && r.rejected > 100, "\(r)")
    }

    static let noteSeeds: [[UInt8]] = [
        record + "\n",
        record + "\n" + record.replacingOccurrences(of: "00112233aabbccdd", with: "ffeeddccbbaa9988") + "\n",
        "not json\n" + record + "\n\n  \n{\"schema\":\"https://git-mlops.dev/spec/run/v2\",\"id\":\"1\",\"stage\":\"s\",\"cmd\":\"c\",\"duration\":1e300}\n",
    ].map { Array($0.utf8) }

    @Test func noteParserNeverTrapsAndEveryFieldReads() {
        let r = mutationRun(seeds: Self.noteSeeds, iterations: 1_200, seed: 32) { input in
            let (records, problems) = RunRecord.parseNote(String(decoding: input, as: UTF8.self), source: "note on x")
            #expect(problems.count <= RunRecord.maxProblemsPerNote + 1)
            for rec in records {
                // Everything a command reads from a record, as it reads it.
                _ = (rec.schemaVersion, rec.id, rec.shortID, rec.stage, rec.cmd, rec.wdir, rec.key, rec.started, rec.exitCode)
                _ = (rec.user, rec.host, rec.restoredFrom, rec.recorded, rec.commit, rec.dirty, rec.params, rec.metrics, rec.env)
                _ = rec.codeDeps.map(\.keyValue)
                _ = (rec.inputs + rec.outputs + rec.metricFiles).map { ($0.shortID, $0.json) }
                _ = rec.paths
                _ = RunRecord.formatDuration(rec.duration ?? 0) + RunRecord.formatTime(rec.started)
                _ = Values.flatten(.object(rec.params)).map { Values.display($0.value) }
                #expect((try? RunRecord(line: rec.line)) == rec)
            }
            return problems.isEmpty && !records.isEmpty
        }
        #expect(r.accepted > 100 && r.rejected > 100, "\(r)")
    }

    @Test func aNoteOfManyBadLinesIsReportedInElevenLines() {
        let text = String(repeating: "garbage\n", count: 100_000) + Self.record + "\n"
        let (records, problems) = RunRecord.parseNote(text, source: "note on 1a2b3c4d5e")
        #expect(records.count == 1)
        #expect(problems.count == 11)
        #expect(problems.last?.description == "note on 1a2b3c4d5e, line 11: and 99989 more lines after it are not run records either; skipped")
    }

    @Test func durationsOfAnySizePrint() {
        #expect(RunRecord.formatDuration(.nan) == "nan s")
        #expect(RunRecord.formatDuration(1e300) == "1e+300 s")
        #expect(RunRecord.formatDuration(-.infinity) == "-inf s")
        #expect(RunRecord.formatDuration(125) == "2 min 5 s")
    }

    static let yamlSeeds: [[UInt8]] = [
        "train:\n  lr: 0.05\n  epochs: 20\n  layers: [{units: 8}, {units: 4}]\nprepare: {seed: 7, split: 0.8}\n",
        "defaults: &d\n  lr: 0.1\n  tags: [a, b]\ntrain:\n  <<: *d\n  name: &n \"resnet\"\nmodel: *d\nlist:\n  - *n\n  - ~\n  - 0x1f\n  - 1e3\n  - .inf\n",
        "# comment\n? plain\n: |\n  block\n  text\nfolded: >\n  a\n  b\nq: 'single'' quote'\nd: \"esc \\t \\u00e9\"\n",
        "stages:\n  prepare:\n    cmd: python3 prepare.py\n    deps:\n      - prepare.py\n      - data/raw.csv\n    params:\n      - prepare.seed\n      - cfg.json:model.depth\n      - extra.yaml: [a, b.c]\n    outs:\n      - data/prepared\n  train:\n    cmd: [python3 train.py, echo done]\n    wdir: src\n    deps: [../data/prepared]\n    outs: [model.npy]\n    metrics: [metrics.json]\n",
        "a0: &a0 [x, x, x]\na1: &a1 [*a0, *a0, *a0]\na2: &a2 [*a1, *a1, *a1]\n",
    ].map { Array($0.utf8) }

    @Test func yamlDocumentsAndPipelinesNeverTrap() {
        let r = mutationRun(seeds: Self.yamlSeeds, iterations: 5_000, seed: 33) { input in
            let text = String(decoding: input, as: UTF8.self)
            let doc = try? Values.parseDocument(text, path: "params.yaml")
            if let doc { _ = Values.flatten(doc).map { Values.display($0.value) }; _ = doc.canonical }
            if let p = try? Pipeline.parse(text) {
                _ = try? p.order()
                for s in p.stages { _ = (p.upstream(of: s.name), p.downstream(of: s.name)) }
                _ = try? PipelineEditor.adding(StageSpec(name: "new", cmd: "x", outs: ["new.out"]), to: text, force: false)
                return true
            }
            return doc != nil
        }
        #expect(r.accepted > 100 && r.rejected > 100, "\(r)")
    }
}
