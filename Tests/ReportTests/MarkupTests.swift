import MLOpsBasics
@testable import Report
import Testing

@Suite struct MarkupTests {
    @Test func textIsEscapedForElementsAndAttributes() {
        #expect(Markup.escape("<script>\"&'") == "&lt;script&gt;&quot;&amp;&#39;")
        let name = "\"><script>alert(1)</script>"
        let m: Markup = "<td title=\"\(name)\">\(name)</td>"
        #expect(m.html == "<td title=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\">&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;</td>")
        // Markup interpolated into markup is kept; text never becomes markup.
        let inner: Markup = "<b>\("<i>")</b>"
        #expect(("<p>\(inner)</p>" as Markup).html == "<p><b>&lt;i&gt;</b></p>")
    }

    /// Bidirectional controls, zero-width characters and other controls are shown, not obeyed.
    @Test func hiddenCharactersAreShown() {
        #expect(Markup.escape("a\u{202E}b\u{2066}c\u{2069}d\u{200B}e\u{1}f\u{7F}g\u{FEFF}") == "a[U+202E]b[U+2066]c[U+2069]d[U+200B]e[U+0001]f[U+007F]g[U+FEFF]")
        #expect(Markup.escape("line\nnext\tcol é 日本") == "line\nnext\tcol é 日本")
    }

    @Test func coordinatesAreTenthsAndNeverNaN() {
        #expect(Markup.coordinate(12.34) == "12.3")
        #expect(Markup.coordinate(-0.04) == "0")
        #expect(Markup.coordinate(-0.06) == "-0.1")
        #expect(Markup.coordinate(-3.25) == "-3.2" || Markup.coordinate(-3.25) == "-3.3")
        #expect(Markup.coordinate(5) == "5")
        #expect(Markup.coordinate(.nan) == "0")
        #expect(Markup.coordinate(.infinity) == "0")
        #expect(Markup.coordinate(-.infinity) == "0")
    }

    @Test func slugsAreSafeAndDistinct() {
        let a = Markup.slug("train"), b = Markup.slug("Train"), c = Markup.slug(Fixtures.hostile)
        #expect(a.hasPrefix("train-") && a != b)
        for s in [a, b, c] {
            #expect(s.unicodeScalars.allSatisfy { ($0 >= "a" && $0 <= "z") || ($0 >= "0" && $0 <= "9") || $0 == "-" })
        }
        #expect(Markup.slug("") != Markup.slug("-"))
    }

    /// Ticks at 1, 2 or 5 times a power of ten, covering the data.
    @Test(arguments: [
        (0.92, 0.998, [0.92, 0.94, 0.96, 0.98, 1.0]),
        (0.0, 0.15, [0.0, 0.05, 0.1, 0.15]),
        (3.0, 97.0, [0.0, 20.0, 40.0, 60.0, 80.0, 100.0]),
        (-1.2, 0.7, [-1.5, -1.0, -0.5, 0.0, 0.5, 1.0]),
        (5.0, 5.0, [4.4, 4.6, 4.8, 5.0, 5.2, 5.4, 5.6]),
        (0.0, 0.0, [-1.0, -0.5, 0.0, 0.5, 1.0]),
    ])
    func niceTicks(min: Double, max: Double, expected: [Double]) {
        let s = NiceScale(min: min, max: max)
        #expect(s.ticks.count == expected.count)
        for (t, e) in zip(s.ticks, expected) { #expect(abs(t - e) < 1e-9, "\(s.ticks) vs \(expected)") }
        #expect(s.lo <= Swift.min(min, max) && s.hi >= Swift.max(min, max))
    }

    @Test func tickLabelsAndExtremes() {
        let s = NiceScale(min: 0.92, max: 0.998)
        #expect(s.ticks.map(s.label) == ["0.92", "0.94", "0.96", "0.98", "1.00"])
        let big = NiceScale(min: 0, max: 3e9)
        #expect(big.ticks.map(big.label).last == "3e+09")
        // Ranges no double can step through, and non-finite input, still give two ends, no crash.
        #expect(NiceScale(min: -1e308, max: 1e308).ticks.count >= 2)
        let narrow = NiceScale(min: 1, max: 1 + 1e-15).ticks
        #expect(narrow.allSatisfy { $0.isFinite })
        let odd = NiceScale(min: .nan, max: .infinity)
        #expect(odd.ticks.first == 0 && odd.ticks.last == 1)
    }
}
