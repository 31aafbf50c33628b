import MLOpsBasics
import Testing
@testable import Lineage

@Suite struct PipelineTests {
    static let twoStages = """
        # The demo pipeline.
        stages:
          prepare:
            cmd: python3 prepare.py
            deps: [prepare.py, data/raw.csv]
            params: [prepare.seed]
            outs: [data/prepared]
          train:   # the model
            cmd: python3 train.py --epochs 3
            wdir: src
            deps:
              - train.py
              - ../data/prepared
            params:
              - train
              - ../config.json:model.depth
              - ../extra.yaml: [a, b.c]
            outs: [../model.npy]
            metrics: [../metrics.json]

        """

    @Test func parsesStagesInFileOrderWithRepositoryRelativePaths() throws {
        let p = try Pipeline.parse(Self.twoStages)
        #expect(p.stages.map(\.name) == ["prepare", "train"])
        let train = try #require(p.stage("train"))
        #expect(train.cmd == "python3 train.py --epochs 3")
        #expect(train.wdir == "src")
        #expect(train.deps == ["src/train.py", "data/prepared"])
        #expect(train.outs == ["model.npy"])
        #expect(train.metrics == ["metrics.json"])
        #expect(train.params.map(\.name) == ["src/params.yaml:train", "config.json:model.depth", "extra.yaml:a", "extra.yaml:b.c"])
        #expect(p.stage("prepare")?.params.map(\.name) == ["prepare.seed"])
        #expect(ParamRef(name: "config.json:model.depth") == ParamRef(file: "config.json", key: "model.depth"))
        #expect(ParamRef(name: "train.lr") == ParamRef(file: "params.yaml", key: "train.lr"))
        #expect(p.upstream(of: "train") == ["prepare"])
        #expect(try Pipeline.parse("").stages.isEmpty)
        #expect(try Pipeline.parse("# nothing yet\nstages:\n").stages.isEmpty)
        // A list of commands runs them in order.
        #expect(try Pipeline.parse("stages:\n  a:\n    cmd: [make data, make model]\n").stages[0].cmd == "make data && make model")
    }

    /// Each mistake is one line naming mlops.yaml (and the stage), with what to do.
    @Test(arguments: [
        ("stages:\n  a:\n    cmd: x\n   deps: [y]\n",
         "mlops.yaml: not valid YAML (line 4, column 4: did not find expected key); fix the syntax of mlops.yaml (see docs/lineage.md)"),
        ("stages:\n  a:\n    cmd: x\n    dep: [y]\n",
         "mlops.yaml: line 4: stage 'a' has unknown key 'dep'; known keys: cmd, deps, params, outs, metrics, wdir, plots"),
        ("stage:\n  a:\n    cmd: x\n",
         "mlops.yaml: line 1: unknown top-level key 'stage'; the top-level keys are `stages`, `checks`, `gates`, `promotion` and `version`"),
        ("stages:\n  a:\n    deps: [x]\n",
         "mlops.yaml: stage 'a': has no `cmd`; add `cmd: <command line>` to the stage"),
        ("stages:\n  a:\n    cmd: x\n    outs: [../up.bin]\n",
         "mlops.yaml: stage 'a': out '../up.bin' is outside the repository; name outputs inside the repository"),
        ("stages:\n  a:\n    cmd: x\n    outs: [/tmp/abs]\n",
         "mlops.yaml: stage 'a': out '/tmp/abs' is outside the repository; name outputs inside the repository"),
        ("stages:\n  a:\n    cmd: x\n    outs: [m.bin]\n  b:\n    cmd: y\n    outs: [m.bin]\n",
         "mlops.yaml: stages 'a' and 'b' both write 'm.bin'; give every output exactly one stage"),
        ("stages:\n  a:\n    cmd: x\n    outs: [data]\n  b:\n    cmd: y\n    outs: [data/sub]\n",
         "mlops.yaml: stages 'a' and 'b' write overlapping paths 'data' and 'data/sub'; give every output exactly one stage"),
        ("stages:\n  a:\n    cmd: x\n    deps: [c.out]\n    outs: [a.out]\n  b:\n    cmd: y\n    deps: [a.out]\n    outs: [b.out]\n  c:\n    cmd: z\n    deps: [b.out]\n    outs: [c.out]\n",
         "mlops.yaml: stages form a cycle: a -> b -> c -> a; a stage cannot depend, directly or not, on its own outputs; remove one of these deps"),
        ("stages:\n  a:\n    cmd: x\n    deps: [out/x]\n    outs: [out]\n",
         "mlops.yaml: stage 'a' depends on its own output 'out'; remove 'out/x' from its deps or 'out' from its outs"),
        ("stages:\n  a b:\n    cmd: x\n",
         "mlops.yaml: line 2: 'a b' is not a valid stage name; use letters, digits, `_`, `-` and `.` only"),
        ("stages:\n  a:\n    cmd: x\n    outs: {a: 1}\n",
         "mlops.yaml: stage 'a': `outs` must be a list of paths; write `outs: [a, b]` or one `- path` per line"),
        ("- a\n- b\n",
         "mlops.yaml: the top level must be a mapping with a `stages` key; write `stages:` followed by one entry per stage"),
    ])
    func mistakesAreOneClearLine(_ text: String, _ message: String) throws {
        let e = #expect(throws: MLOpsError.self) { try Pipeline.parse(text) }
        #expect(e?.description == message)
        #expect(e?.description.contains("\n") == false)
    }

    @Test func ordersByDependenciesThenFileOrder() throws {
        // d needs b and c; b and c need a; e is independent and declared first.
        let p = try Pipeline.parse("""
            stages:
              e: {cmd: e, outs: [e.out]}
              d: {cmd: d, deps: [b.out, c.out], outs: [d.out]}
              c: {cmd: c, deps: [a.out/part], outs: [c.out]}
              b: {cmd: b, deps: [a.out], outs: [b.out]}
              a: {cmd: a, outs: [a.out]}
            """)
        #expect(try p.order().map(\.name) == ["e", "a", "c", "b", "d"])
        #expect(try p.order(["b"]).map(\.name) == ["a", "b"])
        #expect(try p.order(["d"]).map(\.name) == ["a", "c", "b", "d"])
        #expect(p.downstream(of: "a") == ["b", "c", "d"])
        #expect(p.producer(of: "a.out/part/x")?.name == "a")
        let e = #expect(throws: MLOpsError.self) { try p.order(["zz"]) }
        #expect(e?.description == "no stage 'zz' in mlops.yaml; stages: e, d, c, b, a")
    }

    @Test func normalizesPaths() {
        #expect(Pipeline.normalize("./a/../b//c", wdir: "") == "b/c")
        #expect(Pipeline.normalize("../x", wdir: "src/sub") == "src/x")
        #expect(Pipeline.normalize("../../..", wdir: "src") == nil)
        #expect(Pipeline.normalize("/etc/passwd", wdir: "") == nil)
    }
}

@Suite struct PipelineEditorTests {
    @Test func addsAStageKeepingCommentsOrderAndLayout() throws {
        let spec = StageSpec(name: "evaluate", cmd: "python3 eval.py --split test", deps: ["eval.py", "model.npy"],
                             params: ["eval.threshold"], metrics: ["eval.json"])
        let (text, outcome) = try PipelineEditor.adding(spec, to: PipelineTests.twoStages, force: false)
        #expect(outcome == .added)
        #expect(text == PipelineTests.twoStages + """
              evaluate:
                cmd: python3 eval.py --split test
                deps:
                  - eval.py
                  - model.npy
                params:
                  - eval.threshold
                metrics:
                  - eval.json

            """)
        #expect(try Pipeline.parse(text).stages.map(\.name) == ["prepare", "train", "evaluate"])
    }

    @Test func replacesInPlaceOnlyWithForce() throws {
        let spec = StageSpec(name: "prepare", cmd: "sh prepare.sh", deps: ["prepare.sh"], outs: ["data/prepared"])
        let e = #expect(throws: MLOpsError.self) { try PipelineEditor.adding(spec, to: PipelineTests.twoStages, force: false) }
        #expect(e?.description == "stage 'prepare' already exists in mlops.yaml; pass --force to replace it, or choose another name")
        let (text, outcome) = try PipelineEditor.adding(spec, to: PipelineTests.twoStages, force: true)
        #expect(outcome == .replaced)
        #expect(text == """
            # The demo pipeline.
            stages:
              prepare:
                cmd: sh prepare.sh
                deps:
                  - prepare.sh
                outs:
                  - data/prepared
              train:   # the model

            """ + PipelineTests.twoStages.components(separatedBy: "  train:   # the model\n")[1])
    }

    @Test func startsAFileAndQuotesWhatYAMLWouldMisread() throws {
        let spec = StageSpec(name: "s", cmd: "echo 'a: b' # not a comment", deps: ["yes", "@x", "1.5"], outs: ["out dir/x"])
        let (text, _) = try PipelineEditor.adding(spec, to: nil, force: false)
        #expect(text == """
            stages:
              s:
                cmd: "echo 'a: b' # not a comment"
                deps:
                  - "yes"
                  - "@x"
                  - "1.5"
                outs:
                  - out dir/x

            """)
        let s = try Pipeline.parse(text).stages[0]
        #expect(s.cmd == spec.cmd && s.deps == ["yes", "@x", "1.5"] && s.outs == ["out dir/x"])
    }

    @Test func refusesStagesThatBreakThePipeline() throws {
        let cycle = StageSpec(name: "loop", cmd: "x", deps: ["model.npy"], outs: ["data/raw.csv"])
        let e = #expect(throws: MLOpsError.self) { try PipelineEditor.adding(cycle, to: PipelineTests.twoStages, force: false) }
        #expect(e?.description == "mlops.yaml: stages form a cycle: prepare -> train -> loop -> prepare; a stage cannot depend, directly or not, on its own outputs; remove one of these deps")
        let escape = StageSpec(name: "x", cmd: "x", outs: ["../../etc/x"])
        let e2 = #expect(throws: MLOpsError.self) { try PipelineEditor.adding(escape, to: nil, force: false) }
        #expect(e2?.description == "mlops.yaml: stage 'x': out '../../etc/x' is outside the repository; name outputs inside the repository")
        let clash = StageSpec(name: "y", cmd: "y", outs: ["model.npy"])
        let e3 = #expect(throws: MLOpsError.self) { try PipelineEditor.adding(clash, to: PipelineTests.twoStages, force: false) }
        #expect(e3?.description == "mlops.yaml: stages 'train' and 'y' both write 'model.npy'; give every output exactly one stage")
    }
}
