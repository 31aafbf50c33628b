import MLOpsBasics
import Testing
@testable import Lineage
import Yams

/// The budget of YAML and JSON documents (DocumentLimits): what it lets through and where it stops.
@Suite struct DocumentBudgetTests {
    func refusal(_ text: String, path: String = "params.yaml") -> String? {
        do {
            _ = try Values.parseDocument(text, path: path)
            return nil
        } catch {
            return "\(error)"
        }
    }

    /// `levels` levels of `width` aliases each: width^levels values once expanded.
    func bomb(levels: Int, width: Int) -> String {
        var lines = ["a0: &a0 [" + Array(repeating: "x", count: width).joined(separator: ", ") + "]"]
        for i in 1..<levels { lines.append("a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: width).joined(separator: ", ") + "]") }
        return lines.joined(separator: "\n") + "\n"
    }

    @Test func ordinaryAliasesStillWork() throws {
        let doc = try Values.parseDocument("""
            defaults: &d {lr: 0.1, epochs: 20}
            name: &n resnet
            train: *d
            model: {arch: *n}
            *n : scalar aliases are fine as keys
            """, path: "params.yaml")
        #expect(Values.lookup(doc, "train.lr") == .double(0.1))
        #expect(Values.lookup(doc, "model.arch") == .string("resnet"))
        #expect(Values.lookup(doc, "resnet") == .string("scalar aliases are fine as keys"))
    }

    @Test func expansionIsCountedUpToTheLimitAndNoFurther() throws {
        // 10^6 = 1,000,000 leaves, plus the lists above them: just over the limit.
        #expect(refusal(bomb(levels: 6, width: 10))
                == "params.yaml: line 6: more than 1000000 values once aliases are expanded; use fewer aliases (`*name`) or fewer values")
        // 10^5 leaves and their lists: within it, and expanded for real.
        let doc = try Values.parseDocument(bomb(levels: 5, width: 10), path: "params.yaml")
        func leaves(_ j: JSON) -> Int { j.array.map { $0.reduce(0) { $0 + leaves($1) } } ?? 1 }
        #expect(leaves(try #require(Values.lookup(doc, "a4"))) == 100_000)
    }

    @Test func aBombLargerThanAnyMachineFailsAtTheSameCost() {
        // 9^40 values: the walk stops at the first line past the limit, whatever follows.
        #expect(refusal(bomb(levels: 40, width: 9))?.hasPrefix("params.yaml: line 7: more than 1000000 values") == true)
    }

    @Test func nonScalarKeysAreRefusedBeforeYamsHashesThem() {
        #expect(refusal("? [a, b]\n: 1\n") == "params.yaml: line 1: a mapping key is a list or a mapping; write keys as plain names")
        #expect(refusal("{a: 1}: 2\n") == "params.yaml: line 1: a mapping key is a list or a mapping; write keys as plain names")
        #expect(refusal("x: &x [1]\ny:\n  *x : 2\n") == "params.yaml: line 3: a mapping key is a list or a mapping; write keys as plain names")
        // As a value, the same alias is fine.
        #expect(refusal("x: &x [1]\ny: *x\n") == nil)
    }

    @Test func nestingStopsAtTheLimit() {
        func nested(_ n: Int) -> String { String(repeating: "[", count: n) + String(repeating: "]", count: n) }
        #expect(refusal("a: " + nested(DocumentLimits.maxDepth - 1) + "\n") == nil)
        #expect(refusal("a: " + nested(DocumentLimits.maxDepth) + "\n") == "params.yaml: line 1: nested more than 128 levels deep; flatten the document")
        #expect(refusal("{\"a\": " + nested(DocumentLimits.maxDepth - 1) + "}", path: "m.json") == nil)
        #expect(refusal("{\"a\": " + nested(DocumentLimits.maxDepth) + "}", path: "m.json")?.contains("nested more than 128 levels deep") == true)
    }

    @Test func aliasesCannotNestPastTheLimit() throws {
        // Each anchor nests the previous one 100 levels deeper: 100 values each, 12,800 levels in all.
        func nested(_ n: Int, _ inner: String) -> String { String(repeating: "[", count: n) + inner + String(repeating: "]", count: n) }
        var text = "a0: &a0 \(nested(100, "x"))\n"
        for i in 1..<128 { text += "a\(i): &a\(i) \(nested(100, "*a\(i - 1)"))\n" }
        #expect(refusal(text) == "params.yaml: line 2: nested more than 128 levels deep once aliases are expanded; flatten the document")
        // At the limit, a record holding the document still reads back.
        let deepest = try Values.parseDocument("a: &a \(nested(63, "x"))\nb: \(nested(64, "*a"))\n", path: "params.yaml")
        let record = try RunRecord(line: JSON.object(["schema": .string(RunRecord.schema), "id": "1", "stage": "s", "cmd": "c",
                                                      "metrics": ["params.yaml": deepest]]).canonical)
        #expect(record.metrics["params.yaml"] == deepest)
    }

    @Test func sizeIsCheckedBeforeParsing() {
        let big = "a: 1\n" + String(repeating: "#\n", count: DocumentLimits.maxBytes / 2)
        #expect(refusal(big) == "params.yaml: is larger than 8 MiB, the limit for YAML and JSON documents; keep params, metrics and mlops.yaml small; store large data with `git mlops add`")
        #expect(refusal("{\"a\": \"" + String(repeating: "x", count: DocumentLimits.maxBytes) + "\"}", path: "m.json")?.hasPrefix("m.json: is larger than 8 MiB") == true)
    }

    @Test func yamlIntsReadAsYamsReadsThemWithoutItsOverflowTrap() throws {
        for text in ["0", "7", "-7", "+7", "0x1f", "-0x1f", "0b101", "0o17", "017", "1_000", "1:30", "-1:30", "190:20:30",
                     "9223372036854775807", "-9223372036854775808"] {
            #expect(Values.yamlInt(text) == Int64.construct(from: Node.Scalar(text)), "\(text)")
        }
        #expect(Values.yamlInt("1:30") == 90)
        // Base 60 past Int64: Yams traps here; the value stays a string.
        #expect(Values.yamlInt("999999999999999999:00") == nil)
        #expect(Values.yamlInt("1:0:0:0:0:0:0:0:0:0:0:0") == nil)
        #expect(Values.yamlInt("9223372036854775808") == nil)
        let doc = try Values.parseDocument("a: 999999999999999999:00\nb: 1:30\n", path: "params.yaml")
        #expect(doc == ["a": "999999999999999999:00", "b": 90])
    }

    @Test func stageAddEditsFilesWithOtherLineBreaks() throws {
        let spec = StageSpec(name: "new", cmd: "x", outs: ["new.out"])
        // CRLF, with a blank line between stages: edited in place, comments kept.
        let crlf = "stages:\r\n  a:\r\n    cmd: x\r\n    outs: [a.out]\r\n\r\n  # b next\r\n  b:\r\n    cmd: y\r\n    outs: [b.out]\r\n"
        let (edited, _) = try PipelineEditor.adding(spec, to: crlf, force: false)
        #expect(edited == crlf + "  new:\r\n    cmd: x\r\n    outs:\r\n      - new.out\r\n")
        #expect(try Pipeline.parse(edited).stages.map(\.name) == ["a", "b", "new"])
        // A lone CR (a line break for YAML, not for the editor's lines) and NEL: rewritten whole.
        for odd in ["stages:\n  a:\n    cmd: x\n\r\n    outs: [a.out]\n\r  b:\n    cmd: y\n", "stages:\u{85}  a:\u{85}    cmd: x\n"] {
            let (text, _) = try PipelineEditor.adding(spec, to: odd, force: false)
            #expect(try Pipeline.parse(text).stages.map(\.name) == (try Pipeline.parse(odd).stages.map(\.name)) + ["new"])
        }
    }

    @Test func mlopsYamlIsBudgetedToo() {
        let e = #expect(throws: MLOpsError.self) { try Pipeline.parse("stages:\n  ? [a]\n  : {cmd: x}\n") }
        #expect(e?.description == "mlops.yaml: line 2: a mapping key is a list or a mapping; write keys as plain names")
        let many = "stages:\n" + (0...Pipeline.maxStages).map { "  s\($0): {cmd: x}\n" }.joined()
        let m = #expect(throws: MLOpsError.self) { try Pipeline.parse(many) }
        #expect(m?.description == "mlops.yaml: declares more than 2000 stages or 20000 deps, params and outputs; declare fewer: a directory can be one dep or output")
    }

    @Test func aLongChainOfStagesOrdersWithoutRecursion() throws {
        // Stage i depends on stage i-1's output, declared in reverse order.
        let n = Pipeline.maxStages
        let text = "stages:\n" + (0..<n).reversed().map { i in
            "  s\(i):\n    cmd: x\n    outs: [o\(i)]\n" + (i > 0 ? "    deps: [o\(i - 1)]\n" : "")
        }.joined()
        let p = try Pipeline.parse(text)
        #expect(try p.order().map(\.name) == (0..<n).map { "s\($0)" })
        #expect(p.downstream(of: "s\(n - 2)") == ["s\(n - 1)"])
        #expect(p.upstream(of: "s1") == ["s0"])
        let cyclic = text.replacingOccurrences(of: "  s0:\n    cmd: x\n    outs: [o0]\n", with: "  s0:\n    cmd: x\n    outs: [o0]\n    deps: [o\(n - 1)]\n")
        let e = #expect(throws: MLOpsError.self) { try Pipeline.parse(cyclic) }
        #expect(e?.description.hasPrefix("mlops.yaml: stages form a cycle: s\(n - 1) -> s0 -> s1") == true)
    }
}
