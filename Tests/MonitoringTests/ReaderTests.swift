import Foundation
import MLOpsBasics
@testable import Monitoring
import Profiling
import Testing
import TestSupport

/// The live readers on hostile and awkward input: every record read once, whole or not at all,
/// whatever the pieces the bytes arrive in.
@Suite struct ReaderTests {
    /// A training table: `age` numeric, `city` categorical, `label` the target.
    static func plan(_ settings: MonitorSettings = MonitorSettings()) throws -> Plan {
        let dir = TempDir()
        var csv = "age,city,label\n"
        for i in 0..<300 { csv += "\(20 + i % 50),\(["paris", "rome", "oslo"][i % 3]),\(i % 2)\n" }
        try FS.writeAtomic(dir.path + "/train.csv", csv)
        return try Plan(profile: try Profiler.profile(file: dir.path + "/train.csv"), settings: settings)
    }

    /// Reads `text` through a reader in pieces of `piece` bytes (0: all at once).
    static func read(_ text: String, name: String, plan: Plan, piece: Int = 0, atEOF: Bool = true) -> (Window, [String], Int) {
        var messages: [String] = []
        let notices = Notices { messages.append($0) }
        let collector = Collector(plan: plan, limit: nil)
        let bytes = Array(text.utf8)
        var reader = RecordReader(name: name, format: LiveFormat.detect(name: name, firstBytes: Array(bytes.prefix(64))),
                                  plan: plan, notices: notices, collector: collector)
        var held: [UInt8] = []
        var i = 0
        let step = piece == 0 ? max(bytes.count, 1) : piece
        repeat {
            let end = min(bytes.count, i + step)
            held += bytes[i..<end]
            i = end
            let last = i >= bytes.count && atEOF
            let used = held.withUnsafeBytes { reader.consume($0, atEOF: last) }
            held.removeFirst(min(used, held.count))
        } while i < bytes.count
        return (collector.rollCurrent().0, messages, held.count)
    }

    @Test func csvAndJSONLinesGiveTheSameWindowWhateverThePiecesTheBytesComeIn() throws {
        let plan = try Self.plan()
        var csv = "age,city,prediction,label,latency_ms,error\r\n"
        var jsonl = ""
        for i in 0..<200 {
            let city = i % 7 == 0 ? "\"new, york\"" : ["paris", "rome"][i % 2]
            csv += "\(30 + i % 10),\(city),\(i % 2),\(i % 3 == 0 ? 1 : 0),\(Double(i) / 10),\(i == 5 ? "true" : "false")\r\n"
            let jcity = i % 7 == 0 ? "new, york" : ["paris", "rome"][i % 2]
            jsonl += #"{"age": \#(30 + i % 10), "city": "\#(jcity)", "prediction": \#(i % 2), "label": \#(i % 3 == 0 ? 1 : 0), "latency_ms": \#(Double(i) / 10), "error": \#(i == 5)}"# + "\n"
        }
        for (text, name) in [(csv, "live.csv"), (jsonl, "live.jsonl")] {
            let (whole, messages, _) = Self.read(text, name: name, plan: plan)
            #expect(messages == [], "\(name)")
            #expect(whole.records == 200 && whole.malformed == 0)
            #expect(whole.features[0].present == 200 && whole.features[1].present == 200)
            #expect(whole.features[1].count(of: "new, york") == 29 && whole.features[1].count(of: "paris") == 85)
            #expect(whole.classes.pairs == 200 && whole.latency.n == 200 && whole.errors == 1 && whole.errorsSeen == 200)
            for piece in [1, 3, 17, 4096] {
                let (w, m, held) = Self.read(text, name: name, plan: plan, piece: piece)
                #expect(held == 0 && m == [])
                #expect(w.records == whole.records && w.classes.correct == whole.classes.correct, "\(name) in pieces of \(piece)")
                #expect(w.features[1].items.map(\.label) == whole.features[1].items.map(\.label))
                #expect(w.features[0].sketch.sortedView.values == whole.features[0].sketch.sortedView.values)
            }
        }
    }

    @Test func missingAndExtraColumnsNonNumbersAndBadRecordsGetOneMessageEach() throws {
        let plan = try Self.plan()
        // No `city` column, an extra `session` column, a word in `age`, a short row, a quote in a field.
        let csv = "age,session,prediction\n31,a,1\nthirty,b,0\n32,c\n33,d\"x,1\nforty,e,1\n34,f,0\n"
        let (w, messages, _) = Self.read(csv, name: "live.csv", plan: plan)
        #expect(messages == [
            "live.csv: column 'session' is neither a feature of the model nor a column `monitor.columns` names; ignored",
            "live.csv: no column for feature 'city', which the training data has; counted as missing (an alert)",
            "live.csv:3: feature 'age' has 'thirty', not a number (its training values are numbers); counted as invalid (further ones are only counted)",
            "live.csv:4: the row has 2 fields, the header 3; record skipped (further unreadable records are only counted)",
        ])
        #expect(w.records == 4 && w.malformed == 2)
        #expect(w.features[0].invalid == 2 && w.features[0].present == 2)
        #expect(w.features[1].keySeen == 0 && w.features[1].missing == 4)
        let figures = Evaluate.figures(w)
        let city = figures.first { $0.feature == "city" && $0.name == "missing" }
        #expect(city?.verdict == .alert && city?.note == "not in the live records", "a missing feature column is an alert")
        #expect(figures.first { $0.name == "malformed" }?.verdict == .alert)
    }

    @Test func badJSONLinesAreSkippedWholeAndNamedOnce() throws {
        let plan = try Self.plan()
        let jsonl = """
            {"age": 30, "city": "rome"}
            {"age": 31, "city": "rome", "age": 32}
            {"age": 33, "city": "ro
            not json
            [1, 2]
            {"age": "34", "city": "r\\u00f4me", "extra": {"nested": [1, {"a": null}]}, "label": null}

            {"age": true, "city": null}
            """
        let (w, messages, _) = Self.read(jsonl, name: "live.jsonl", plan: plan)
        #expect(messages == [
            "live.jsonl:2: invalid JSON at byte 29 of the line: key \"age\" appears twice; record skipped (further unreadable records are only counted)",
            "live.jsonl:6: column 'extra' is neither a feature of the model nor a column `monitor.columns` names; ignored (said once)",
            "live.jsonl:8: feature 'age' has 'true', not a number (its training values are numbers); counted as invalid (further ones are only counted)",
        ])
        #expect(w.records == 3 && w.malformed == 4, "nothing of a bad line reaches the window")
        #expect(w.features[0].present == 2 && w.features[0].invalid == 1, "a number in a string is a number")
        #expect(w.features[1].count(of: "rôme") == 1 && w.features[1].count(of: "rome") == 1 && w.features[1].missing == 1)
        #expect(w.labelsSeen == 0)
    }

    /// Escaped keys and values are unescaped into the reader's scratch buffer; an escaped key, or the
    /// strings of a nested value, must not shift the values kept there for the record.
    @Test func escapedKeysAndValuesKeepTheirPlaceInTheScratchBuffer() throws {
        let plan = try Self.plan()
        let jsonl = #"""
            {"c\u0069ty": "r\u00f4me", "age": 5}
            {"extra": ["\n", {"\t": "\u0041"}], "city": "\u0072ome", "\u0061ge": "4\u0030"}
            {"city": "\ud83d\ude00", "age": 1e1, "label": "x\ud800"}
            """#
        let (w, messages, _) = Self.read(jsonl, name: "live.jsonl", plan: plan)
        #expect(w.records == 2 && w.malformed == 1)
        #expect(w.features[1].count(of: "rôme") == 1 && w.features[1].count(of: "rome") == 1 && w.features[1].count(of: "😀") == 0)
        #expect(w.features[0].present == 2 && w.features[0].invalid == 0)
        #expect(messages.contains(#"live.jsonl:3: invalid JSON at byte 55 of the line: a lone surrogate \u escape; record skipped (further unreadable records are only counted)"#), "\(messages)")
    }

    @Test func aLineWithoutItsEndWaitsUntilTheEndOfTheInput() throws {
        let plan = try Self.plan()
        let (w, _, held) = Self.read("{\"age\": 30}\n{\"age\": 3", name: "live.jsonl", plan: plan, atEOF: false)
        #expect(w.records == 1 && held == 9)
        let (csvWindow, _, csvHeld) = Self.read("age,city\n30,\"rome\n", name: "live.csv", plan: plan, atEOF: false)
        #expect(csvWindow.records == 0 && csvHeld == 9, "a quoted field may hold a line end: the record is not over")
        let (done, _, _) = Self.read("age,city\n30,\"ro\nme\"\n", name: "live.csv", plan: plan)
        #expect(done.records == 1 && done.features[1].count(of: "ro\nme") == 1)
    }

    @Test func theFormatComesFromTheNameElseTheFirstByte() {
        #expect(LiveFormat.detect(name: "a.CSV.gz", firstBytes: Array("{".utf8)) == .csv(separator: 0x2C))
        #expect(LiveFormat.detect(name: "a.tsv", firstBytes: []) == .csv(separator: 0x09))
        #expect(LiveFormat.detect(name: "a.ndjson.zst", firstBytes: []) == .jsonl)
        #expect(LiveFormat.detect(name: "stdin", firstBytes: Array("\n  {\"a\":1}".utf8)) == .jsonl)
        #expect(LiveFormat.detect(name: "server.log", firstBytes: Array("a,b\n".utf8)) == .csv(separator: 0x2C))
    }

    @Test func theDriftOfALiveWindowIsValidationsDriftOfTheSameValues() throws {
        let dir = TempDir()
        var train = "x,kind\n", live = "x,kind\n"
        for i in 0..<180 {
            train += "\(Double(i % 60) / 3),\(["a", "b", "c"][i % 3])\n"
            live += "\(Double(i % 45) / 2.5 + 2),\(["a", "b", "d", "d"][i % 4])\n"
        }
        try FS.writeAtomic(dir.path + "/train.csv", train)
        try FS.writeAtomic(dir.path + "/live.csv", live)
        let baseline = try Profiler.profile(file: dir.path + "/train.csv")
        var settings = MonitorSettings()
        settings.target = "none"
        let plan = try Plan(profile: baseline, settings: settings)
        let (w, _, _) = Self.read(live, name: "live.csv", plan: plan)
        let figures = Evaluate.figures(w)
        let expected = Drift.compare(baseline: baseline, current: try Profiler.profile(file: dir.path + "/live.csv"))
        for d in expected {
            let mine = figures.filter { $0.feature == d.column }
            #expect(mine.first { $0.name == "psi" }?.value == d.psi, "\(d.column)")
            if let ks = d.ks { #expect(mine.first { $0.name == "ks" }?.value == ks) }
            if let p = d.pValue { #expect(mine.first { $0.name == "chi2_pvalue" }?.value == p) }
        }
        #expect(figures.contains { $0.feature == "x" && $0.name == "psi" && $0.verdict == .alert })
        #expect(figures.contains { $0.feature == "kind" && $0.name == "psi" && $0.verdict == .alert })
    }

    @Test func tooFewRecordsLeaveTheStatisticsUnjudged() throws {
        let plan = try Self.plan()
        let (w, _, _) = Self.read("age,city\n90,tokyo\n91,tokyo\n", name: "live.csv", plan: plan)
        let psi = Evaluate.figures(w).filter { $0.name == "psi" }
        #expect(psi.count == 2 && psi.allSatisfy { $0.verdict == .skipped && $0.note == "2 records, fewer than min_records 100" && $0.value != nil })
    }

    @Test func settingsReadTheMonitorBlockAndNameWhatIsWrong() throws {
        let s = try MonitorSettings.parse("""
            stages: {}
            monitor:
              target: churned
              task: regression
              ignore: [id, ts]
              training_data: data/train.csv
              columns: {prediction: score, latency: ms}
              thresholds:
                psi: 0.3
                min_records: 50
                accuracy: {min: 0.9}
                latency_p99: {max: 250}
            """, path: "mlops.yaml")
        #expect(s.target == "churned" && s.task == .regression && s.ignore == ["id", "ts"] && s.trainingData == ["data/train.csv"])
        #expect(s.columns.prediction == "score" && s.columns.latency == "ms" && s.columns.label == "label")
        #expect(s.thresholds.psi == 0.3 && s.thresholds.ks == 0.1 && s.thresholds.minRecords == 50)
        #expect(s.thresholds.limits["accuracy"] == .init(min: 0.9) && s.thresholds.limits["latency_p99"] == .init(max: 250))
        #expect(try MonitorSettings.parse("stages: {}\n", path: "mlops.yaml") == MonitorSettings())
        for (yaml, message) in [
            ("monitor: [1]", "mlops.yaml: `monitor`: must be a mapping"),
            ("monitor: {tresholds: {}}", "mlops.yaml: `monitor`: unknown key 'tresholds' (keys: target, task, features, ignore, training_data, columns, thresholds)"),
            ("monitor: {thresholds: {psi: high}}", "mlops.yaml: `monitor`: `psi` must be a number of at least 0"),
            ("monitor: {thresholds: {accuracy: 0.9}}", "mlops.yaml: `monitor`: `thresholds.accuracy` must be {min: N} and/or {max: N}"),
            ("monitor: {columns: {label: y, prediction: y}}", "mlops.yaml: `monitor`: two roles name the same live column"),
            ("monitor: {task: ranking}", "mlops.yaml: `monitor`: `task` must be classification or regression"),
        ] {
            #expect(throws: MLOpsError.self) { try MonitorSettings.parse(yaml, path: "mlops.yaml") }
            do { _ = try MonitorSettings.parse(yaml, path: "mlops.yaml") } catch let e as MLOpsError { #expect(e.message == message) }
        }
    }

    @Test func categoryTablesStayBoundedWhateverTheLiveValues() throws {
        let plan = try Self.plan()
        var csv = "city\n"
        for i in 0..<5000 { csv += "town\(i)\n" }
        let (w, _, _) = Self.read(csv, name: "live.csv", plan: plan)
        #expect(w.features[1].categories.count == FeatureAccumulator.maxCategories)
        #expect(w.features[1].other == Int64(5000 - FeatureAccumulator.maxCategories) && w.features[1].present == 5000)
        let psi = Evaluate.figures(w).first { $0.feature == "city" && $0.name == "psi" }
        #expect(psi?.verdict == .alert && psi?.note == "categories counted approximately")
    }

    @Test func aHugeLineIsSkippedAsOneBadRecordAndTheBufferShrinksAgain() throws {
        let plan = try Self.plan()
        let dir = TempDir()
        let path = dir.path + "/huge.jsonl"
        let good = #"{"age": 31, "city": "rome", "prediction": 1, "label": 1}"# + "\n"
        // 40 MiB without a line end inside, then a line end: longer than a record may be.
        let huge = #"{"age": 31, "city": ""# + String(repeating: "x", count: 40 << 20) + "\"}\n"
        try FS.writeAtomic(path, good + good + good + huge + good + good)
        let fd = open(path, O_RDONLY)
        #expect(fd >= 0)
        defer { close(fd) }
        var messages: [String] = []
        let notices = Notices { messages.append($0) }
        let collector = Collector(plan: plan, limit: nil)
        let feed = Feed(name: "huge.jsonl", input: DescriptorInput(fd: fd, name: "huge.jsonl"), plan: plan, notices: notices, collector: collector)
        var largest = 0
        while try feed.step() > 0 { largest = max(largest, feed.capacity) }
        feed.finish()
        let w = collector.rollCurrent().0
        #expect(w.records == 5 && w.malformed == 1)
        #expect(messages == ["huge.jsonl:4: a record longer than 16.0 MiB; skipped (check for a missing line end or an unclosed quote)"], "\(messages)")
        // The buffer held at most the record limit and a read more, and came back down after it.
        #expect(largest <= 2 * RecordReader.maxRecordBytes + 2 * Feed.chunk, "\(largest)")
        #expect(feed.capacity <= 4 * Feed.chunk)
    }
}
