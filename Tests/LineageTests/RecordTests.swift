import GitBridge
import MLOpsBasics
import Testing
@testable import Lineage

@Suite struct RecordTests {
    static func record(id: String = "00000000000000aa", stage: String = "train", extra: [String: JSON] = [:]) -> RunRecord {
        var f: [String: JSON] = [
            "schema": .string(RunRecord.schema), "id": .string(id), "stage": .string(stage), "cmd": "python3 train.py",
            "key": "k", "params": ["train.lr": 0.1, "train.epochs": 20],
            "code": ["commit": "1111111111111111111111111111111111111111", "dirty": true,
                     "deps": [["path": "train.py", "blob": "2222222222222222222222222222222222222222"]]],
            "inputs": [["path": "data/prepared", "oid": .string("sha256:" + String(repeating: "ab", count: 32)), "size": 10, "type": "dir", "files": 2]],
            "outputs": [["path": "model.npy", "oid": .string("sha256:" + String(repeating: "cd", count: 32)), "size": 152, "type": "file"]],
            "metrics": ["metrics.json": ["mse": 0.25]],
            "started": "2025-06-01T12:00:03.123Z", "duration": 1.5, "exit": 0, "user": "u", "host": "h",
        ]
        for (k, v) in extra { f[k] = v }
        return RunRecord(fields: f)
    }

    @Test func canonicalFormIsOneSortedLineThatReadsBack() throws {
        let r = Self.record()
        let line = r.line
        #expect(!line.contains("\n") && !line.contains(": ") && !line.contains(", "))
        #expect(line.hasPrefix(#"{"cmd":"python3 train.py","code":{"commit":"1111111111111111111111111111111111111111","deps":[{"blob":"#))
        #expect(line.hasSuffix(#""stage":"train","started":"2025-06-01T12:00:03.123Z","user":"u"}"#))
        let back = try RunRecord(line: line)
        #expect(back == r)
        #expect(back.line == line)
        #expect(back.outputs.first?.oid?.hex == String(repeating: "cd", count: 32))
        #expect(back.inputs.first?.files == 2)
        #expect(back.codeDeps == [CodeDep(path: "train.py", blob: "2222222222222222222222222222222222222222")])
        #expect(back.params["train.lr"] == .double(0.1))
        #expect(back.schemaVersion == 1)
    }

    @Test func newerRecordsKeepTheirUnknownFields() throws {
        let newer = Self.record(extra: ["schema": "https://git-mlops.dev/spec/run/v7", "gpu": ["name": "H100"]]).line
        let r = try RunRecord(line: newer)
        #expect(r.schemaVersion == 7 && r.stage == "train")
        let attached = r.attached(to: try #require(GitOIDFixture.a), tree: try #require(GitOIDFixture.b))
        #expect(attached.fields["gpu"] == ["name": "H100"])
        #expect(attached.commit == GitOIDFixture.a?.hex && !attached.dirty)
        #expect(attached.code["base"] == "1111111111111111111111111111111111111111")
        #expect(attached.codeDeps == r.codeDeps)
    }

    @Test func aBadLineIsReportedAndTheRestRead() {
        let good1 = Self.record(id: "01").line, good2 = Self.record(id: "02", stage: "prepare").line
        let text = [good1, "", "this is not json {", #"{"id":"x"}"#, #"{"schema":"https://git-mlops.dev/spec/run/v1","id":"y","cmd":"c"}"#, "[1,2]", good2].joined(separator: "\n") + "\n"
        let (records, problems) = RunRecord.parseNote(text, source: "note on 1a2b3c4d5e")
        #expect(records.map(\.id) == ["01", "02"])
        #expect(problems.map(\.description) == [
            "note on 1a2b3c4d5e, line 3: not JSON (invalid JSON at byte 0: unexpected token); skipped",
            "note on 1a2b3c4d5e, line 4: not a git-mlops run record (no `schema` https://git-mlops.dev/spec/run/vN); skipped",
            "note on 1a2b3c4d5e, line 5: run record without `stage`; skipped",
            "note on 1a2b3c4d5e, line 6: not a JSON object; skipped",
        ])
    }

    /// git's cat_sort_uniq merge concatenates both notes, sorts the lines and drops duplicates: with
    /// notes already in that form, a merge is the plain union, whichever side merges.
    @Test func notesMergeByLineUnion() {
        let a = Self.record(id: "0a").line, b = Self.record(id: "0b").line, c = Self.record(id: "0c").line
        let ours = RunRecord.noteText([c, a]), theirs = RunRecord.noteText([b, a, a])
        #expect(ours == a + "\n" + c + "\n")
        func catSortUniq(_ x: String, _ y: String) -> String {
            RunRecord.noteText((x + y).split(separator: "\n").map(String.init))
        }
        #expect(catSortUniq(ours, theirs) == catSortUniq(theirs, ours))
        #expect(catSortUniq(ours, theirs) == [a, b, c].joined(separator: "\n") + "\n")
    }

    @Test func cacheKeyDependsOnExactlyTheInputs() {
        let base = RunRecord.cacheKey(cmd: "python3 train.py", wdir: "", deps: ["train.py": "blob:aa", "data": "sha256:bb"],
                                      params: ["train.lr": 0.1], outs: ["model.npy"], metrics: ["m.json"])
        // Pinned: changing how the key is computed invalidates every run cache, so it must be deliberate.
        // Same as Python's sha256(json.dumps(obj, sort_keys=True, separators=(",", ":"))) (docs/lineage.md).
        #expect(base == "ace8312a0f1c1fc8529c66e3cf6526d125f134cb3bd51ff47c949d2a36ee8f20")
        #expect(base == RunRecord.cacheKey(cmd: "python3 train.py", wdir: "", deps: ["data": "sha256:bb", "train.py": "blob:aa"],
                                          params: ["train.lr": 0.1], outs: ["model.npy"], metrics: ["m.json"]))
        let variants = [
            RunRecord.cacheKey(cmd: "python3 train.py ", wdir: "", deps: ["train.py": "blob:aa", "data": "sha256:bb"], params: ["train.lr": 0.1], outs: ["model.npy"], metrics: ["m.json"]),
            RunRecord.cacheKey(cmd: "python3 train.py", wdir: "src", deps: ["train.py": "blob:aa", "data": "sha256:bb"], params: ["train.lr": 0.1], outs: ["model.npy"], metrics: ["m.json"]),
            RunRecord.cacheKey(cmd: "python3 train.py", wdir: "", deps: ["train.py": "blob:ab", "data": "sha256:bb"], params: ["train.lr": 0.1], outs: ["model.npy"], metrics: ["m.json"]),
            RunRecord.cacheKey(cmd: "python3 train.py", wdir: "", deps: ["train.py": "blob:aa"], params: ["train.lr": 0.1], outs: ["model.npy"], metrics: ["m.json"]),
            RunRecord.cacheKey(cmd: "python3 train.py", wdir: "", deps: ["train.py": "blob:aa", "data": "sha256:bb"], params: ["train.lr": 0.2], outs: ["model.npy"], metrics: ["m.json"]),
            RunRecord.cacheKey(cmd: "python3 train.py", wdir: "", deps: ["train.py": "blob:aa", "data": "sha256:bb"], params: ["train.lr": "0.1"], outs: ["model.npy"], metrics: ["m.json"]),
            RunRecord.cacheKey(cmd: "python3 train.py", wdir: "", deps: ["train.py": "blob:aa", "data": "sha256:bb"], params: ["train.lr": 0.1], outs: ["model.bin"], metrics: ["m.json"]),
        ]
        #expect(Set(variants + [base]).count == variants.count + 1)
    }

    /// Searches run on the canonical text before anything is parsed.
    @Test func textSearchBeforeParsing() {
        let line = Self.record(extra: ["metric_files": []]).line
        #expect(fastContains(line, #""stage":"train""#) && !fastContains(line, #""stage":"prepare""#))
        let input = "sha256:" + String(repeating: "ab", count: 32), output = "sha256:" + String(repeating: "cd", count: 32)
        #expect(mayWrite(line, output) && !mayWrite(line, input))
        #expect(fastFind("abcabc", "c", from: 3) == 5 && fastFind("ab", "abc") == nil && fastFind("", "a") == nil)
        #expect(fastFind("naïve ↯ json", "↯") == 7)
    }

    @Test func codeDirectoryDigestIgnoresListingOrder() {
        let a = CodeHasher.digest([("b.py", "22"), ("a.py", "11"), ("sub/c.py", "33")])
        let b = CodeHasher.digest([("sub/c.py", "33"), ("a.py", "11"), ("b.py", "22")])
        #expect(a == b)
        #expect(a != CodeHasher.digest([("a.py", "11"), ("b.py", "22")]))
        #expect(a == ObjectID.hashing("11 a.py\n22 b.py\n33 sub/c.py\n").hex)
    }

    @Test func interpreterIsToldFromTheCommand() {
        #expect(RunEnvironment.program(of: "PYTHONHASHSEED=0 env OMP_NUM_THREADS=1 python3.11 -u train.py") == "python3.11")
        #expect(RunEnvironment.program(of: "./run.sh --fast") == "./run.sh")
        let env = RunEnvironment(toolVersion: "9.9")
        #expect(env.interpreter(of: "sh -c true") == nil)
        #expect(env.interpreter(of: "make all") == nil)
        #expect(env.describe("true")["git_mlops"] == "9.9")
    }
}

enum GitOIDFixture {
    static let a = GitOID(hex: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
    static let b = GitOID(hex: "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb")
}
