import Testing
@testable import MLOpsBasics

/// "Did you mean": git's ranking of similar commands.
@Suite struct SuggestTests {
    static let commands = ["init", "add", "status", "checkout", "diff", "remove", "gc", "fsck", "remote", "push", "fetch",
                           "pull", "hooks", "stage", "run", "pending", "log", "lineage", "params", "metrics", "reproduce", "help"]

    @Test func swappedLettersAreFreeAndTheBestScoreWins() {
        #expect(Suggest.nearest(to: "stauts", among: Self.commands) == ["status"])
        #expect(Suggest.nearest(to: "pussh", among: Self.commands) == ["push"])
        #expect(Suggest.nearest(to: "chekcout", among: Self.commands) == ["checkout"])
        #expect(Suggest.nearest(to: "metrcis", among: Self.commands) == ["metrics"])
    }

    @Test func aPrefixOfSeveralNamesThemAllSorted() {
        #expect(Suggest.nearest(to: "st", among: Self.commands) == ["stage", "status"])
        #expect(Suggest.nearest(to: "re", among: Self.commands) == ["remote", "remove", "reproduce"])
    }

    @Test func nothingSimilarEnoughSuggestsNothing() {
        #expect(Suggest.nearest(to: "xyzzyq", among: Self.commands).isEmpty)
        #expect(Suggest.nearest(to: "", among: Self.commands).isEmpty)
        #expect(Suggest.nearest(to: "status", among: []).isEmpty)
    }

    @Test func weightsAreGits() {
        // Insertion 1, deletion 3, substitution 2, swap 0; the score adds one.
        #expect(Suggest.score("pul", "pull") == 0)      // a prefix
        #expect(Suggest.score("pulll", "pull") == 4)    // one deletion
        #expect(Suggest.score("pyll", "pull") == 3)     // one substitution
        #expect(Suggest.score("lpul", "pull") == 5)
        #expect(Suggest.score("ohsu", "push") == Suggest.distance(Array("ohsu".utf8), Array("push".utf8)) + 1)
    }

    @Test func hostileInputIsJustText() {
        let long = String(repeating: "a", count: 4000)
        #expect(Suggest.nearest(to: long, among: Self.commands).isEmpty)
        #expect(Suggest.nearest(to: "ställ\u{0}", among: Self.commands).isEmpty)
    }
}

@Suite struct CountedAndProgressTests {
    @Test func pluralsFollowTheCount() {
        #expect(counted(1, "file") == "1 file")
        #expect(counted(0, "file") == "0 files")
        #expect(counted(2, "entry", "entries") == "2 entries")
        #expect(counted(Int64(1), "object") == "1 object")
    }

    @Test func progressShowsTotalPercentageAndRateAsGitDoes() {
        let mid = ProgressMeter.line(title: "Pushing to storage", bytes: 512 << 20, totalBytes: 1 << 30, items: 30, totalItems: 66,
                                     seconds: 4, done: false)
        #expect(mid == "Pushing to storage: 50% (512.0 MiB/1.0 GiB), 30/66 objects, 128.0 MiB/s")
        let done = ProgressMeter.line(title: "Fetching from s", bytes: 1 << 30, totalBytes: 1 << 30, items: 1, totalItems: 1,
                                      seconds: 8, done: true)
        #expect(done == "Fetching from s: 100% (1.0 GiB/1.0 GiB), 1/1 object, 128.0 MiB/s, done.")
        let unknown = ProgressMeter.line(title: "Adding", bytes: 2048, totalBytes: 0, items: 1, totalItems: 0, seconds: 0.1, done: false)
        #expect(unknown == "Adding: 2.0 KiB, 1 object")
        // More than announced (a resend) never shows above 100%.
        #expect(ProgressMeter.line(title: "P", bytes: 3, totalBytes: 2, items: 0, totalItems: 0, seconds: 0, done: false) == "P: 100% (3 B/2 B)")
    }

    @Test func arraysOfResultsAreJSONArrays() {
        #expect([JSON.int(1), JSON.string("a")].json == .array([.int(1), .string("a")]))
    }
}
