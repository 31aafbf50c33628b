import Foundation
import MLOpsBasics
import Testing

@Suite struct RepairE2ETests {
    /// A repository with a model, a directory and a table, committed and pushed to a directory remote.
    func pushedRepo(_ s: Sandbox) throws -> (repo: String, remote: String) {
        let repo = try s.makeRepo()
        let remote = s.root + "/data-remote"
        try s.ok(["git", "mlops", "remote", "add", "storage", remote, "--default"], in: repo)
        try s.write(repo + "/model.bin", randomBytes(2_000_000, seed: 1))
        for i in 0..<30 { try s.write(repo + "/images/\(i).png", randomBytes(2000 + i, seed: UInt64(20 + i))) }
        try s.write(repo + "/table.csv", String(repeating: "id,value\n1,2.5\n", count: 20_000))
        try s.ok(["git", "mlops", "add", "model.bin", "images", "table.csv"], in: repo)
        try s.ok(["git", "add", "-A"], in: repo)
        try s.ok(["git", "commit", "-qm", "data"], in: repo)
        try s.ok(["git", "mlops", "push", "--no-notes"], in: repo)
        return (repo, remote)
    }

    func packs(_ repo: String) throws -> [(name: String, size: Int64)] {
        try FS.listDirectory(repo + "/.git/mlops/packs").filter { $0.name.hasSuffix(".pack") }
            .map { (String($0.name.dropLast(5)), FS.stat(repo + "/.git/mlops/packs/" + $0.name)!.size) }.sorted { $0.name < $1.name }
    }

    /// Issue 15: after a local pack is truncated, status and fsck name it, checkout refuses it and points
    /// to `fsck --repair`, which keeps what still verifies, fetches the rest from the remote, and leaves
    /// a cache that checks out byte for byte.
    @Test func aTruncatedPackIsRepairedFromTheRemote() throws {
        let s = try Sandbox()
        let (repo, _) = try pushedRepo(s)
        let expected = try s.fingerprint(repo)
        let all = try packs(repo)
        #expect(all.count == 1, "\(all)")
        let pack = repo + "/.git/mlops/packs/\(all[0].name).pack"
        #expect(truncate(pack, off_t(all[0].size / 2)) == 0)

        let status = try s.ok(["git", "mlops", "status"], in: repo).stdout
        #expect(status.contains("damaged in cache:        ") && status.hasSuffix("hint: `git mlops fsck --repair` restores damaged data from a remote\n"), "\(status)")
        // gc neither repacks around the damage nor calls the cache fine.
        let gc = try s.fails(["git", "mlops", "gc"], in: repo)
        #expect(gc.stderr == "error: pack \(all[0].name) is damaged (the pack is not as long as its index says); run `git mlops fsck --repair` to drop damaged data and fetch it again from a remote, then gc\n", "\(gc)")
        #expect(FS.stat(pack)?.size == all[0].size / 2, "gc left the pack alone")
        let fsck = try s.fails(["git", "mlops", "fsck"], in: repo)
        #expect(fsck.stdout.contains("pack is truncated") && fsck.stdout.contains("its index says"), "\(fsck)")
        #expect(fsck.stderr.hasSuffix("run `git mlops fsck --repair` to drop damaged data and fetch it again from a remote\n"), "\(fsck)")
        try FS.remove(repo + "/model.bin")
        try FS.removeTree(repo + "/images")
        let co = try s.fails(["git", "mlops", "checkout"], in: repo)
        #expect(co.stderr.contains("run `git mlops fsck --repair` to restore it from a remote"), "\(co)")

        let r = try s.ok(["git", "mlops", "fsck", "--repair", "--json"], in: repo)
        let j = try JSON.parse(r.stdout)
        let repair = j["repair"]
        #expect(repair?["dropped_packs"]?.array?.count == 1 && (repair?["salvaged"]?.int ?? 0) > 0 && (repair?["fetched"]?.int ?? 0) > 0, "\(r)")
        #expect(repair?["remote"]?.string == "storage" && repair?["unrecoverable"]?.array?.isEmpty == true, "\(r)")
        #expect(j["problems"]?.array?.isEmpty == true, "\(r)")
        #expect(!(try packs(repo)).contains { $0.name == all[0].name }, "the damaged pack is gone")

        try s.ok(["git", "mlops", "checkout"], in: repo)
        #expect(try s.fingerprint(repo) == expected)
        #expect(try s.ok(["git", "mlops", "fsck"], in: repo).stdout.hasPrefix("ok: "))
        #expect(try s.ok(["git", "mlops", "status"], in: repo).stdout == "")
        // Nothing left to do: a second repair changes nothing.
        #expect(try s.ok(["git", "mlops", "fsck", "--repair"], in: repo).stdout.hasPrefix("repair: dropped 0 damaged packs, kept 0 objects that still verify, fetched 0 objects\n"))
    }

    /// Data that only this cache held: repair keeps every object that still verifies, names what is
    /// lost, and exits 1. A bad index alone loses nothing: the pack is read record by record.
    @Test func repairNamesWhatNoRemoteHasAndRebuildsABadIndex() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo()
        for i in 0..<10 { try s.write(repo + "/notes/\(i).txt", "note \(i)\n") }
        try s.ok(["git", "mlops", "add", "notes"], in: repo)
        let p = try packs(repo)[0]
        try s.write(repo + "/local.bin", randomBytes(1_500_000, seed: 5))
        try s.ok(["git", "mlops", "add", "local.bin"], in: repo)
        try s.ok(["git", "add", "-A"], in: repo)
        try s.ok(["git", "commit", "-qm", "local only"], in: repo)
        let expected = try s.fingerprint(repo)

        // A flipped checksum byte: the index is bad, the pack is fine.
        let idx = repo + "/.git/mlops/packs/\(p.name).idx"
        chmod(idx, 0o644)
        var bytes = try s.read(idx)
        bytes[bytes.count - 1] ^= 0xff
        try s.write(idx, bytes)
        #expect(try s.fails(["git", "mlops", "fsck"], in: repo).stdout.contains("bad-index (pack \(p.name))"))
        let rebuilt = try s.ok(["git", "mlops", "fsck", "--repair"], in: repo).stdout
        #expect(rebuilt.hasPrefix("repair: dropped 1 damaged pack, kept ") && rebuilt.contains("fetched 0 objects\n") && rebuilt.hasSuffix(" verified\n"), "\(rebuilt)")
        try FS.remove(repo + "/local.bin")
        try FS.removeTree(repo + "/notes")
        try s.ok(["git", "mlops", "checkout"], in: repo)
        #expect(try s.fingerprint(repo) == expected)

        // A truncated pack, and no remote: local.bin's tail is lost, what verifies is kept, the notes are fine.
        let q = try packs(repo).max { $0.size < $1.size }!
        let pack = repo + "/.git/mlops/packs/\(q.name).pack"
        chmod(pack, 0o644)
        #expect(truncate(pack, off_t(q.size - 300_000)) == 0)
        let lost = try s.run(["git", "mlops", "fsck", "--repair"], in: repo)
        #expect(lost.status == 1, "\(lost)")
        #expect(lost.stdout.hasPrefix("repair: dropped 1 damaged pack, kept ") && !lost.stdout.hasPrefix("repair: dropped 1 damaged pack, kept 0 "), "\(lost)")
        #expect(lost.stdout.contains("\nlost ") && lost.stdout.contains(": no data remote to fetch it from\n"), "\(lost)")
        #expect(lost.stdout.contains("affected: local.bin: "), "\(lost)")
        #expect(lost.stderr.hasPrefix("error: ") && lost.stderr.contains("could not be recovered"), "\(lost)")
        try FS.removeTree(repo + "/notes")
        try s.ok(["git", "mlops", "checkout", "notes"], in: repo)
        #expect(try String(decoding: s.read(repo + "/notes/3.txt"), as: UTF8.self) == "note 3\n")
    }

    /// An index whose header no longer matches its length cannot even be opened: the cache still opens,
    /// fsck names the index and the fix, gc refuses to touch the pack, and `fsck --repair` (the fix the
    /// error names) rewrites the pack's objects from its records, with nothing lost and no remote.
    @Test func anUnopenableIndexIsRebuiltFromItsPackByTheRepairItsErrorNames() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo()
        for i in 0..<10 { try s.write(repo + "/notes/\(i).txt", "note \(i)\n") }
        try s.ok(["git", "mlops", "add", "notes"], in: repo)
        try s.ok(["git", "add", "-A"], in: repo)
        try s.ok(["git", "commit", "-qm", "notes"], in: repo)
        let expected = try s.fingerprint(repo)
        let p = try #require(try packs(repo).first)
        let idx = repo + "/.git/mlops/packs/\(p.name).idx"
        chmod(idx, 0o644)
        var bytes = try s.read(idx)
        bytes[12] = 0xff; bytes[13] = 0xff  // the row count: the length no longer matches
        try s.write(idx, bytes)

        let fsck = try s.fails(["git", "mlops", "fsck"], in: repo)
        #expect(fsck.stdout.contains("bad-index (pack \(p.name)): \(idx) is not a valid pack index (its length"), "\(fsck)")
        #expect(fsck.stdout.contains("run `git mlops fsck --repair`"), "\(fsck)")
        let gc = try s.fails(["git", "mlops", "gc"], in: repo)
        #expect(gc.stderr.hasPrefix("error: \(idx) is not a valid pack index"), "\(gc)")
        #expect(FS.exists(repo + "/.git/mlops/packs/\(p.name).pack"), "gc left the pack alone")

        let repaired = try s.ok(["git", "mlops", "fsck", "--repair"], in: repo).stdout
        #expect(repaired.hasPrefix("repair: dropped 1 damaged pack, kept ") && repaired.contains(" objects that still verify, fetched 0 objects\n")
                 && !repaired.contains("lost"), "\(repaired)")
        try s.ok(["git", "mlops", "fsck"], in: repo)
        try FS.removeTree(repo + "/notes")
        try s.ok(["git", "mlops", "checkout"], in: repo)
        #expect(try s.fingerprint(repo) == expected)
    }

    /// One object missing on the remote holds back only the path that needs it.
    @Test func pullChecksOutWhatItCanAndNamesTheRest() throws {
        let s = try Sandbox()
        let (repo, _) = try pushedRepo(s)
        try s.ok(["git", "init", "-q", "--bare", s.root + "/server.git"])
        try s.ok(["git", "remote", "add", "origin", s.root + "/server.git"], in: repo)
        // A commit whose data was never pushed.
        try s.write(repo + "/unpushed.bin", randomBytes(300_000, seed: 9))
        try s.ok(["git", "mlops", "add", "unpushed.bin"], in: repo)
        try s.ok(["git", "add", "-A"], in: repo)
        try s.ok(["git", "commit", "-qm", "forgot to push the data"], in: repo)
        try s.ok(["git", "push", "-q", "-u", "origin", "main"], in: repo)

        try s.ok(["git", "clone", "-q", s.root + "/server.git", s.root + "/clone"])
        let clone = s.root + "/clone"
        let pull = try s.fails(["git", "mlops", "pull"], in: clone)
        #expect(pull.stderr.hasPrefix("error: ") && pull.stderr.contains(" not on remote 'storage'"), "\(pull)")
        #expect(pull.stderr.contains("; not checked out: unpushed.bin; 32 files written, 0 unchanged; push them from a clone that has them (`git mlops push --rev "), "\(pull)")
        #expect(pull.stderr.split(separator: "\n").count == 1)
        #expect(try s.read(clone + "/model.bin") == s.read(repo + "/model.bin"))
        #expect(try s.fingerprint(clone + "/images") == s.fingerprint(repo + "/images"))
        #expect(!FS.exists(clone + "/unpushed.bin"))

        try s.ok(["git", "mlops", "push", "--no-notes"], in: repo)
        try s.ok(["git", "mlops", "pull"], in: clone)
        #expect(try s.read(clone + "/unpushed.bin") == s.read(repo + "/unpushed.bin"))
    }

    /// A cache may hold a manifest whose chunks it never fetched (a whole remote pack adopted by a pull
    /// brings the manifests of other versions). fsck reports those chunks missing only while a kept
    /// version needs them.
    @Test func fsckReportsMissingOnlyWhatAKeptVersionNeeds() throws {
        let s = try Sandbox()
        let (repo, _) = try pushedRepo(s)
        try s.ok(["git", "init", "-q", "--bare", s.root + "/server.git"])
        try s.ok(["git", "remote", "add", "origin", s.root + "/server.git"], in: repo)
        try s.ok(["git", "push", "-q", "-u", "origin", "main"], in: repo)
        try s.ok(["git", "checkout", "-q", "-b", "old"], in: repo)
        try s.write(repo + "/old.bin", randomBytes(1_200_000, seed: 11))
        try s.ok(["git", "mlops", "add", "old.bin"], in: repo)
        try s.ok(["git", "add", "-A"], in: repo)
        try s.ok(["git", "commit", "-qm", "an old experiment"], in: repo)
        try s.ok(["git", "mlops", "push", "--no-notes"], in: repo)
        try s.ok(["git", "push", "-q", "origin", "old"], in: repo)
        let old = try s.ok(["git", "rev-parse", "HEAD"], in: repo).stdout.trimmingCharacters(in: .whitespacesAndNewlines)

        try s.ok(["git", "clone", "-q", s.root + "/server.git", s.root + "/clone"])
        let clone = s.root + "/clone"
        try s.ok(["git", "mlops", "pull"], in: clone)
        #expect(try s.ok(["git", "mlops", "fsck"], in: clone).stdout.hasPrefix("ok: "))
        // The old version's manifest arrives in a pack of its own, its chunks in another; drop the latter.
        let before = Set(try packs(clone).map(\.name))
        try s.ok(["git", "mlops", "fetch", "--no-notes", "--rev", old], in: clone)
        let added = try packs(clone).filter { !before.contains($0.name) }.sorted { $0.size < $1.size }
        #expect(added.count == 2, "\(added)")
        for ext in ["idx", "pack"] { try FS.remove(clone + "/.git/mlops/packs/\(added[1].name).\(ext)") }

        let kept = try s.fails(["git", "mlops", "fsck"], in: clone)
        #expect(kept.stdout.contains("missing ") && kept.stdout.contains("chunk of file"), "a kept version (origin/old) lacks its chunks: \(kept)")
        try s.ok(["git", "push", "-q", "origin", "--delete", "old"], in: repo)
        try s.ok(["git", "fetch", "-q", "--prune"], in: clone)
        #expect(try s.ok(["git", "mlops", "fsck"], in: clone).stdout.hasPrefix("ok: "), "nothing keeps the old version any more")
    }
}
