import Lineage
import MLOpsBasics
import Testing

/// The `plots` entry of a stage in mlops.yaml.
@Suite struct PlotSpecTests {
    @Test func parsesDVCsForms() throws {
        let p = try Pipeline.parse("""
            stages:
              train:
                cmd: python3 train.py
                wdir: src
                outs: [../model.npy]
                plots:
                  - loss.csv
                  - ../eval/roc.json: {x: fpr, y: tpr, template: scatter, title: ROC, x_label: FPR, y_label: TPR}
                  - ../eval/classes.csv:
                      template: confusion
                      x: actual
                      y: predicted
                  - multi.tsv: {y: [train, test]}
                  - bare.yaml:
              other:
                cmd: x
                plots: single.csv
            """)
        let train = try #require(p.stage("train"))
        #expect(train.plots.map(\.path) == ["src/loss.csv", "eval/roc.json", "eval/classes.csv", "src/multi.tsv", "src/bare.yaml"])
        #expect(train.plots[0] == PlotSpec(path: "src/loss.csv"))
        #expect(train.plots[1] == PlotSpec(path: "eval/roc.json", template: .scatter, x: "fpr", y: ["tpr"], title: "ROC", xLabel: "FPR", yLabel: "TPR"))
        #expect(train.plots[2].template == .confusion && train.plots[2].x == "actual" && train.plots[2].y == ["predicted"])
        #expect(train.plots[3].y == ["train", "test"])
        #expect(train.spec.plots[0].path == "loss.csv", "the spec keeps the path as written")
        #expect(p.stage("other")?.plots == [PlotSpec(path: "single.csv")])
        // Plots are not outputs: they do not count as writes.
        #expect(train.writes == ["model.npy"])
    }

    /// Each mistake is one line naming mlops.yaml, the stage and the fix.
    @Test(arguments: [
        ("plots: {a: 1}", "mlops.yaml: stage 'a': `plots` must be a list of files; write `plots: [loss.csv]` or `- FILE: {x: epoch, y: loss, template: linear}`"),
        ("plots: [{p.csv: {template: pie}}]", "mlops.yaml: stage 'a': plot 'p.csv': unknown template 'pie'; use one of linear, simple, smooth, scatter, confusion, confusion_normalized"),
        ("plots: [{p.csv: {colour: red}}]", "mlops.yaml: stage 'a': plot 'p.csv' has unknown property 'colour'; known properties: template, x, y, title, x_label, y_label"),
        ("plots: [{p.csv: {x: [a]}}]", "mlops.yaml: stage 'a': plot 'p.csv': `x` must be text; write `x: VALUE`"),
        ("plots: [p.csv, p.csv]", "mlops.yaml: stage 'a': plot 'p.csv' is listed twice; keep one entry per file"),
        ("plots: [../../p.csv]", "mlops.yaml: stage 'a': plots file '../../p.csv' is outside the repository; name paths inside the repository"),
        ("plots: [.git/config]", "mlops.yaml: stage 'a': plots file '.git/config' is inside .git; name a path of the working tree"),
        ("plots: [{a.csv: x, b.csv: y}]", "mlops.yaml: stage 'a': each `plots` entry must be a file, or one `FILE:` with its properties; write `plots: [loss.csv]` or `- FILE: {x: epoch, y: loss, template: linear}`"),
        ("plots: [{p.csv: [x]}]", "mlops.yaml: stage 'a': the properties of plot 'p.csv' must be a mapping; write `plots: [loss.csv]` or `- FILE: {x: epoch, y: loss, template: linear}`"),
    ])
    func mistakesAreOneLine(yaml: String, message: String) {
        do {
            _ = try Pipeline.parse("stages:\n  a:\n    cmd: x\n    \(yaml)\n")
            Issue.record("accepted: \(yaml)")
        } catch {
            #expect("\(error)" == message)
        }
    }
}
