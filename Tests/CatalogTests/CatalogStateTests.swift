@testable import Catalog
import GitBridge
import Lineage
import MLOpsBasics
import Testing

/// The catalog built from tags, in memory: GTO's rules (checked against `gto show` by the
/// integration tests) without git.
@Suite struct CatalogStateTests {
    static func oid(_ n: Int) -> GitOID {
        let h = String(n, radix: 16)
        return GitOID(hex: String(repeating: "0", count: 40 - h.count) + h)!
    }

    static func tag(_ name: String, on commit: Int, at time: Int64, message: String = "m", signed: Bool = false) -> AnnotatedTag {
        AnnotatedTag(name: name, object: oid(100 + Int(time)), target: oid(commit), targetIsCommit: true, taggerName: "T",
                     taggerEmail: "t@x", time: time, offsetMinutes: 0, message: message, signature: signed ? "-----BEGIN SSH SIGNATURE-----\n" : nil)
    }

    @Test func stagesGoToTheVersionOnTheSameCommitAndUnassigningFallsBack() {
        let c = Catalog(tags: [
            Self.tag("m@v1.0.0", on: 1, at: 100), Self.tag("m@v1.1.0", on: 2, at: 101),
            // Stage tags older than the registration still find the version on their commit.
            Self.tag("m#prod#1", on: 1, at: 50), Self.tag("m#prod#2", on: 2, at: 103), Self.tag("m#prod!#3", on: 2, at: 104),
            Self.tag("m#dev#4", on: 3, at: 105),
        ])
        let m = c.models["m"]!
        #expect(m.latest?.name == "v1.1.0")
        #expect(m.stages["prod"]?.version.name == "v1.0.0")
        #expect(m.stages["dev"]?.version.name == Self.oid(3).hex && m.stages["dev"]?.version.isRegistered == false)
        #expect(m.versions.map(\.name) == ["v1.1.0", "v1.0.0", Self.oid(3).hex])
        #expect(m.lastCounter == 4)
        #expect(c.problems.isEmpty)
    }

    @Test func withinOneSecondTheCounterOrders() {
        let c = Catalog(tags: [
            Self.tag("m@v1.0.0", on: 1, at: 100), Self.tag("m@v2.0.0", on: 2, at: 100),
            Self.tag("m#qa#2", on: 2, at: 110), Self.tag("m#qa#1", on: 1, at: 110),
            Self.tag("m#prod!#4", on: 1, at: 111), Self.tag("m#prod#5", on: 1, at: 111),
        ])
        let m = c.models["m"]!
        #expect(m.stages["qa"]?.version.name == "v2.0.0")
        #expect(m.stages["prod"]?.version.name == "v1.0.0", "re-promoted after the unassignment of the same second")
    }

    @Test func deregisteredVersionsAndTheirStagesDisappear() {
        let c = Catalog(tags: [
            Self.tag("m@v1.0.0", on: 1, at: 100), Self.tag("m@v1.1.0", on: 2, at: 101),
            Self.tag("m#prod#1", on: 2, at: 102), Self.tag("m@v1.1.0!", on: 2, at: 103),
        ])
        let m = c.models["m"]!
        #expect(m.latest?.name == "v1.0.0" && m.stages.isEmpty && m.activeVersions.map(\.name) == ["v1.0.0"])
    }

    @Test func deprecationCountsCommitTimesAsGTODoes() {
        let tags = [Self.tag("m@v1.0.0", on: 1, at: 100), Self.tag("m@deprecated", on: 1, at: 200)]
        #expect(Catalog(tags: tags, commitTime: { _ in 90 }).models["m"]!.isDeprecated)
        // A version's commit (or HEAD, when it declares the model) later than the deprecation revives it.
        #expect(!Catalog(tags: tags, commitTime: { _ in 250 }).models["m"]!.isDeprecated)
        #expect(!Catalog(tags: tags, declaredAtHead: ["m"], commitTime: { _ in 90 }, headTime: 300).models["m"]!.isDeprecated)
        #expect(Catalog(tags: tags, declaredAtHead: ["other"], commitTime: { _ in 90 }, headTime: 300).models["m"]!.isDeprecated)
        // At equal times the other event wins.
        #expect(!Catalog(tags: tags + [Self.tag("m#prod#1", on: 1, at: 200)], commitTime: { _ in 90 }).models["m"]!.isDeprecated)
        // Declared but never tagged: listed as unregistered.
        let declared = Catalog(tags: [], declaredAtHead: ["x"]).models["x"]!
        #expect(!declared.isRegistered && declared.latest == nil)
    }

    @Test func malformedTagsAreNamedAndIgnored() {
        let c = Catalog(tags: [Self.tag("m@1.0.0", on: 1, at: 1), Self.tag("m@created", on: 1, at: 2), Self.tag("v1.0", on: 1, at: 3)])
        #expect(c.models.isEmpty)
        #expect(c.problems.map(\.tag) == ["m@1.0.0", "m@created"])
    }

    @Test func overridesRoundTripThroughTheTagMessage() {
        let o = PromotionOverride(reason: "two\nlines", failed: ["mse 0.2 > max 0.1"])
        #expect(o.trailers == "Override-Reason: two lines\nOverride-Gate: mse 0.2 > max 0.1")
        #expect(PromotionOverride(message: "Assigning stage\n\n" + o.trailers + "\n") == PromotionOverride(reason: "two lines", failed: ["mse 0.2 > max 0.1"]))
        #expect(PromotionOverride(message: "Assigning stage prod") == nil)
    }

    @Test func signaturesAreSplitFromMessages() {
        let (m, sig) = AnnotatedTag.splitSignature("hello\n-----BEGIN SSH SIGNATURE-----\nabc\n-----END SSH SIGNATURE-----\n")
        #expect(m == "hello\n" && sig?.hasPrefix("-----BEGIN SSH SIGNATURE-----") == true)
        #expect(AnnotatedTag.splitSignature("plain -----BEGIN PGP SIGNATURE----- in a line\n").signature == nil)
        #expect(SignatureStatus.classifyFailure("Could not verify signature.\nSignature verification failed: incorrect signature") == .bad)
        #expect(SignatureStatus.classifyFailure("Good \"git\" signature with ED25519 key SHA256:x\nNo principal matched.") == .unverified)
        #expect(SignatureStatus.classifyFailure("[GNUPG:] ERRSIG 1234 1 10 00 1700000000 9\n[GNUPG:] NO_PUBKEY 1234") == .unverified)
    }

    @Test func textFromOutsideCannotDriveTheTerminal() {
        #expect(displayable("ok\u{1b}[2Jwiped\u{07}") == "ok?[2Jwiped?")
        #expect(displayable("a\nb") == "a\nb" && displayable("a\nb", newlines: false) == "a?b")
    }
}

@Suite struct ArtifactIndexTests {
    @Test func readsBothFilesAndRefusesPathsOutside() throws {
        let a = try ArtifactIndex.parse("model:\n  type: model\n  path: ./models/m.pkl/\nother:\n", path: "artifacts.yaml", dvc: false)
        #expect(a["model"] == ArtifactDeclaration(path: "models/m.pkl", type: "model", source: "artifacts.yaml"))
        #expect(a["other"] == ArtifactDeclaration(path: nil, type: nil, source: "artifacts.yaml"))
        let d = try ArtifactIndex.parse("stages: {}\nartifacts:\n  clf:\n    path: clf.pkl\n    type: model\n    desc: x\n", path: "dvc.yaml", dvc: true)
        #expect(d["clf"]?.path == "clf.pkl" && d["clf"]?.source == "dvc.yaml")
        #expect(try ArtifactIndex.parse("stages: {}\n", path: "dvc.yaml", dvc: true).isEmpty)
        for bad in ["m:\n  path: ../up\n", "m:\n  path: /etc/passwd\n", "- a\n- b\n", "m: 3\n", "bad name:\n  path: x\n"] {
            #expect(throws: MLOpsError.self, "\(bad)") { try ArtifactIndex.parse(bad, path: "artifacts.yaml", dvc: false) }
        }
    }

    @Test func declaringAppendsAndKeepsTheRest() throws {
        #expect(try ArtifactIndex.declaring("m", path: "model.npy", type: "model", in: "") == "m:\n  type: model\n  path: model.npy\n")
        let old = "# models\nclf:\n  type: model\n  path: clf.pkl"
        #expect(try ArtifactIndex.declaring("m", path: "dir with space/w.bin", type: "model", in: old)
                == old + "\nm:\n  type: model\n  path: \"dir with space/w.bin\"\n")
        #expect(throws: MLOpsError.self) { try ArtifactIndex.declaring("m", path: "x", type: "model", in: "{clf: {path: a}}") }
    }
}

@Suite struct ThresholdGateTests {
    static func run(_ metrics: [String: JSON]) -> RunRecord {
        RunRecord(fields: ["schema": .string(RunRecord.schema), "id": "0123456789abcdef", "stage": "train", "cmd": "x", "metrics": .object(metrics)])
    }

    static func request(_ stage: String, _ run: RunRecord?) -> PromotionRequest {
        PromotionRequest(model: "m", version: "v1.0.0", commit: CatalogStateTests.oid(1), stage: stage, run: run)
    }

    @Test func minAndMaxPerStage() throws {
        let g = try ThresholdGates.parse("stages: {}\npromotion:\n  prod:\n    mse: {max: 0.1}\n    eval.json:auc: {min: 0.8}\n", path: "mlops.yaml")
        let good = Self.run(["metrics.json": ["mse": 0.05], "eval.json": ["auc": 0.9]])
        #expect(try g.check(Self.request("prod", good)).map(\.passed) == [true, true])
        #expect(try g.check(Self.request("staging", good)).isEmpty)
        let bad = try g.check(Self.request("prod", Self.run(["metrics.json": ["mse": 0.25], "eval.json": ["auc": 0.5]])))
        #expect(bad.map(\.detail) == ["eval.json:auc 0.5 < min 0.8", "mse 0.25 > max 0.1"])
        let missing = try g.check(Self.request("prod", Self.run(["metrics.json": ["loss": 1]])))
        #expect(missing.map(\.detail) == ["eval.json:auc: not recorded by run 0123456789ab (needs >= 0.8)", "mse: not recorded by run 0123456789ab (needs <= 0.1)"])
        let twice = try g.check(Self.request("prod", Self.run(["a.json": ["mse": 0.01], "b.json": ["mse": 0.02], "eval.json": ["auc": 0.9]])))
        #expect(twice.last?.detail == "mse: found in a.json and b.json; name one as FILE:mse (needs <= 0.1)")
        #expect(try g.check(Self.request("prod", nil)).allSatisfy { !$0.passed })
    }

    @Test func malformedBlocksAreOneError() throws {
        for bad in ["promotion: [a]\n", "promotion:\n  prod: 3\n", "promotion:\n  prod:\n    mse: {below: 1}\n",
                    "promotion:\n  prod:\n    mse: {max: high}\n", "promotion:\n  'p#1':\n    mse: {max: 1}\n"] {
            #expect(throws: MLOpsError.self, "\(bad)") { try ThresholdGates.parse(bad, path: "mlops.yaml") }
        }
        #expect(try ThresholdGates.parse("stages: {}\n", path: "mlops.yaml").stages.isEmpty)
    }
}
