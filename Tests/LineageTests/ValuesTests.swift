import MLOpsBasics
import Testing
@testable import Lineage

@Suite struct ValuesTests {
    @Test func yamlScalarsBecomeTypedValues() throws {
        let doc = try Values.parseDocument("""
            train:
              lr: 0.05
              epochs: 20
              name: resnet
              quoted: "20"
              on: true
              none: ~
            layers: [{units: 8}, {units: 4}]
            """, path: "params.yaml")
        #expect(Values.lookup(doc, "train.lr") == .double(0.05))
        #expect(Values.lookup(doc, "train.epochs") == .int(20))
        #expect(Values.lookup(doc, "train.quoted") == .string("20"))
        #expect(Values.lookup(doc, "train.on") == .bool(true))
        #expect(Values.lookup(doc, "train.none") == .null)
        #expect(Values.lookup(doc, "layers.1.units") == .int(4))
        #expect(Values.lookup(doc, "train.missing") == nil)
        #expect(Values.lookup(doc, "") == doc)
        #expect(Values.flatten(try #require(Values.lookup(doc, "layers"))).map(\.key) == ["0.units", "1.units"])
        let set = Values.setting(doc, "train.lr", to: 0.5)
        #expect(Values.lookup(set, "train.lr") == .double(0.5) && Values.lookup(set, "train.epochs") == .int(20))
        #expect(Values.lookup(Values.setting(.object([:]), "a.b", to: 1), "a.b") == .int(1))
    }

    @Test func badDocumentsNameTheFile() {
        let e = #expect(throws: MLOpsError.self) { try Values.parseDocument("{\"a\": 1,}", path: "metrics.json") }
        #expect(e?.description == "metrics.json: not valid JSON (invalid JSON at byte 8: expected a key); fix the syntax of metrics.json")
        let y = #expect(throws: MLOpsError.self) { try Values.parseDocument("a: [1, 2\n", path: "params.yaml") }
        #expect(y?.description.hasPrefix("params.yaml: not valid YAML (line 2, column 1:") == true)
    }

    @Test func numbersReadLikePeopleWriteThem() {
        #expect(Values.formatDelta(0.93 - 0.91) == "+0.02")
        #expect(Values.formatDelta(-3) == "-3")
        #expect(Values.display(.double(20)) == "20")
        #expect(Values.display(.double(0.1)) == "0.1")
        #expect(Values.display(nil) == "-")
        let rows = Compare.metrics(["m.json": ["acc": 0.91, "loss": 0.3, "name": "a"]], ["m.json": ["acc": 0.93, "loss": 0.3, "name": "b"]], all: false)
        #expect(Compare.metricsTable(rows, "HEAD", "workspace") == """
            file    metric  HEAD  workspace  change
            m.json  acc     0.91  0.93       +0.02
            m.json  name    a     b          changed

            """)
    }
}

