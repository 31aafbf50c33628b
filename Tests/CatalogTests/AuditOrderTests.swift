@testable import Catalog
import GitBridge
import MLOpsBasics
import Testing

@Suite struct AuditOrderTests {
    static let c1 = GitOID(hex: String(repeating: "a", count: 40))!
    static let c2 = GitOID(hex: String(repeating: "b", count: 40))!

    static func entry(_ kind: String, _ time: Double, _ commit: GitOID?, _ what: String) -> AuditEntry {
        AuditEntry(kind: kind, time: time, who: "t", commit: commit, what: what, details: .null)
    }

    /// Two runs and their commits within one second: commits have whole-second times, runs have
    /// milliseconds, and each commit still follows the run whose results it holds.
    @Test func commitsAndTagsFollowTheRunsTheyHoldWithinOneSecond() {
        let s = 1_700_000_000.0
        let entries = [
            Self.entry("data", s, Self.c2, "data2"), Self.entry("register", s, Self.c2, "reg2"),
            Self.entry("run", s + 0.6, Self.c2, "run2"), Self.entry("data", s, Self.c1, "data1"),
            Self.entry("run", s + 0.1, Self.c1, "run1"), Self.entry("run", s + 0.3, nil, "pending"),
        ]
        let order = AuditTrail.causal(entries).sorted(by: AuditEntry.chronological).map(\.what)
        #expect(order == ["run1", "data1", "pending", "run2", "data2", "reg2"])
    }

    /// Entries in different seconds keep their own order whatever their kind.
    @Test func laterSecondsStayLater() {
        let entries = [Self.entry("register", 10, Self.c1, "reg"), Self.entry("run", 11.5, Self.c2, "run"), Self.entry("data", 9, nil, "data")]
        #expect(AuditTrail.causal(entries).sorted(by: AuditEntry.chronological).map(\.what) == ["data", "reg", "run"])
    }
}
