import Foundation
import MLOpsBasics
import Testing

@Suite struct RemoteGCRaceE2ETests {
    /// Sets the modification time of every file under `dir` to `ago` (a `touch -d` date, e.g. "3 hours ago").
    func age(_ s: Sandbox, _ dir: String, _ ago: String) throws {
        try s.ok(["find", dir, "-type", "f", "-exec", "touch", "-d", ago, "{}", "+"])
    }

    /// Issue 15's sequence: a push finds objects "already there" in an old pack that another clone's
    /// `gc --remote` retires before the push's commit lands; after the grace period, the next
    /// `gc --remote` must keep everything that commit needs, and count what it really removed.
    @Test func remoteGCKeepsWhatAPushReliedOnWhileItWasRetired() throws {
        let s = try Sandbox()
        let server = s.root + "/server.git", remote = s.root + "/data-remote"
        try s.ok(["git", "init", "-q", "--bare", server])
        let w = try s.makeRepo("work")
        try s.ok(["git", "remote", "add", "origin", server], in: w)
        try s.ok(["git", "mlops", "remote", "add", "storage", remote, "--default"], in: w)
        try s.write(w + "/data/base.bin", randomBytes(1_500_000, seed: 1))
        try s.ok(["git", "mlops", "add", "data/base.bin"], in: w)
        try s.ok(["git", "add", "-A"], in: w)
        try s.ok(["git", "commit", "-qm", "base"], in: w)
        try s.ok(["git", "mlops", "push"], in: w)
        try s.ok(["git", "push", "-q", "-u", "origin", "main"], in: w)

        // 1. Data on a branch that is then deleted everywhere: garbage, in an old pack.
        let garbage = randomBytes(2_000_000, seed: 2), other = randomBytes(1_000_000, seed: 3)
        try s.ok(["git", "checkout", "-q", "-b", "scratch"], in: w)
        try s.write(w + "/data/garbage.bin", garbage)
        try s.write(w + "/data/other.bin", other)
        try s.ok(["git", "mlops", "add", "data/garbage.bin", "data/other.bin"], in: w)
        try s.ok(["git", "add", "-A"], in: w)
        try s.ok(["git", "commit", "-qm", "scratch"], in: w)
        try s.ok(["git", "mlops", "push"], in: w)
        try s.ok(["git", "push", "-q", "origin", "scratch"], in: w)
        try s.ok(["git", "checkout", "-q", "main"], in: w)
        try s.ok(["git", "branch", "-q", "-D", "scratch"], in: w)
        try s.ok(["git", "push", "-q", "origin", "--delete", "scratch"], in: w)
        try age(s, remote, "3 hours ago")

        // 2. Two clones; A reuses the garbage's content in a new commit and pushes its data.
        for c in ["a", "b"] {
            try s.ok(["git", "clone", "-q", server, s.root + "/" + c])
            try s.ok(["git", "mlops", "pull"], in: s.root + "/" + c)
        }
        let a = s.root + "/a", b = s.root + "/b"
        try s.write(a + "/data/reuse.bin", garbage)
        try s.write(a + "/data/new.bin", randomBytes(800_000, seed: 4))
        try s.ok(["git", "mlops", "add", "data/reuse.bin", "data/new.bin"], in: a)
        try s.ok(["git", "add", "-A"], in: a)
        try s.ok(["git", "commit", "-qm", "reuse"], in: a)
        let pushed = try JSON.parse(try s.ok(["git", "mlops", "push", "--json"], in: a).stdout)
        #expect((pushed["already_there"]?.int ?? 0) > 2, "the push relies on the old pack: \(pushed)")

        // 3. B retires the old pack (nothing B knows reaches it); then A's commit lands.
        let phase1 = try JSON.parse(try s.ok(["git", "mlops", "gc", "--remote", "storage", "--json"], in: b).stdout)
        #expect((phase1["packs_retired"]?.int ?? 0) >= 1, "\(phase1)")
        #expect(try FS.listDirectory(remote + "/trash").count >= 1)
        try s.ok(["git", "push", "-q", "origin", "main"], in: a)

        // 4. B fetches, the trash ages past the grace period, B collects again.
        try s.ok(["git", "fetch", "-q"], in: b)
        try age(s, remote + "/trash", "3 hours ago")
        let phase2 = try JSON.parse(try s.ok(["git", "mlops", "gc", "--remote", "storage", "--json"], in: b).stdout)
        #expect((phase2["packs_deleted"]?.int ?? 0) >= 1, "\(phase2)")
        #expect((phase2["objects_rescued"]?.int ?? 0) > 2, "reuse.bin's manifest and its chunks are rescued: \(phase2)")
        // Only other.bin is garbage now: random bytes do not compress, so its records hold its size plus headers.
        let removed = phase2["bytes_removed"]?.int ?? -1
        #expect(removed >= other.count && removed < other.count + 64 * 1024, "bytes_removed counts other.bin: \(phase2)")
        let trash = FS.isDirectory(remote + "/trash") ? try FS.listDirectory(remote + "/trash") : []
        #expect(trash.isEmpty, "\(trash.map(\.name))")

        // 5. A fresh clone gets everything.
        try s.ok(["git", "clone", "-q", server, s.root + "/c"])
        let c = s.root + "/c"
        try s.ok(["git", "mlops", "pull"], in: c)
        #expect(try s.read(c + "/data/reuse.bin") == garbage)
        #expect(try s.fingerprint(c + "/data") == s.fingerprint(a + "/data"))
        #expect(try s.ok(["git", "mlops", "fsck"], in: c).stdout.hasPrefix("ok: "))
    }
}
