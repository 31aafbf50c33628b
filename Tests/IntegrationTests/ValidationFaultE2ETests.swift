import Foundation
import MLOpsBasics
import ObjectStore
import Store
import Testing

@Suite struct ValidationFaultE2ETests {
    /// The id a pointer file names.
    func pointerID(_ path: String) throws -> ObjectID {
        let text = String(decoding: try FS.readFile(path), as: UTF8.self)
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("oid sha256:") })
        return try #require(ObjectID(hex: line.dropFirst("oid sha256:".count)))
    }

    /// Bad tables are stored (the data is the user's) with one warning naming the file and line and no
    /// profile; `validate` then reports what is wrong with them as a failed check.
    @Test func malformedTablesAreStoredWithAWarningAndFailValidation() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo()
        var ragged = "a,b,c\n"
        for i in 0..<50 { ragged += "\(i),x,y\n" }
        try s.write(repo + "/t/ragged.csv", ragged + "1,2\n")
        try s.write(repo + "/t/latin1.csv", [UInt8]("a,b\n1,caf".utf8) + [0xE9] + [UInt8]("\n".utf8))
        try s.write(repo + "/t/empty.csv", "")
        try s.write(repo + "/t/broken.jsonl", "{\"a\": 1}\n{\"a\": }\n")
        var header = Array("{'descr': '<f8', 'fortran_order': False, 'shape': (1000000, 3), }".utf8)
        while (10 + header.count + 1) % 64 != 0 { header.append(0x20) }
        header.append(0x0A)
        try s.write(repo + "/t/lying.npy", [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.count), 0] + header + [UInt8](repeating: 0, count: 64))
        let fd = try FileDescriptor.open(repo + "/t/longline.csv", O_WRONLY | O_CREAT | O_TRUNC)
        try fd.writeAll(Array("a,b\n1,2\n".utf8) + [UInt8](repeating: UInt8(ascii: "x"), count: 100 << 20) + Array(",1\n".utf8))
        fd.close()
        let expected = [
            "ragged.csv": "t/ragged.csv:52: row has 2 fields, the header has 3",
            "latin1.csv": "t/latin1.csv:2: invalid UTF-8 (byte 0xe9)",
            "empty.csv": "t/empty.csv: the file is empty",
            "broken.jsonl": "t/broken.jsonl:2: invalid JSON at byte 7 of the line: expected a value",
            "lying.npy": "t/lying.npy: not a valid .npy file: the header promises [1000000, 3] of 8-byte items",
            "longline.csv": "t/longline.csv:3: a record is longer than 16.0 MiB, the limit",
        ]
        var yaml = "checks:\n"
        for name in expected.keys.sorted() {
            yaml += "  t/\(name): {rows: {min: 1}}\n"
            let add = try s.ok(["git", "mlops", "add", "t/" + name], in: repo)
            let warnings = add.stderr.split(separator: "\n").filter { $0.hasPrefix("warning: ") }
            #expect(warnings.count == 1 && warnings[0].hasPrefix("warning: stored, but not profiled: \(expected[name]!)"), "\(name): \(add)")
            let id = try pointerID(repo + "/t/\(name).mlops")
            let store = try Store(root: repo + "/.git/mlops")
            #expect(store.contains(id) && !store.hasProfile(of: id), "\(name): the data is stored, no profile is")
        }
        try s.write(repo + "/mlops.yaml", yaml)
        let v = try s.fails(["git", "mlops", "validate"], in: repo)
        for (name, message) in expected {
            #expect(v.stderr.contains("error: t/\(name): readable: \(message)"), "\(name): \(v)")
        }
    }

    /// A forged profile object is refused: one whose check line lies fails like any corrupt object
    /// (locally, in fsck, and when fetched from a remote); one that is intact but not a valid profile
    /// is refused when read.
    @Test func forgedProfilesAreRefused() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo()
        try s.ok(["git", "config", "mlops.profile.enabled", "false"], in: repo)
        try s.write(repo + "/a.csv", "x\n1\n2\n")
        try s.write(repo + "/b.csv", "x\n3\n4\n")
        try s.ok(["git", "mlops", "add", "a.csv", "b.csv"], in: repo)
        let a = try pointerID(repo + "/a.csv.mlops"), b = try pointerID(repo + "/b.csv.mlops")
        let store = try Store(root: repo + "/.git/mlops")
        #expect(!store.hasProfile(of: a) && !store.hasProfile(of: b), "profiling was off")

        // a: a real profile object, its JSON changed afterwards (the check line no longer matches).
        var forged = ProfileObject(data: a, json: Array("{\"profile\":1}".utf8)).encode()
        forged[forged.count - 80] ^= 1
        // b: intact, for b, but its JSON is not a profile.
        let notAProfile = ProfileObject(data: b, json: Array("{\"profile\":1,\"rows\":-5}".utf8)).encode()
        let w = store.writer()
        let c = Compressor()
        _ = try w.put(id: ProfileObject.key(for: a), kind: .profile, bytes: forged, compressor: c)
        _ = try w.put(id: ProfileObject.key(for: b), kind: .profile, bytes: notAProfile, compressor: c)
        try w.finish()

        try s.write(repo + "/mlops.yaml", "checks:\n  a.csv: {rows: {min: 1}}\n  b.csv: {rows: {min: 1}}\n")
        let v = try s.fails(["git", "mlops", "validate"], in: repo)
        #expect(v.stderr.contains("error: a.csv: readable: object \(ProfileObject.key(for: a).hex) in pack") && v.stderr.contains("check line"), "\(v)")
        #expect(v.stderr.contains("error: b.csv: readable: the stored profile of b.csv (object \(ProfileObject.key(for: b).short)): not a valid profile"), "\(v)")
        let fsck = try s.fails(["git", "mlops", "fsck"], in: repo)
        #expect(fsck.stdout.contains("corrupt \(ProfileObject.key(for: a).hex)"), "\(fsck)")

        // Sent to a remote as they are, then fetched by a clone: the lying object is refused there.
        try s.ok(["git", "add", "-A"], in: repo)
        try s.ok(["git", "commit", "-qm", "data"], in: repo)
        try s.ok(["git", "mlops", "remote", "add", "storage", s.root + "/data-remote", "--default"], in: repo)
        try s.ok(["git", "mlops", "push", "--no-notes"], in: repo)
        let clone = s.root + "/clone"
        try s.ok(["git", "clone", "-q", repo, clone])
        try s.ok(["git", "mlops", "remote", "add", "storage", s.root + "/data-remote", "--default"], in: clone)
        let pull = try s.fails(["git", "mlops", "pull"], in: clone)
        #expect(pull.stderr.contains("object \(ProfileObject.key(for: a).hex) is corrupt (") && pull.stderr.contains("check line"), "\(pull)")
        #expect(!(try Store(root: clone + "/.git/mlops").contains(ProfileObject.key(for: a))), "nothing was kept for it")
    }

    /// `kill -9` while add stores and profiles a table: the cache checks out clean, and add run again
    /// stores the data and its profile.
    @Test func aKilledAddWithProfilingLeavesAConsistentCache() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo()
        try s.write(repo + "/big.csv", table(rows: 400_000, seed: 9))
        let cache = repo + "/.git/mlops"
        let small = ["GIT_MLOPS_PACK_SIZE": "1048576"]
        let run = try GitMLOpsRun(s, ["add", "big.csv"], in: repo, env: small)
        defer { run.cleanUp() }
        try run.stop(when: "a temporary pack") { ((try? FS.listDirectory(cache + "/tmp")) ?? []).contains { $0.name.hasSuffix(".pack") } }
        #expect(!FS.exists(repo + "/big.csv.mlops"))
        try run.kill9(.gitMLOps)
        let fsck = try s.run(["git", "mlops", "fsck"], in: repo)
        #expect(!fsck.stdout.contains("corrupt"), "\(fsck)")
        try s.ok(["git", "mlops", "add", "big.csv"], in: repo, env: small)
        let id = try pointerID(repo + "/big.csv.mlops")
        #expect(try Store(root: cache).hasProfile(of: id))
        #expect(try s.ok(["git", "mlops", "fsck"], in: repo).stdout.hasPrefix("ok: "))
        try s.write(repo + "/mlops.yaml", "checks:\n  big.csv: {rows: {min: 400000, max: 400000}}\n")
        #expect(try s.ok(["git", "mlops", "validate"], in: repo).stdout.contains("400000 rows"))
        // gc keeps the profile of kept data.
        try s.ok(["git", "add", "-A"], in: repo)
        try s.ok(["git", "commit", "-qm", "big"], in: repo)
        try s.ok(["git", "mlops", "gc"], in: repo)
        #expect(try Store(root: cache).hasProfile(of: id))
    }

    /// A directory gets a profile per table and a merged one; the same bytes are profiled once.
    @Test func aDirectoryGetsAProfilePerTableAndAMergedOne() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo()
        try s.write(repo + "/d/a.csv", "x,y\n1,a\n2,b\n")
        try s.write(repo + "/d/sub/b.csv", "x,y\n3,c\n")
        try s.write(repo + "/d/notes.txt", "hello")
        try s.write(repo + "/d/skip.csv", "x\n9\n")
        try s.ok(["git", "config", "mlops.profile.exclude", "skip.csv"], in: repo)
        try s.ok(["git", "mlops", "add", "d"], in: repo)
        let store = try Store(root: repo + "/.git/mlops")
        let dir = try pointerID(repo + "/d.mlops")
        let object = try #require(try store.profileObject(of: dir))
        #expect(object.parts.map(\.path) == ["a.csv", "sub/b.csv"])
        #expect(object.parts.allSatisfy { store.hasProfile(of: $0.id) })
        let json = try JSON.parse(String(decoding: object.json, as: UTF8.self))
        #expect(json["rows"] == .int(3) && json["files"] == .int(2))
        try s.write(repo + "/mlops.yaml", "checks:\n  d/*.csv: {rows: {min: 2}}\n  d: {rows: {min: 3}}\n")
        let v = try s.fails(["git", "mlops", "validate", "--json"], in: repo)
        let findings = try JSON.parse(v.stdout)["findings"]?.array ?? []
        #expect(findings.map { "\($0["subject"]?.string ?? "") \($0["verdict"]?.string ?? "")" }.sorted()
                == ["d pass", "d/a.csv pass", "d/skip.csv fail"], "\(v)")
    }
}
