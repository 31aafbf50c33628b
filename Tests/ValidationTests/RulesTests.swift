import Foundation
import Lineage
import MLOpsBasics
import Profiling
import Testing
import TestSupport
@testable import Validation

/// Directories of the files `profile` writes, kept for the whole test run (a test reads them again).
nonisolated(unsafe) var keptDirs: [TempDir] = []
let keptLock = NSLock()

/// A profile of a CSV written from `text`, and the file.
func profile(_ text: String, name: String = "t.csv") throws -> (Profile, String) {
    let dir = TempDir()
    keptLock.lock(); keptDirs.append(dir); keptLock.unlock()
    let path = dir.path + "/" + name
    try FS.writeAtomic(path, text)
    return (try Profiler.profile(file: path, name: name), path)
}

func rule(_ name: String, _ set: (inout ColumnRule) -> Void) -> ColumnRule {
    var r = ColumnRule(name: name, line: 1)
    set(&r)
    return r
}

@Suite struct DataRulesTests {
    @Test func nullsMinMaxAndTypes() throws {
        let (p, _) = try profile("age,country\n30,US\n,DE\n200,FR\n-1,US\n")
        let findings = DataRules.column(rule("age") { $0.type = "int"; $0.notNull = true; $0.min = 0; $0.max = 120 }, p, subject: "t.csv", severity: .error)
        let byCheck = Dictionary(uniqueKeysWithValues: findings.map { ($0.check, $0) })
        #expect(byCheck["type"]?.verdict == .pass)
        #expect(byCheck["not_null"]?.verdict == .fail)
        #expect(byCheck["not_null"]?.line == "t.csv: column age: not_null: 1 null, expected none")
        #expect(byCheck["min"]?.observed == "min -1")
        #expect(byCheck["min"]?.verdict == .fail)
        #expect(byCheck["max"]?.line == "t.csv: column age: max: max 200, expected <= 120")
        let wrongType = DataRules.column(rule("country") { $0.type = "int" }, p, subject: "t.csv", severity: .warn)
        #expect(wrongType.map(\.verdict) == [.warn], "severity warn reports without failing")
        let missing = DataRules.column(rule("zip") { $0.notNull = true }, p, subject: "t.csv", severity: .error)
        #expect(missing.count == 1 && missing[0].check == "present" && missing[0].verdict == .fail)
        let frac = DataRules.column(rule("age") { $0.maxNullFraction = 0.2 }, p, subject: "t.csv", severity: .error)
        #expect(frac[0].verdict == .fail && frac[0].observed == "0.25 (1 of 4)")
    }

    @Test func minAndMaxOfStringsOrInfinitiesFail() throws {
        let (p, _) = try profile("x,y\na,1.5\nb,inf\n")
        #expect(DataRules.column(rule("x") { $0.min = 0 }, p, subject: "t", severity: .error)[0].verdict == .fail)
        #expect(DataRules.column(rule("y") { $0.max = 10 }, p, subject: "t", severity: .error)[0].observed == "1 infinite value")
    }

    @Test func uniqueAndAllowedAreExactFromSmallTables() throws {
        let (p, _) = try profile("id,c\n1,US\n2,DE\n2,XX\n")
        #expect(DataRules.unique(p.column("id")!) == .decided(ok: false, observed: "\"2\" 2 times"))
        #expect(DataRules.unique(p.column("c")!) == .decided(ok: true, observed: "3 distinct values"))
        #expect(DataRules.allowed(p.column("c")!, ["US", "DE"]) == .decided(ok: false, observed: "\"XX\" (1x)"))
        #expect(DataRules.allowed(p.column("c")!, ["US", "DE", "XX"]) == .decided(ok: true, observed: "3 distinct values, all allowed"))
    }

    @Test func manyDistinctValuesNeedTheDataForUniqueButNotForShortAllowedLists() throws {
        var text = "id,c\n"
        for i in 0..<1000 { text += "\(i),v\(i)\n" }
        let (p, path) = try profile(text)
        guard case .needsData = DataRules.unique(p.column("id")!) else { Issue.record("1000 distinct ids: the profile cannot prove uniqueness"); return }
        guard case .decided(false, let why) = DataRules.allowed(p.column("c")!, ["v1", "v2"]) else { Issue.record("more distinct values than allowed ones"); return }
        #expect(why.hasPrefix("more than 128 distinct values"))
        #expect(try ExactAnswer.firstDuplicate(file: path, name: "t.csv", column: "id", values: 1000) == nil)
        let (_, dupPath) = try profile(text + "500,x\n")
        #expect(try ExactAnswer.firstDuplicate(file: dupPath, name: "t.csv", column: "id", values: 1001) == "\"500\" on lines 502 and 1002")
        let bad = try ExactAnswer.disallowed(file: path, name: "t.csv", column: "c", allowed: (0..<999).map { "v\($0)" })
        #expect(bad.count == 1 && bad.examples == ["\"v999\" (line 1001)"])
    }

    @Test func exactUniquenessInManyPassesConfirmsOnTheValues() throws {
        var text = "id\n"
        for i in 0..<5000 { text += "k\(i)\n" }
        let (_, path) = try profile(text + "k17\n")
        // Few hashes per pass: many passes, each keeping its share of the hashes.
        let found = try ExactAnswer.firstDuplicate(file: path, name: "t.csv", column: "id", values: 5001, perPass: 700)
        #expect(found == "\"k17\" on lines 19 and 5002")
    }

    @Test func jsonLinesValuesAreReadOneByOne() throws {
        let dir = TempDir()
        let path = dir.path + "/t.jsonl"
        try FS.writeAtomic(path, "{\"a\": \"x\", \"b\": 1}\n\n{\"b\": 2.50}\n{\"a\": null, \"b\": {\"n\": [1]}}\n")
        var seen: [String] = []
        try TableScan.values(file: path, name: "t.jsonl", column: "b") { line, v in seen.append("\(line):" + (v.map { String(decoding: $0, as: UTF8.self) } ?? "null")) }
        #expect(seen == ["1:1", "3:2.50", "4:{\"n\": [1]}"])
        seen = []
        try TableScan.values(file: path, name: "t.jsonl", column: "a") { line, v in seen.append("\(line):" + (v.map { String(decoding: $0, as: UTF8.self) } ?? "null")) }
        #expect(seen == ["1:x", "3:null", "4:null"])
        try FS.writeAtomic(path, "{\"a\": 1}\n{\"a\": 2\n")
        #expect(throws: MLOpsError.self) { try TableScan.values(file: path, name: "t.jsonl", column: "a") { _, _ in } }
    }

    @Test func csvScanHonoursQuotesAndNulls() throws {
        let dir = TempDir()
        let path = dir.path + "/t.csv"
        try FS.writeAtomic(path, "\u{FEFF}a,b\n\"x,1\",NA\n\"\",2\n")
        var seen: [String] = []
        try TableScan.values(file: path, name: "t.csv", column: "a") { line, v in seen.append("\(line):" + (v.map { String(decoding: $0, as: UTF8.self) } ?? "null")) }
        #expect(seen == ["2:x,1", "3:"])
        seen = []
        try TableScan.values(file: path, name: "t.csv", column: "b") { line, v in seen.append("\(line):" + (v.map { String(decoding: $0, as: UTF8.self) } ?? "null")) }
        #expect(seen == ["2:null", "3:2"])
        #expect(throws: MLOpsError.self) { try TableScan.values(file: path, name: "t.csv", column: "zzz") { _, _ in } }
    }

    @Test func tableSchemaBecomesRules() throws {
        let doc = try JSON.parse("""
            {"fields": [{"name": "id", "type": "integer"}, {"name": "c", "type": "string", "constraints": {"enum": ["US", "DE"], "pattern": "[A-Z]+"}},
                        {"name": "x", "type": "number", "constraints": {"minimum": 0, "maximum": 1, "required": true}}, {"name": "g", "type": "geopoint"}],
             "primaryKey": "id"}
            """)
        let s = try TableSchema.parse(doc, path: "s.json")
        #expect(s.fields == ["id", "c", "x", "g"])
        #expect(s.rules[0].type == "int" && s.rules[0].unique && s.rules[0].notNull)
        #expect(s.rules[1].allowed == ["US", "DE"])
        #expect(s.rules[2].min == 0 && s.rules[2].max == 1 && s.rules[2].notNull && s.rules[2].type == "number")
        #expect(s.unsupported == ["c: pattern", "g: type geopoint"])
        #expect(throws: MLOpsError.self) { try TableSchema.parse(try JSON.parse("{\"fields\": []}"), path: "s.json") }
    }
}
