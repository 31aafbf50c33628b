import MLOpsBasics
import ParserSeeds
import Testing
import TestSupport
@testable import Lineage

/// JSON, run-record notes, params and metrics documents and `mlops.yaml` fed random and mutated
/// inputs (issue 9): they parse or throw (or, for notes, report the line), never trap, and what they
/// accept reads back the same.
@Suite struct LineageParserPropertyTests {
    @Test func jsonParserNeverTrapsAndItsCanonicalFormReadsBack() {
        let r = mutationRun(seeds: ParserSeeds.json, iterations: 3_000, seed: 31) { input in
            guard let j = try? JSON.parse(String(decoding: input, as: UTF8.self)) else { return false }
            #expect((try? JSON.parse(j.canonical)) == j, "\(j.canonical)")
            #expect((try? JSON.parse(j.pretty)) == j)
            return true
        }
        #expect(r.accepted > 100 && r.rejected > 100, "\(r)")
    }

    @Test func noteParserNeverTrapsAndEveryFieldReads() {
        let r = mutationRun(seeds: ParserSeeds.notes, iterations: 1_200, seed: 32) { input in
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
        let text = String(repeating: "garbage\n", count: 100_000) + ParserSeeds.record + "\n"
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

    @Test func yamlDocumentsAndPipelinesNeverTrap() {
        let r = mutationRun(seeds: ParserSeeds.yaml, iterations: 5_000, seed: 33) { input in
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
