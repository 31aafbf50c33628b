import Foundation
import Lineage
import MLOpsBasics
import Testing

@Suite struct SpecTests {
    @Test func theIssuesExampleParses() throws {
        let spec = try ValidationSpec.parse("""
            version: 2
            stages:
              train: {cmd: python3 train.py}
            checks:
              data/train.csv:
                rows: {min: 1000, max: 10000000}
                columns:
                  age: {type: int, not_null: true, min: 0, max: 120}
                  country: {type: string, allowed: [US, DE, FR], max_null_fraction: 0.01}
                  id: {unique: true}
                schema: schemas/train.json
                cmd: python3 checks/extra.py
                drift: {against: train, max_psi: 0.2, max_ks: 0.1, severity: error}
              data/prepared/*.csv:
                severity: warn
                rows: {min: 1}
            gates:
              metrics.json:
                accuracy: {min: 0.9}
                rmse: {max_increase: 0.01, baseline: previous}
                loss: {max_decrease: "2%", baseline: v1.0, severity: warn}
            """)
        #expect(spec.checks.count == 2)
        let c = spec.checks[0]
        #expect(c.target == "data/train.csv" && c.line == 5 && c.minRows == 1000 && c.maxRows == 10_000_000)
        #expect(c.columns.map(\.name) == ["age", "country", "id"])
        #expect(c.columns[0].type == "int" && c.columns[0].notNull && c.columns[0].min == 0 && c.columns[0].max == 120)
        #expect(c.columns[1].allowed == ["US", "DE", "FR"] && c.columns[1].maxNullFraction == 0.01)
        #expect(c.columns[2].unique)
        #expect(c.schema == "schemas/train.json" && c.cmd == "python3 checks/extra.py")
        #expect(c.drift?.against == "train" && c.drift?.maxPSI == 0.2 && c.drift?.maxKS == 0.1 && c.drift?.severity == .error)
        #expect(spec.checks[1].isGlob && spec.checks[1].severity == .warn)
        let g = spec.gates[0].gates
        #expect(g[0].metric == "accuracy" && g[0].min == 0.9 && g[0].baseline == .previous)
        #expect(g[1].maxIncrease == .absolute(0.01))
        #expect(g[2].maxDecrease == .relative(0.02) && g[2].baseline == .named("v1.0") && g[2].severity == .warn)
        // The pipeline parser reads the same file, skipping the two sections.
        #expect(try Pipeline.parse("version: 2\nstages:\n  a: {cmd: x}\nchecks:\n  a.csv: {rows: {min: 1}}\n").stages.count == 1)
    }

    @Test func thresholds() {
        #expect(Threshold.parse(.double(0.5)) == .absolute(0.5))
        #expect(Threshold.parse(.int(2)) == .absolute(2))
        #expect(Threshold.parse(.string("2%")) == .relative(0.02))
        #expect(Threshold.parse(.string(" 0.5 % ")) == .relative(0.005))
        #expect(Threshold.parse(.string("2")) == nil)
        #expect(Threshold.parse(.double(-1)) == nil)
        #expect(Threshold.parse(.string("-3%")) == nil)
        #expect(Threshold.parse(.bool(true)) == nil)
        #expect(Threshold.relative(0.02).limit(from: -50) == 1)
        #expect(Threshold.relative(0.02).description == "2%")
    }

    @Test(arguments: [
        ("checks:\n  a.csv:\n    colums: {}\n",
         "mlops.yaml: line 3: the checks of 'a.csv' have unknown key 'colums'; known keys: rows, columns, schema, cmd, drift, severity"),
        ("checks:\n  a.csv:\n    columns:\n      age: {min: zero}\n",
         "mlops.yaml: line 4: min must be a number; write a number, e.g. `min: 0`"),
        ("checks:\n  a.csv:\n    columns:\n      age: {type: integer}\n",
         "mlops.yaml: line 4: column 'age': unknown type 'integer'; use one of int, float, number, string, bool, datetime"),
        ("checks:\n  ../etc/passwd: {rows: {min: 1}}\n",
         "mlops.yaml: line 2: checks target '../etc/passwd' is outside the working tree; name a path inside the repository, relative to its root"),
        ("checks:\n  a.csv:\n    drift: {max_psi: 0.1}\n",
         "mlops.yaml: line 3: `drift` needs `against`; write `drift: {against: STAGE, max_psi: 0.2, max_ks: 0.1}`"),
        ("gates:\n  m.json:\n    acc: {max_increase: 2%%}\n",
         "mlops.yaml: line 3: `max_increase` of 'acc' must be a non-negative number or a percentage; write `max_increase: 0.01` or `max_increase: \"2%\"`"),
        ("gates:\n  m.json:\n    acc: {baseline: previous}\n",
         "mlops.yaml: line 3: the gate of 'acc' sets no limit; write `acc: {min: 0.9}`, `{max: 0.1}`, `{max_increase: 0.01}` or `{max_decrease: \"2%\"}`"),
        ("gates:\n  m.json:\n    acc: {min: 1, severity: fatal}\n",
         "mlops.yaml: line 3: `severity` must be `error` or `warn`; write `severity: warn` to report without failing"),
        ("checks:\n  a.csv:\n    columns:\n      c: {allowed: US}\n",
         "mlops.yaml: line 4: column 'c': `allowed` must be a list of values; write `allowed: [US, DE, FR]`"),
    ])
    func malformedBlocksNameTheLineAndTheFix(text: String, message: String) {
        #expect(throws: MLOpsError.self) { try ValidationSpec.parse(text) }
        do { _ = try ValidationSpec.parse(text) } catch { #expect("\(error)" == message) }
    }

    @Test func versions() throws {
        #expect(throws: Never.self) { try Pipeline.parse("version: 1\nstages:\n  a: {cmd: x}\n") }
        do {
            _ = try Pipeline.parse("version: 3\nstages:\n  a: {cmd: x}\n")
            Issue.record("a newer format is refused")
        } catch {
            #expect("\(error)" == "mlops.yaml: written for format version 3; this git-mlops reads up to 2; upgrade git-mlops")
        }
        #expect(throws: MLOpsError.self) { try Pipeline.parse("version: two\nstages: {}\n") }
    }
}
