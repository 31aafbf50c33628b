import Lineage
import MLOpsBasics
@testable import Report
import Testing

@Suite struct PlotDataTests {
    static func table(_ text: String, _ path: String) throws -> PlotData.Table { try PlotData.parse(Array(text.utf8), path: path) }

    @Test func readsCSVAndTSVAsDVCDoes() throws {
        let t = try Self.table("epoch,loss,\"name, quoted\"\r\n1,0.5,\"a \"\"b\"\"\"\r\n2,0.25,c\n\n", "loss.csv")
        #expect(t.fields == ["epoch", "loss", "name, quoted"])
        #expect(t.rows == [["epoch": 1, "loss": 0.5, "name, quoted": "a \"b\""], ["epoch": 2, "loss": 0.25, "name, quoted": "c"]])
        #expect(t.ordered)
        let spaced = try Self.table("x, \"y z\"\n 1 , \"q\"\n", "s.csv")
        #expect(spaced.fields == ["x", "y z"] && spaced.rows == [["x": 1, "y z": "q"]])
        let tsv = try Self.table("x\ty\n1\t2\n", "p.tsv")
        #expect(tsv.rows == [["x": 1, "y": 2]])
        #expect(throws: PlotData.Problem.self) { try Self.table("a,b\n1\n", "bad.csv") }
        #expect(throws: PlotData.Problem.self) { try Self.table("a\n\"open\n", "bad.csv") }
        #expect(throws: PlotData.Problem.self) { try Self.table("", "empty.csv") }
        #expect(throws: PlotData.Problem.self) { try PlotData.parse([0xff, 0xfe], path: "x.csv") }
        #expect(throws: PlotData.Problem.self) { try Self.table("a,b\n", "x.png") }
    }

    @Test func readsJSONAndYAMLListsOfPoints() throws {
        let top = try Self.table(#"[{"fpr": 0, "tpr": 0}, {"fpr": 0.5, "tpr": 0.8, "nested": {"x": 1}}]"#, "roc.json")
        #expect(top.fields == ["fpr", "tpr"] && top.rows.count == 2 && !top.ordered)
        let keyed = try Self.table(#"{"meta": 3, "train": [{"step": 0, "loss": 1}, {"step": 1, "loss": 0.5}]}"#, "dvclive.json")
        #expect(keyed.rows == [["step": 0, "loss": 1], ["step": 1, "loss": 0.5]])
        let yaml = try Self.table("- {x: 1, y: 2}\n- {x: 2, y: 3}\n", "p.yaml")
        #expect(yaml.rows == [["x": 1, "y": 2], ["x": 2, "y": 3]])
        #expect(throws: PlotData.Problem.self) { try Self.table("{\"a\": 1}", "p.json") }
        #expect(throws: PlotData.Problem.self) { try Self.table("[1, 2]", "p.json") }
        #expect(throws: PlotData.Problem.self) { try Self.table("{not json", "p.json") }
    }

    static func figure(_ spec: PlotSpec, _ files: [(String, String)]) -> PlotFigure {
        PlotData.figure(stage: "train", spec: spec, revisions: files.map { label, text in
            PlotData.Revision(label: label, table: Result { try PlotData.parse(Array(text.utf8), path: spec.path) }.mapError { $0 as! PlotData.Problem })
        })
    }

    /// Without `x` and `y`: the row number against the last column, one series per revision.
    @Test func linePlotsDefaultToDVCsFields() throws {
        let f = Self.figure(PlotSpec(path: "loss.csv"), [("A", "epoch,acc,loss\n1,0.5,0.9\n2,0.6,0.7\n"), ("B", "epoch,acc,loss\n1,0.5,0.8\n")])
        guard case .xy(let scatter, let series) = f.body else { Issue.record("not a line plot"); return }
        #expect(!scatter && f.problems.isEmpty)
        #expect(series.map(\.label) == ["A", "B"])
        #expect(series[0].points.map(\.x) == [0, 1] && series[0].points.map(\.y) == [0.9, 0.7])
        #expect(f.xLabel == "step" && f.yLabel == "loss" && f.title == "loss.csv")
    }

    @Test func namedFieldsScatterAndCategories() throws {
        let spec = PlotSpec(path: "p.json", template: .scatter, x: "fpr", y: ["tpr", "thr"], title: "ROC")
        let f = Self.figure(spec, [("B", #"[{"fpr": 0, "tpr": 0, "thr": 1}, {"fpr": 1, "tpr": 1, "thr": "x"}]"#)])
        guard case .xy(true, let series) = f.body else { Issue.record("not a scatter plot"); return }
        #expect(series.map(\.label) == ["B: tpr", "B: thr"])
        #expect(series[1].points.count == 1)
        #expect(f.problems == ["p.json at B: 1 of 2 rows have no number in 'thr'"])
        let cats = Self.figure(PlotSpec(path: "c.csv", x: "class", y: ["f1"]), [("A", "class,f1\ncat,0.5\ndog,0.7\n")])
        guard case .xy(_, let cs) = cats.body else { Issue.record("not a line plot"); return }
        #expect(cs[0].xCategories == ["cat", "dog"] && cs[0].points.map(\.x) == [0, 1])
    }

    /// A malformed or unsuitable file is a problem shown with the plot, never a failure.
    @Test func malformedFilesBecomeProblems() {
        let f = Self.figure(PlotSpec(path: "p.json", y: ["loss"]), [("A", "{broken"), ("B", #"[{"step": 1}]"#)])
        #expect(f.problems == ["p.json at A: not valid JSON", "p.json at B: no field 'loss' (fields: step)"])
        guard case .xy(_, let series) = f.body else { Issue.record("not a line plot"); return }
        #expect(series.isEmpty)
        let ambiguous = Self.figure(PlotSpec(path: "p.json"), [("A", #"[{"a": 1, "b": 2}]"#)])
        #expect(ambiguous.problems == ["p.json at A: name the field to draw with `y:` in mlops.yaml (fields: a, b)"])
        let missing = PlotData.figure(stage: "s", spec: PlotSpec(path: "p.csv"), revisions: [PlotData.Revision(label: "A", table: nil)])
        #expect(missing.problems.isEmpty)
    }

    @Test func confusionMatrixCountsLabelPairs() throws {
        let csv = "actual,predicted\ncat,cat\ncat,dog\ndog,dog\ndog,dog\nbird,cat\n"
        let f = Self.figure(PlotSpec(path: "c.csv", template: .confusion), [("B", csv)])
        guard case .confusion(false, let ms) = f.body else { Issue.record("not a confusion matrix"); return }
        let m = try #require(ms.first)
        #expect(m.columns == ["bird", "cat", "dog"] && m.rows == m.columns)
        // rows: predicted; columns: actual.
        #expect(m.counts == [[0, 0, 0], [1, 1, 0], [0, 1, 2]])
        // Numeric labels sort as numbers.
        let n = Self.figure(PlotSpec(path: "n.json", template: .confusionNormalized, x: "y_true", y: ["y_pred"]),
                            [("A", #"[{"y_true": 10, "y_pred": 2}, {"y_true": 2, "y_pred": 2}]"#)])
        guard case .confusion(true, let nm) = n.body else { Issue.record("not normalized"); return }
        #expect(nm.first?.columns == ["2", "10"])
        let bad = Self.figure(PlotSpec(path: "c.csv", template: .confusion), [("A", "a,b\n1,2\n")])
        #expect(bad.problems == ["c.csv at A: no field 'actual' (fields: a, b); name the label fields with `x:` and `y:`"])
    }

    @Test func longSeriesAreThinned() {
        let pts = (0..<5001).map { (x: Double($0), y: Double($0)) }
        let (kept, dropped) = PlotData.thin(pts)
        #expect(kept.count <= PlotData.maxPoints + 1 && kept.count + dropped == 5001)
        #expect(kept.first?.x == 0 && kept.last?.x == 5000)
    }
}
