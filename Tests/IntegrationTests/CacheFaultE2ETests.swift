import Foundation
import MLOpsBasics
import Testing

/// Mounts for fault tests: a directory made read-only in place (a bind mount remounted read-only), or a
/// small tmpfs that fills up. Root ignores permission bits, so `chmod` cannot make a cache read-only.
final class TestMount {
    let dir: String
    private var mounted = true

    /// Whether this process may mount (root with CAP_SYS_ADMIN, as in the test VM).
    static let allowed: Bool = {
        let probe = (FS.realpath(NSTemporaryDirectory()) ?? "/tmp") + "/mlops-mount-probe-\(getpid())"
        try? FS.mkdirs(probe)
        defer { try? FS.removeTree(probe) }
        guard let m = try? TestMount(tmpfs: probe, size: "1m") else { return false }
        m.unmount()
        return true
    }()
    static let reason: Comment = "this process may not mount (needs root with CAP_SYS_ADMIN): the test needs a read-only bind mount or a small tmpfs"

    private static func run(_ argv: [String]) throws {
        let r = try ProcessRunner.capture(argv, cwd: "/", env: ProcessInfo.processInfo.environment)
        guard r.status == 0 else { throw MLOpsError("\(argv.joined(separator: " ")) failed: \(r.stderr)") }
    }

    /// `dir` becomes read-only where it is.
    init(readOnly dir: String) throws {
        self.dir = dir
        try TestMount.run(["mount", "--bind", dir, dir])
        do { try TestMount.run(["mount", "-o", "remount,ro,bind", dir]) } catch { unmount(); throw error }
    }

    /// An empty tmpfs of `size` (e.g. "40m") on `dir`.
    init(tmpfs dir: String, size: String) throws {
        self.dir = dir
        try TestMount.run(["mount", "-t", "tmpfs", "-o", "size=\(size)", "tmpfs", dir])
    }

    func unmount() {
        guard mounted else { return }
        mounted = false
        let env = ProcessInfo.processInfo.environment
        // Lazily when something still holds it open: the mount must never outlive the test.
        if (try? ProcessRunner.capture(["umount", dir], cwd: "/", env: env))?.status != 0 {
            _ = try? ProcessRunner.capture(["umount", "-l", dir], cwd: "/", env: env)
        }
    }

    deinit { unmount() }
}

@Suite(.enabled(if: TestMount.allowed, TestMount.reason))
struct CacheFaultE2ETests {
    /// A cache on a read-only volume: reading commands work (no stat-cache update, a read-only lock),
    /// checkout writes only the work tree, and commands that must write say the cache is read-only.
    @Test func aReadOnlyCacheServesReadingCommands() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo()
        let model = randomBytes(400_000, seed: 1)
        try s.write(repo + "/model.bin", model)
        for i in 0..<20 { try s.write(repo + "/images/\(i).png", randomBytes(3000 + i, seed: UInt64(10 + i))) }
        try s.ok(["git", "mlops", "add", "model.bin", "images"], in: repo)
        try s.ok(["git", "add", "-A"], in: repo)
        try s.ok(["git", "commit", "-qm", "data"], in: repo)
        let expected = try s.fingerprint(repo)

        let ro = try TestMount(readOnly: repo + "/.git/mlops")
        defer { ro.unmount() }
        #expect(open(repo + "/.git/mlops/probe", O_WRONLY | O_CREAT, 0o644) == -1 && errno == EROFS, "the cache is read-only")

        #expect(try s.ok(["git", "mlops", "status"], in: repo).stdout == "")
        try s.write(repo + "/model.bin", randomBytes(400_000, seed: 2))
        #expect(try s.ok(["git", "mlops", "status"], in: repo).stdout.hasPrefix("modified:                model.bin\n"))
        #expect(try s.ok(["git", "mlops", "diff"], in: repo).stdout.contains("model.bin"))
        #expect(try s.ok(["git", "mlops", "fsck"], in: repo).stdout.hasPrefix("ok: "))

        try FS.remove(repo + "/model.bin")
        try FS.removeTree(repo + "/images")
        let co = try s.ok(["git", "mlops", "checkout"], in: repo)
        #expect(co.stderr == "")
        #expect(try s.fingerprint(repo) == expected, "checkout restores the work tree from a read-only cache")
        #expect(try s.ok(["git", "mlops", "status"], in: repo).stdout == "")

        try s.write(repo + "/new.bin", randomBytes(50_000, seed: 3))
        let add = try s.fails(["git", "mlops", "add", "new.bin"], in: repo)
        #expect(add.stderr == "error: the cache \(repo)/.git/mlops is read-only (Read-only file system); this command writes to it: make it writable, or run it as the cache's owner or in a clone with a cache of its own\n", "\(add)")
        #expect(!FS.exists(repo + "/new.bin.mlops"))
        let gc = try s.fails(["git", "mlops", "gc"], in: repo)
        #expect(gc.stderr.hasPrefix("error: the cache \(repo)/.git/mlops is read-only") && gc.stderr.split(separator: "\n").count == 1, "\(gc)")

        ro.unmount()
        try s.ok(["git", "mlops", "add", "new.bin"], in: repo)
        #expect(try s.ok(["git", "mlops", "fsck"], in: repo).stdout.hasPrefix("ok: "))
    }

    /// A disk that fills up during add: the error names the cause, nothing is left in `tmp/` or
    /// `packs/`, gc and fsck work at once, and add completes once there is room.
    @Test func aFullDiskDuringAddLeavesNothingBehind() throws {
        let s = try Sandbox()
        let disk = s.root + "/disk"
        try FS.mkdirs(disk)
        let m = try TestMount(tmpfs: disk, size: "40m")
        defer { m.unmount() }
        let repo = try s.makeRepo("disk/repo")
        try s.write(repo + "/small.csv", String(repeating: "a,b,c\n1,2,3\n", count: 1000))
        try s.ok(["git", "mlops", "add", "small.csv"], in: repo)
        func packs() throws -> [String] { try FS.listDirectory(repo + "/.git/mlops/packs").map(\.name).filter { !$0.hasSuffix(".midx") }.sorted() }
        let packsBefore = try packs()
        // Random bytes do not compress: 24 MB of data and 24 MB of cache do not fit in 40 MB.
        try s.write(repo + "/big.bin", randomBytes(24_000_000, seed: 4))

        // Small packs: some are sealed before the disk fills up, one fails while being sealed or written.
        let add = try s.run(["git", "mlops", "add", "big.bin"], in: repo, env: ["GIT_MLOPS_PACK_SIZE": "3000000"])
        #expect(add.status == 1 && add.stderr.hasPrefix("error: ") && add.stderr.contains("No space left on device"), "\(add)")
        #expect(add.stderr.split(separator: "\n").count == 1, "\(add)")
        #expect(try FS.listDirectory(repo + "/.git/mlops/tmp").isEmpty, "a failed add removes its temporary files")
        #expect(!FS.exists(repo + "/big.bin.mlops"))
        // Sealed packs stay (another add may already count on their objects); gc removes them.
        #expect(try s.ok(["git", "mlops", "fsck"], in: repo).stdout.hasPrefix("ok: "))

        // What an add killed by the OOM killer leaves: a temporary pack, on a disk now full. gc cleans
        // `tmp/` before it writes anything.
        let leftover = try FileDescriptor.open(repo + "/.git/mlops/tmp/0123456789abcdef0123456789abcdef.pack", O_WRONLY | O_CREAT, mode: 0o444)
        let block = [UInt8](repeating: 7, count: 1 << 20)
        while (try? leftover.writeAll(block)) != nil {}
        leftover.close()
        let probe = try FileDescriptor.open(repo + "/probe", O_WRONLY | O_CREAT)
        #expect(throws: SystemError.self, "the disk is full") { try probe.writeAll(block) }
        probe.close()
        try FS.remove(repo + "/probe")
        try s.ok(["git", "mlops", "gc"], in: repo)
        #expect(try FS.listDirectory(repo + "/.git/mlops/tmp").isEmpty)
        #expect(try packs() == packsBefore, "gc removed the packs the failed add sealed")
        #expect(try s.ok(["git", "mlops", "fsck"], in: repo).stdout.hasPrefix("ok: "))

        // With room again, the same add completes.
        try s.write(repo + "/big.bin", randomBytes(12_000_000, seed: 4))
        try s.ok(["git", "mlops", "add", "big.bin"], in: repo)
        #expect(try s.ok(["git", "mlops", "fsck"], in: repo).stdout.hasPrefix("ok: "))
    }

    /// A directory remote on a disk that fills up during a push (packs are copied by the kernel):
    /// the error names the cause, the remote keeps no partial file and no pack without its index, and
    /// the same push completes once there is room; a fresh clone then pulls every byte.
    @Test func aFullRemoteDiskDuringPushLeavesNoPartialFileAndResumes() throws {
        let s = try Sandbox()
        let disk = s.root + "/remote-disk"
        try FS.mkdirs(disk)
        let m = try TestMount(tmpfs: disk, size: "36m")
        defer { m.unmount() }
        try FS.writeAtomic(disk + "/filler", randomBytes(16_000_000, seed: 8), durable: false)
        let repo = try s.makeRepo()
        try s.write(repo + "/a.bin", randomBytes(9_000_000, seed: 5))
        try s.write(repo + "/b.bin", randomBytes(9_000_000, seed: 6))
        try s.write(repo + "/c.bin", randomBytes(9_000_000, seed: 7))
        try s.ok(["git", "mlops", "add", "a.bin", "b.bin", "c.bin"], in: repo, env: ["GIT_MLOPS_PACK_SIZE": "4000000"])
        try s.ok(["git", "add", "-A"], in: repo)
        try s.ok(["git", "commit", "-qm", "data"], in: repo)
        try s.ok(["git", "mlops", "remote", "add", "storage", disk + "/store", "--default"], in: repo)

        let push = try s.run(["git", "mlops", "push"], in: repo)
        #expect(push.status == 1 && push.stderr.contains("No space left on device") && push.stderr.split(separator: "\n").count == 1, "\(push)")
        func remoteFiles() throws -> [String] {
            guard FS.isDirectory(disk + "/store/packs") else { return [] }
            return try FS.listDirectory(disk + "/store/packs").map(\.name)
        }
        let left = try remoteFiles()
        #expect(!left.contains { $0.hasPrefix(".tmp-") }, "no partial upload stays: \(left)")
        let packs = Set(left.filter { $0.hasSuffix(".pack") }.map { $0.dropLast(5) })
        let indexes = Set(left.filter { $0.hasSuffix(".idx") }.map { $0.dropLast(4) })
        #expect(indexes.isSubset(of: packs), "an index is written only after its pack: \(left)")

        // Room again: the same push completes, sending only what is not there yet.
        try FS.remove(disk + "/filler")
        let again = try JSON.parse(try s.ok(["git", "mlops", "push", "--json"], in: repo).stdout)
        #expect(!packs.isEmpty && (again["objects"]?.int ?? 0) > 0, "the first push got some packs across, the second the rest: \(again)")
        try s.ok(["git", "init", "-q", "--bare", s.root + "/server.git"])
        try s.ok(["git", "push", "-q", s.root + "/server.git", "HEAD:refs/heads/main"], in: repo)
        let clone = s.root + "/clone"
        try s.ok(["git", "clone", "-q", s.root + "/server.git", clone])
        try s.ok(["git", "mlops", "remote", "add", "storage", disk + "/store", "--default"], in: clone)
        try s.ok(["git", "mlops", "pull"], in: clone)
        for (name, seed) in [("a.bin", 5), ("b.bin", 6), ("c.bin", 7)] {
            #expect(try FS.readFile(clone + "/" + name) == randomBytes(9_000_000, seed: UInt64(seed)), "\(name)")
        }
    }
}

/// Repositories and caches that belong to another user. Only root can hand files to another user and
/// run a command as that user (`setpriv`).
@Suite(.enabled(if: getuid() == 0 && (try? ProcessRunner.resolve("setpriv")) != nil, "needs root and setpriv to act as another user"))
struct OtherUserE2ETests {
    static let nobody = "65534"

    /// git's own explanation, not libgit2's "config value 'safe.directory' was not found".
    @Test func aRepositoryOwnedBySomeoneElseIsExplainedAsGitDoes() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo()
        try s.ok(["chown", "-R", "\(Self.nobody):\(Self.nobody)", repo])
        let r = try s.run(["git", "mlops", "status"], in: repo)
        #expect(r.status == 128)
        #expect(r.stderr == "error: detected dubious ownership in repository at '\(repo)': it is owned by someone else; if you trust it, mark it safe with `git config --global --add safe.directory \(repo)`\n", "\(r)")
        try s.ok(["git", "config", "--global", "--add", "safe.directory", repo])
        #expect(try s.ok(["git", "mlops", "status"], in: repo).stdout == "")
    }

    /// A cache owned by another user (its files are not writable here, the lock files included):
    /// status, diff, fsck, checkout and push work, and pull while nothing is missing; add, and a fetch
    /// that has something to store, say the cache is read-only.
    @Test func anotherUsersCacheServesReadingCommands() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo()
        try s.write(repo + "/model.bin", randomBytes(300_000, seed: 1))
        try s.ok(["git", "mlops", "add", "model.bin"], in: repo)
        try s.ok(["git", "add", "-A"], in: repo)
        try s.ok(["git", "commit", "-qm", "data"], in: repo)
        let model = try s.read(repo + "/model.bin")
        try s.ok(["git", "config", "--global", "--add", "safe.directory", repo])
        // The work tree becomes the other user's; .git (and the cache) stays root's.
        try s.ok(["chown", "\(Self.nobody):\(Self.nobody)", repo, repo + "/model.bin"])
        for dir in [s.root, s.home] { chmod(dir, 0o755) }
        let asNobody = ["setpriv", "--reuid=\(Self.nobody)", "--regid=\(Self.nobody)", "--clear-groups"]

        #expect(try s.ok(asNobody + ["git", "mlops", "status"], in: repo).stdout == "")
        try FS.remove(repo + "/model.bin")
        let co = try s.ok(asNobody + ["git", "mlops", "checkout"], in: repo)
        let restored = try s.read(repo + "/model.bin")
        #expect(co.stderr == "" && restored == model, "\(co)")
        #expect(try s.ok(asNobody + ["git", "mlops", "fsck"], in: repo).stdout.hasPrefix("ok: "))
        #expect(try s.ok(asNobody + ["git", "mlops", "diff"], in: repo).stdout == "")
        try s.write(repo + "/new.bin", randomBytes(20_000, seed: 2))
        try s.ok(["chown", "\(Self.nobody):\(Self.nobody)", repo + "/new.bin"])
        let add = try s.run(asNobody + ["git", "mlops", "add", "new.bin"], in: repo)
        let readOnly = "error: the cache \(repo)/.git/mlops is read-only (Permission denied); this command writes to it: make it writable, or run it as the cache's owner or in a clone with a cache of its own\n"
        #expect(add.status == 1 && add.stderr == readOnly, "\(add)")

        // With a directory remote: push reads the cache only (remote indexes are kept only where they
        // can be); pull and fetch work while nothing is missing, and say the cache is read-only when
        // something is. The remote is readable and writable by both.
        let remote = s.root + "/remote"
        try s.ok(["git", "mlops", "remote", "add", "storage", remote, "--default"], in: repo)
        try s.ok(["git", "commit", "-qam", "remote"], in: repo)
        try FS.mkdirs(remote)
        try s.ok(["chown", "\(Self.nobody):\(Self.nobody)", remote])
        try FS.removeTree(repo + "/.git/mlops/remotes")
        let push = try s.ok(asNobody + ["git", "mlops", "push"], in: repo)
        #expect(push.stdout.hasPrefix("pushed ") && push.stderr == "", "\(push)")
        let pull = try s.ok(asNobody + ["git", "mlops", "pull"], in: repo)
        #expect(pull.stdout.hasPrefix("fetched 0 objects") && pull.stderr == "", "\(pull)")
        try FS.removeTree(repo + "/.git/mlops/packs")
        try FS.mkdirs(repo + "/.git/mlops/packs")
        for argv in [["fetch"], ["pull"]] {
            let r = try s.run(asNobody + ["git", "mlops"] + argv, in: repo)
            #expect(r.status == 1 && r.stderr == readOnly, "\(argv): \(r)")
        }
    }
}
