import GitBridge
import MLOpsBasics
import Testing
@testable import Lineage

/// What the commands used to decide themselves, tested without the binary.
@Suite struct LineageCommandLogicTests {
    static let commit = GitOID(hex: String(repeating: "3", count: 40))!

    static func result(_ v: Verdict) -> ReproduceResult {
        ReproduceResult(stage: "s", run: "r", commit: commit, verdict: v, seconds: 1, outputs: 1)
    }

    @Test func reproduceTallyAndVerdict() {
        let one = ReproduceSummary([Self.result(.identical)])
        #expect(one.line == nil)
        #expect(one.succeeded(verify: true))
        let mixed = ReproduceSummary([Self.result(.identical), Self.result(.differs(["x"])), Self.result(.identical)])
        #expect(mixed.line == "3 runs reproduced: 2 identical, 1 differs")
        #expect(mixed.succeeded(verify: false))
        #expect(!mixed.succeeded(verify: true))
        let failed = ReproduceSummary([Self.result(.failed("exit code 1")), Self.result(.differs([])), Self.result(.differs([]))])
        #expect(failed.line == "3 runs reproduced: 0 identical, 2 differ, 1 failed")
        #expect(!failed.succeeded(verify: false))
        #expect(ReproduceSummary([]).succeeded(verify: true))
    }

    @Test func precisionRoundsFractionsOnly() {
        #expect(Values.display(.double(0.123456789), precision: 3) == "0.123")
        #expect(Values.display(.double(0.1), precision: 5) == "0.1")
        #expect(Values.display(.double(2.0), precision: 2) == "2")
        #expect(Values.display(.double(-0.0004), precision: 2) == "0")
        #expect(Values.display(.double(1.99999), precision: 2) == "2")
        #expect(Values.display(.int(7), precision: 0) == "7")
        #expect(Values.display(.string("0.123456"), precision: 2) == "0.123456")
        #expect(Values.display(.double(0.123456789), precision: nil) == "0.123456789")
        #expect(Values.display(nil, precision: 2) == "-")
    }

    @Test func onelineLogShowsIdStageCommitAndMetrics() {
        let r = RecordTests.record(extra: ["metrics": ["metrics.json": ["mse": 0.25, "epochs": 20]]])
        #expect(LogFormat.oneline(Journal.Entry(record: r, commit: Self.commit, pendingFile: nil))
                == "000000000000 train 3333333333 epochs=20 mse=0.25")
        #expect(LogFormat.oneline(Journal.Entry(record: RecordTests.record(extra: ["metrics": [:]]), commit: nil, pendingFile: "x"))
                == "000000000000 train pending")
    }
}

/// `stage remove`: the other stages, their order and comments stay.
@Suite struct StageRemovalTests {
    static let three = """
        # The pipeline.
        stages:
          prepare:   # first
            cmd: python3 prepare.py
            outs: [data/prepared]

          # The model.
          train:
            cmd: python3 train.py
            deps:
              - data/prepared
            outs: [model.npy]
          evaluate:
            cmd: python3 eval.py
            deps: [model.npy]
            metrics: [eval.json]
        # trailing comment

        """

    @Test func removesOneBlockAndKeepsTheRest() throws {
        #expect(try PipelineEditor.removing("train", from: Self.three) == """
            # The pipeline.
            stages:
              prepare:   # first
                cmd: python3 prepare.py
                outs: [data/prepared]

              # The model.
              evaluate:
                cmd: python3 eval.py
                deps: [model.npy]
                metrics: [eval.json]
            # trailing comment

            """)
        #expect(try PipelineEditor.removing("evaluate", from: Self.three).hasSuffix("""
                outs: [model.npy]
            # trailing comment

            """))
        let first = try PipelineEditor.removing("prepare", from: Self.three)
        #expect(first.hasPrefix("# The pipeline.\nstages:\n\n  # The model.\n  train:\n"))
        #expect(try Pipeline.parse(first).stages.map(\.name) == ["train", "evaluate"])
    }

    @Test func removingTheLastStageLeavesAnEmptyPipeline() throws {
        let one = "stages:\n  train:\n    cmd: python3 train.py\n"
        let text = try PipelineEditor.removing("train", from: one)
        #expect(text == "stages:\n")
        #expect(try Pipeline.parse(text).stages.isEmpty)
    }

    @Test func crlfFilesKeepTheirLineEnds() throws {
        let crlf = Self.three.replacingOccurrences(of: "\n", with: "\r\n")
        let text = try PipelineEditor.removing("train", from: crlf)
        #expect(text == (try PipelineEditor.removing("train", from: Self.three)).replacingOccurrences(of: "\n", with: "\r\n"))
    }

    @Test func unusualLayoutsAreWrittenAgainWhole() throws {
        let flow = "stages: {a: {cmd: x}, b: {cmd: y, deps: [z]}}\n"
        #expect(try PipelineEditor.removing("a", from: flow) == "stages:\n  b:\n    cmd: y\n    deps:\n      - z\n")
        // A lone CR is a line break for YAML but not for a split at \n: rewritten, never mis-cut.
        let loneCR = "stages:\r  a:\r    cmd: x\r  b:\r    cmd: y\r"
        #expect(try Pipeline.parse(try PipelineEditor.removing("a", from: loneCR)).stages.map(\.name) == ["b"])
    }

    @Test func anUnknownStageIsRefusedWithTheNearestNames() throws {
        #expect(throws: MLOpsError("no stage 'trian' in mlops.yaml", hint: "did you mean 'train'?")) {
            try PipelineEditor.removing("trian", from: Self.three)
        }
        #expect(throws: MLOpsError("no stage 'zzz' in mlops.yaml", hint: "stages: prepare, train, evaluate")) {
            try PipelineEditor.removing("zzz", from: Self.three)
        }
        #expect(throws: MLOpsError.self) { try PipelineEditor.removing("a", from: "stages: [") }
    }
}
