import Foundation
import MLOpsBasics
@testable import Monitoring
import Testing
import TestSupport

@Suite struct OpenMetricsTests {
    @Test func labelValuesEscapeBackslashQuoteAndLineEndsOnly() {
        #expect(OpenMetrics.escape(#"a"b\c"# + "\nd") == #"a\"b\\c\nd"#)
        #expect(OpenMetrics.escape("plain é 日本 {x=1},") == "plain é 日本 {x=1},")
        #expect(OpenMetrics.escape("") == "")
        #expect(OpenMetrics.escape("\\n") == "\\\\n", "a backslash before n is a backslash, not a line end")
    }

    @Test func textHasTypeUnitHelpAndSamplesPerFamilyAndEndsWithEOF() {
        var latency = OpenMetrics.Family(name: "mlops_latency_p99_seconds", help: "Latency quantile 99.", unit: "seconds")
        latency.samples = [.init(labels: [("model", "m\"1"), ("version", "v1.0.0")], value: 0.25)]
        var psi = OpenMetrics.Family(name: "mlops_feature_psi", help: "PSI\nof a feature \\ x.")
        psi.samples = [.init(labels: [("model", "m"), ("feature", "a\nb")], value: 3), .init(labels: [("model", "m"), ("feature", "c")], value: 1e-7)]
        let empty = OpenMetrics.Family(name: "mlops_rmse", help: "none")
        #expect(OpenMetrics.text([latency, empty, psi]) == """
            # TYPE mlops_latency_p99_seconds gauge
            # UNIT mlops_latency_p99_seconds seconds
            # HELP mlops_latency_p99_seconds Latency quantile 99.
            mlops_latency_p99_seconds{model="m\\"1",version="v1.0.0"} 0.25
            # TYPE mlops_feature_psi gauge
            # HELP mlops_feature_psi PSI\\nof a feature \\\\ x.
            mlops_feature_psi{model="m",feature="a\\nb"} 3
            mlops_feature_psi{model="m",feature="c"} 1e-07
            # EOF

            """)
        #expect(OpenMetrics.text([]) == "# EOF\n")
    }

    static func snapshot(figures: [Figure], stage: String? = "production") -> Snapshot {
        var json: [String: JSON] = [
            "schema": .string(Snapshot.schema), "id": "0123456789abcdef", "model": "churn", "version": "v1.2.0",
            "commit": .string(String(repeating: "a", count: 40)), "at": "2026-12-03T18:00:00.000Z",
            "window": ["index": 1, "records": 500, "malformed": 0, "inputs": ["live.csv"], "started": "", "ended": "", "follow": false],
            "figures": .array(figures.map(\.json)),
        ]
        if let stage { json["stage"] = .string(stage) }
        return Snapshot(json: .object(json))!
    }

    @Test func familiesOfASnapshotCarryModelVersionStageAndFeatureOrClass() throws {
        let figures = [
            Figure.judged(.feature, "psi", feature: "plan \"b\"", value: 0.5, limit: .init(max: 0.2)),
            Figure.judged(.performance, "accuracy", value: 0.9, limit: .init(min: 0.8)),
            Figure.judged(.performance, "precision", cls: "a\\b", value: 0.75, limit: nil),
            Figure.judged(.service, "latency_p99", value: 250, limit: nil),
            Figure(group: .feature, name: "psi", feature: "d", value: nil, verdict: .skipped, note: "no live values"),
        ]
        let s = Self.snapshot(figures: figures)
        let text = OpenMetrics.text(OpenMetrics.families(s, records: 1500, windows: 3))
        let base = #"model="churn",version="v1.2.0",stage="production""#
        #expect(text.contains("\nmlops_monitor_records{\(base)} 1500\n"))
        #expect(text.contains("\nmlops_monitor_windows{\(base)} 3\n"))
        #expect(text.contains("\nmlops_monitor_alerts{\(base)} 1\n"))
        #expect(text.contains(#"mlops_monitor_alert{\#(base),figure="feature plan \"b\" psi"} 1"#))
        #expect(text.contains(#"mlops_monitor_alert{\#(base),figure="accuracy"} 0"#))
        #expect(text.contains(#"mlops_feature_psi{\#(base),feature="plan \"b\""} 0.5"#))
        #expect(text.contains(#"mlops_class_precision_ratio{\#(base),class="a\\b"} 0.75"#))
        #expect(text.contains("# UNIT mlops_latency_p99_seconds seconds\n"))
        #expect(text.contains("mlops_latency_p99_seconds{\(base)} 0.25\n"), "milliseconds become seconds")
        #expect(!text.contains(#"feature="d""#), "a figure without a value has no sample")
        #expect(text.contains("mlops_monitor_window_end_timestamp_seconds{\(base)} 1796320800\n"))
        #expect(text.hasSuffix("\n# EOF\n"))
        // Every family once, its samples together, every name with the prefix.
        var names: [String] = []
        for line in text.split(separator: "\n") where line.hasPrefix("# TYPE ") { names.append(String(line.split(separator: " ")[2])) }
        #expect(names.count == Set(names).count && names.allSatisfy { $0.hasPrefix("mlops_") })
        // Without a stage there is no stage label.
        let noStage = OpenMetrics.text(OpenMetrics.families(Self.snapshot(figures: figures, stage: nil), records: 1, windows: 1))
        #expect(!noStage.contains("stage=") && noStage.contains(#"{model="churn",version="v1.2.0"}"#))
    }

    @Test func theFileIsReplacedWholeAndAMissingDirectoryIsOneClearError() throws {
        let dir = TempDir()
        let path = dir.path + "/model.prom"
        try OpenMetrics.write("# TYPE a gauge\n# EOF\n", to: path)
        try OpenMetrics.write("# EOF\n", to: path)
        #expect(try FS.readText(path) == "# EOF\n")
        #expect(try FS.listDirectory(dir.path).map(\.name) == ["model.prom"], "no temporary file is left beside it")
        #expect(throws: MLOpsError.self) { try OpenMetrics.write("# EOF\n", to: dir.path + "/missing/model.prom") }
    }

    @Test func aSnapshotRoundTripsThroughItsNoteLineAndHostileLinesAreNotSnapshots() throws {
        let s = Self.snapshot(figures: [.judged(.performance, "accuracy", value: 0.5, limit: .init(min: 0.8))])
        let back = try #require(Snapshot(json: try JSON.parse(s.line)))
        #expect(back == s)
        #expect(back.isAlert && back.alerts.map(\.alertText) == ["accuracy 0.5 < 0.8"])
        #expect(!s.line.contains("\n"))
        for hostile in [#"{"schema":"https://git-mlops.dev/spec/run/v1","id":"x"}"#, #"{"schema":"https://git-mlops.dev/spec/monitor/v1"}"#,
                        #"{"schema":"https://git-mlops.dev/spec/monitor/v1","id":1,"model":"m","version":"v","commit":"c","at":"t","window":{}}"#, "[1,2]"] {
            #expect(Snapshot(json: try JSON.parse(hostile)) == nil, "\(hostile)")
        }
        // Figures that do not hold what a figure must are dropped, the rest kept.
        var o = try JSON.parse(s.line).object!
        o["figures"] = [["figure": "psi"], ["figure": "psi", "group": "feature", "verdict": "maybe"], s.figures[0].json]
        #expect(Snapshot(json: .object(o))?.figures == s.figures)
    }
}
