@testable import Catalog
import GitBridge
import Testing

@Suite struct TagNameTests {
    /// Each name with what GTO 1.10's `parse_name` makes of it (checked with `gto.tag.parse_name`;
    /// the integration tests compare the two parsers on every name here again).
    static let table: [(String, String?)] = [
        ("m@v1.0.0", "m register v1.0.0"),
        ("m@v1.0.0!#3", "m deregister v1.0.0 #3"),
        ("m@v1.0.0#4", "m register v1.0.0 #4"),
        ("d/x=m#prod!#12", "d/x:m unassign prod #12"),
        ("m@deprecated#2", "m deprecate #2"),
        ("m@deprecated", "m deprecate"),
        ("m#prod", "m assign prod"),
        ("m#prod#01", "m assign prod #1"),
        ("team/clf-2_b#pre-prod/eu#7", "team/clf-2_b assign pre-prod/eu #7"),
        ("m@v2.0.0-rc.1+build.5", "m register v2.0.0-rc.1+build.5"),
        ("a//b@v1.0.0", "a//b register v1.0.0"),
        ("m@v01.0.0", nil),
        ("m@1.0.0", nil),
        ("m@v1.0", nil),
        ("m@v1.0.0-rc.01", nil),
        ("m#a.b", nil),
        ("a-@v1.0.0", nil),
        ("-a@v1.0.0", nil),
        ("ab=cd=ef@v1.0.0", nil),
        ("m#prod#x", nil),
        ("m#prod#", nil),
        ("m##1", nil),
        ("m#prod#1#2", nil),
        ("m@v1.0.0#2#3", nil),
        ("m@created", nil),
        ("m@latest", nil),
        ("@v1.0.0", nil),
        ("m#", nil),
    ]

    static func describe(_ n: CatalogTagName) -> String {
        [n.artifact, n.action.rawValue, n.versionText ?? n.stage, n.counter.map { "#\($0)" }].compactMap { $0 }.joined(separator: " ")
    }

    @Test func parsesLikeGTO() {
        for (tag, want) in Self.table {
            #expect(CatalogTagName(tag).map(Self.describe) == want, "\(tag)")
        }
    }

    @Test func formatsWhatItParses() {
        for (tag, want) in Self.table where want != nil && !tag.contains("#0") {
            let n = CatalogTagName(tag)!
            // `#01` is read as 1 and written back as `#1`.
            #expect(n.description == tag.replacingOccurrences(of: "#01", with: "#1"))
        }
        #expect(CatalogTagName(artifact: "dir:m", action: .assign, stage: "prod", counter: 3).description == "dir=m#prod#3")
    }

    @Test func saysWhyAMalformedTagIsNotOurs() {
        func why(_ t: String) -> CatalogTagName.ParseFailure? {
            if case .failure(let f) = CatalogTagName.parse(t) { return f }
            return nil
        }
        #expect(why("release-1.0") == .notOurs)
        #expect(why("m@created") == .created)
        #expect(why("m@1.0.0") == .malformed("'1.0.0' is not a version (vX.Y.Z, semver, e.g. v1.0.0)"))
        #expect(why("m#pr.od") == .malformed("'pr.od' is not a valid stage name (letters, digits, '-', '_', '/', starting and ending with a letter or digit)"))
        #expect(why("m#prod#x") == .malformed("'#x' is not a counter (#N with N a number)"))
        #expect(why("m#prod#99999999999999999999") == .malformed("the counter #99999999999999999999 is too large"))
    }

    @Test func checksNamesGivenOnTheCommandLine() throws {
        try CatalogNames.checkArtifact("team/model-1")
        try CatalogNames.checkArtifact("dir.x:model")
        #expect(throws: Error.self) { try CatalogNames.checkArtifact("a//b") }     // GTO allows it, git does not
        #expect(throws: Error.self) { try CatalogNames.checkArtifact("mo del") }
        #expect(throws: Error.self) { try CatalogNames.checkArtifact("model.v2") }
        #expect(throws: Error.self) { try CatalogNames.checkArtifact("") }
        #expect(throws: Error.self) { try CatalogNames.checkStage("prod#1") }
        #expect(throws: Error.self) { try CatalogNames.checkStage("prod!") }
        try CatalogNames.checkStage("pre-prod/eu")
        #expect(try CatalogNames.version("v1.2.3") == SemVer(major: 1, minor: 2, patch: 3))
        #expect(throws: Error.self) { try CatalogNames.version("1.2.3") }
        #expect(throws: Error.self) { try CatalogNames.version("v1.2") }
    }

    @Test func gitRefRules() {
        #expect(GitRepository.isValidTagName("m@v1.0.0"))
        #expect(GitRepository.isValidTagName("m#prod#3"))
        #expect(!GitRepository.isValidTagName("a//b@v1.0.0"))
        #expect(!GitRepository.isValidTagName("dir/.x=m@v1.0.0"))
        #expect(!GitRepository.isValidTagName("m@v1.0.0.lock"))
        #expect(!GitRepository.isValidTagName("m@{v1}"))
        #expect(!GitRepository.isValidTagName("m..x"))
    }
}

@Suite struct SemVerTests {
    @Test func parsesTheGrammar() {
        #expect(SemVer("v1.2.3") == SemVer(major: 1, minor: 2, patch: 3))
        #expect(SemVer("v0.0.0") != nil)
        #expect(SemVer("v1.0.0-alpha.1+exp.sha.5114f85")?.prerelease == ["alpha", "1"])
        #expect(SemVer("v1.0.0-alpha.1+exp.sha.5114f85")?.build == "exp.sha.5114f85")
        #expect(SemVer("v1.0.0-x-y-z.--") != nil)
        for bad in ["1.2.3", "V1.2.3", "v1.2", "v1.2.3.4", "v01.2.3", "v1.02.3", "v1.2.3-", "v1.2.3-01", "v1.2.3+", "v1.2.3+a..b",
                    "v1.2.3-a_b", "v-1.2.3", "v1.2.3 ", "v99999999999999999999.0.0", ""] {
            #expect(SemVer(bad) == nil, "\(bad)")
        }
        #expect(SemVer("v2.0.0-rc.1+b")?.description == "v2.0.0-rc.1+b")
    }

    @Test func ordersByPrecedence() {
        // The example of semver.org, section 11.
        let chain = ["v1.0.0-alpha", "v1.0.0-alpha.1", "v1.0.0-alpha.beta", "v1.0.0-beta", "v1.0.0-beta.2", "v1.0.0-beta.11",
                     "v1.0.0-rc.1", "v1.0.0", "v1.0.1", "v1.1.0", "v2.0.0", "v10.0.0"].map { SemVer($0)! }
        for (a, b) in zip(chain, chain.dropFirst()) {
            #expect(a < b && !(b < a), "\(a) < \(b)")
        }
        #expect(chain.shuffled().sorted() == chain)
        #expect(SemVer("v1.0.0+a")!.samePrecedence(SemVer("v1.0.0+b")!))
        #expect(SemVer("v1.0.0-1")! < SemVer("v1.0.0--1")!)   // numbers before words; `-1` is a word
    }

    @Test func bumpsAsGTODoes() {
        let v = SemVer("v1.2.3-rc.1+b5")!
        #expect(v.bumped(.patch).description == "v1.2.4")
        #expect(v.bumped(.minor).description == "v1.3.0")
        #expect(v.bumped(.major).description == "v2.0.0")
        #expect(SemVer.first.description == "v0.0.1")
    }
}
