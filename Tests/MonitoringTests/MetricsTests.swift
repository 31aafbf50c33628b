import Foundation
import MLOpsBasics
@testable import Monitoring
import Testing

/// The live metrics, checked against values worked out by hand (the same as scikit-learn's
/// accuracy_score, precision_recall_fscore_support(average="macro"), mean_squared_error).
@Suite struct MetricsTests {
    static func counts(_ pairs: [(String, String)]) -> ClassCounts {
        var c = ClassCounts()
        for (p, l) in pairs { c.add(prediction: Array(p.utf8), label: Array(l.utf8)) }
        return c
    }

    static func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) < 1e-9 }

    @Test func classificationMacroAveragesOverEveryClassSeenAsLabelOrPrediction() {
        // labels 0 0 1 1 2 2, predictions 0 1 1 1 2 0.
        let m = ClassificationMetrics(Self.counts([("0", "0"), ("1", "0"), ("1", "1"), ("1", "1"), ("2", "2"), ("0", "2")]))
        #expect(Self.close(m.accuracy, 4.0 / 6))
        let byLabel = Dictionary(uniqueKeysWithValues: m.perClass.map { ($0.label, $0) })
        #expect(Self.close(byLabel["0"]!.precision, 0.5) && Self.close(byLabel["0"]!.recall, 0.5) && Self.close(byLabel["0"]!.f1, 0.5))
        #expect(Self.close(byLabel["1"]!.precision, 2.0 / 3) && Self.close(byLabel["1"]!.recall, 1) && Self.close(byLabel["1"]!.f1, 0.8))
        #expect(Self.close(byLabel["2"]!.precision, 1) && Self.close(byLabel["2"]!.recall, 0.5) && Self.close(byLabel["2"]!.f1, 2.0 / 3))
        #expect(Self.close(m.macroPrecision, (0.5 + 2.0 / 3 + 1) / 3))
        #expect(Self.close(m.macroRecall, (0.5 + 1 + 0.5) / 3))
        #expect(Self.close(m.macroF1, (0.5 + 0.8 + 2.0 / 3) / 3))
        #expect(m.perClass.map(\.support) == [2, 2, 2])
    }

    @Test func aClassOnlyPredictedCountsWithZeroRecallAndAClassNeverPredictedWithZeroPrecision() {
        // "b" is never a label, "c" never a prediction.
        let m = ClassificationMetrics(Self.counts([("a", "a"), ("b", "a"), ("a", "c")]))
        let byLabel = Dictionary(uniqueKeysWithValues: m.perClass.map { ($0.label, $0) })
        #expect(Set(byLabel.keys) == ["a", "b", "c"])
        #expect(byLabel["b"]!.recall == 0 && byLabel["b"]!.precision == 0 && byLabel["b"]!.support == 0)
        #expect(byLabel["c"]!.precision == 0 && byLabel["c"]!.f1 == 0 && byLabel["c"]!.support == 1)
        #expect(Self.close(byLabel["a"]!.precision, 0.5) && Self.close(byLabel["a"]!.recall, 0.5))
        #expect(Self.close(m.accuracy, 1.0 / 3))
        #expect(Self.close(m.macroPrecision, 0.5 / 3) && Self.close(m.macroRecall, 0.5 / 3))
    }

    @Test func classesPastTheLimitCountAsOneOtherClassAndMemoryStaysBounded() {
        var c = ClassCounts()
        for i in 0..<(ClassCounts.maxClasses + 100) {
            let k = Array("class\(i)".utf8)
            c.add(prediction: k, label: k)
        }
        #expect(c.classes.count == ClassCounts.maxClasses)
        #expect(c.otherCorrect == 100 && c.otherActual == 100 && c.correct == Int64(ClassCounts.maxClasses + 100))
        let m = ClassificationMetrics(c)
        #expect(m.accuracy == 1 && m.macroF1 == 1)
        #expect(m.perClass.contains { $0.label == "(other)" && $0.support == 100 })
    }

    @Test func numericClassNamesAreClassesByValue() {
        var key: [UInt8] = []
        var seen = Set<String>()
        for text in ["1", "1.0", "1e0", "+1", "01"] {
            Array(text.utf8).withUnsafeBufferPointer { LiveText.classKey($0.baseAddress!, $0.count, into: &key) }
            seen.insert(String(decoding: key, as: UTF8.self))
        }
        #expect(seen == ["1"])
        Array("cat".utf8).withUnsafeBufferPointer { LiveText.classKey($0.baseAddress!, $0.count, into: &key) }
        #expect(String(decoding: key, as: UTF8.self) == "cat")
        Array("0.5".utf8).withUnsafeBufferPointer { LiveText.classKey($0.baseAddress!, $0.count, into: &key) }
        #expect(String(decoding: key, as: UTF8.self) == "0.5")
    }

    @Test func regressionRMSEAndMAE() {
        var s = RegressionSums()
        for (p, l) in [(1.0, 2.0), (3.0, 3.0), (5.0, 2.0), (-1.0, 1.0)] { s.add(prediction: p, label: l) }
        let r = RegressionMetrics(s)
        // errors -1, 0, 3, -2: squares 1 0 9 4, absolute 1 0 3 2.
        #expect(Self.close(r.rmse, (14.0 / 4).squareRoot()))
        #expect(Self.close(r.mae, 6.0 / 4))
        #expect(RegressionMetrics(RegressionSums()) == RegressionMetrics(RegressionSums()))
    }

    @Test func numbersNullsAndTimesReadAsProfilesReadThem() {
        func num(_ s: String) -> Double? { Array(s.utf8).withUnsafeBufferPointer { LiveText.number($0.baseAddress!, $0.count) } }
        #expect(num("12") == 12 && num("-3.5") == -3.5 && num(".5") == 0.5 && num("1e-3") == 0.001 && num("+2E2") == 200)
        #expect(num("0.1") == 0.1 && num("123456789012345678901234") == 123456789012345678901234.0)
        #expect(num("inf") == .infinity && num("-Infinity") == -.infinity)
        for bad in ["", "-", ".", "1e", "1.2.3", "12a", " 1", "0x10", "e5", "true"] { #expect(num(bad) == nil, "\(bad)") }
        func null(_ s: String) -> Bool { Array(s.utf8).withUnsafeBufferPointer { LiveText.isNull($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, $0.count) } }
        #expect(["", "NA", "N/A", "NaN", "nan", "null", "NULL", "None"].allSatisfy(null))
        #expect(!null("0") && !null("none") && !null("n/a"))
        func time(_ s: String) -> Double? { Array(s.utf8).withUnsafeBufferPointer { LiveText.time($0.baseAddress!, $0.count) } }
        #expect(time("1700000000.5") == 1_700_000_000.5)
        #expect(time("1970-01-02T00:00:01Z") == 86_401)
        #expect(time("2026-12-03 18:00:00+01:00") == time("2026-12-03T17:00:00Z"))
        #expect(time("2026-12-03T18:00:00.250-0130") == time("2026-12-03T19:30:00.25Z"))
        #expect(time("2026-13-03") == nil && time("yesterday") == nil && time("2026-12-03T18:00:00+1") == nil)
        func truthy(_ s: String) -> Bool { Array(s.utf8).withUnsafeBufferPointer { LiveText.isTrue($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, $0.count) } }
        #expect(truthy("true") && truthy("1") && truthy("TRUE") && truthy("timeout"))
        #expect(!truthy("false") && !truthy("0") && !truthy("") && !truthy("False") && !truthy("null") && !truthy("0.0"))
    }
}
