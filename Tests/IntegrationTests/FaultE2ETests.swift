import Foundation
import MLOpsBasics
import Testing

extension Sandbox {
    /// Starts a command without waiting for it; output goes nowhere.
    func spawn(_ argv: [String], in dir: String, env extra: [String: String] = [:]) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try ProcessRunner.resolve(argv[0], env: env))
        p.arguments = Array(argv.dropFirst())
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        var e = env
        for (k, v) in extra { e[k] = v }
        p.environment = e
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        p.standardInput = FileHandle.nullDevice
        try p.run()
        return p
    }
}

/// A running `git mlops ...`: git, and the `git-mlops` process git started.
struct GitMLOpsRun {
    let git: Process
    let child: pid_t

    /// State letter (R, S, D, T, Z...) and parent of a process, from /proc; nil once it is gone.
    static func stat(_ pid: pid_t) -> (state: Character, ppid: pid_t)? {
        guard let text = try? FS.readText("/proc/\(pid)/stat"), let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 2, let state = fields[0].first, let ppid = pid_t(fields[1]) else { return nil }
        return (state, ppid)
    }

    static func running(_ pid: pid_t) -> Bool {
        guard let st = stat(pid) else { return false }
        return st.state != "Z" && st.state != "X"
    }

    /// Starts `git mlops ARGS` and finds the `git-mlops` child git runs.
    init(_ s: Sandbox, _ args: [String], in dir: String, env: [String: String] = [:]) throws {
        git = try s.spawn(["git", "mlops"] + args, in: dir, env: env)
        let parent = git.processIdentifier
        var found: pid_t?
        try GitMLOpsRun.wait(for: "git to start git-mlops", while: { GitMLOpsRun.running(parent) }) {
            found = (try? FS.listDirectory("/proc"))?.compactMap { pid_t($0.name) }.first { pid in
                GitMLOpsRun.stat(pid)?.ppid == parent && (try? FS.readText("/proc/\(pid)/comm")) == "git-mlops\n"
            }
            return found != nil
        }
        child = found!
    }

    struct Gone: Error, CustomStringConvertible { let description: String }

    /// Polls until `condition` holds (an observed point, not a fixed time); throws if `alive` turns
    /// false first, or after a minute.
    static func wait(for what: String, while alive: () -> Bool, _ condition: () -> Bool) throws {
        let deadline = Date().addingTimeInterval(60)
        while !condition() {
            guard alive() else { throw Gone(description: "the process ended before \(what)") }
            guard Date() < deadline else { throw Gone(description: "timed out waiting for \(what)") }
            usleep(500)
        }
    }

    /// Stops git-mlops once `condition` holds while it runs, so the moment cannot pass; the caller
    /// checks the frozen state, then kills.
    func stop(when what: String, _ condition: () -> Bool) throws {
        try GitMLOpsRun.wait(for: what, while: { GitMLOpsRun.running(child) }, condition)
        kill(child, SIGSTOP)
        try GitMLOpsRun.wait(for: "git-mlops to stop", while: { GitMLOpsRun.running(child) }) { GitMLOpsRun.stat(child)?.state == "T" }
    }

    /// Ends whatever is left when a test stops early (a stopped git-mlops would wait forever).
    func cleanUp() {
        if GitMLOpsRun.running(child) { kill(child, SIGKILL) }
        if git.isRunning { kill(git.processIdentifier, SIGKILL) }
    }

    /// Which process `kill -9` hits.
    enum Target: String, CustomStringConvertible { case gitMLOps = "git-mlops", git; var description: String { rawValue } }

    /// `kill -9` of git-mlops (git then exits), or of git (git-mlops, an orphan, goes on to the end).
    func kill9(_ target: Target) throws {
        switch target {
        case .gitMLOps:
            kill(child, SIGKILL)
            git.waitUntilExit()
        case .git:
            kill(git.processIdentifier, SIGKILL)
            kill(child, SIGCONT)
            // The orphan keeps a descriptor that Foundation watches for git's end: it finishes first.
            try GitMLOpsRun.wait(for: "the orphaned git-mlops to finish", while: { true }) { !GitMLOpsRun.running(child) }
            git.waitUntilExit()
            #expect(git.terminationReason == .uncaughtSignal, "git was killed")
        }
    }
}

@Suite struct FaultE2ETests {
    /// `kill -9` in the middle of an add, at observed points (a temporary pack being written; some packs
    /// sealed), of git-mlops itself or of git (whose git-mlops child then runs on alone): the cache
    /// checks out clean, no pointer names data that is not there, and running add again completes.
    enum AddPoint: String, CustomStringConvertible { case temporaryPack = "a temporary pack", sealedPacks = "sealed packs"; var description: String { rawValue } }

    @Test(arguments: [(AddPoint.temporaryPack, GitMLOpsRun.Target.gitMLOps), (.sealedPacks, .gitMLOps), (.temporaryPack, .git)])
    func killedAddLeavesAConsistentCacheAndResumes(at point: AddPoint, killing target: GitMLOpsRun.Target) throws {
        let s = try Sandbox()
        let repo = try s.makeRepo()
        try s.write(repo + "/big.bin", randomBytes(24_000_000, seed: 5))
        for i in 0..<300 { try s.write(repo + "/dir/\(i % 10)/\(i).dat", randomBytes(3000 + i, seed: UInt64(i))) }
        let small = ["GIT_MLOPS_PACK_SIZE": "1048576"]
        let cache = repo + "/.git/mlops"
        let packsBefore = try FS.listDirectory(cache + "/packs").filter { $0.name.hasSuffix(".pack") }.count
        let run = try GitMLOpsRun(s, ["add", "big.bin", "dir"], in: repo, env: small)
        defer { run.cleanUp() }
        try run.stop(when: "\(point)") {
            switch point {
            case .temporaryPack: return ((try? FS.listDirectory(cache + "/tmp")) ?? []).contains { $0.name.hasSuffix(".pack") }
            case .sealedPacks: return ((try? FS.listDirectory(cache + "/packs")) ?? []).filter { $0.name.hasSuffix(".pack") }.count >= packsBefore + 3
            }
        }
        // Stopped in the middle of its work: the data is not all stored, so no pointer is written yet.
        #expect(!FS.exists(repo + "/big.bin.mlops") && !FS.exists(repo + "/dir.mlops"), "add was interrupted before its end")
        try run.kill9(target)

        for pointer in ["big.bin.mlops", "dir.mlops"] where FS.exists(repo + "/" + pointer) {
            // A pointer exists only once its data is complete: status must not report it missing from the cache.
            #expect(!(try s.ok(["git", "mlops", "status"], in: repo).stdout.contains("missing from cache")))
        }
        if target == .git {
            #expect(FS.exists(repo + "/big.bin.mlops") && FS.exists(repo + "/dir.mlops"), "git-mlops finished the add on its own")
        }
        let fsck = try s.run(["git", "mlops", "fsck"], in: repo)
        #expect(!fsck.stdout.contains("corrupt"), "an interrupted add never leaves a corrupt object: \(fsck)")

        try s.ok(["git", "mlops", "add", "big.bin", "dir"], in: repo, env: small)
        #expect(try s.ok(["git", "mlops", "fsck"], in: repo).stdout.hasPrefix("ok: "))
        let before = try s.fingerprint(repo, skipping: [".git", "big.bin.mlops", "dir.mlops", ".gitignore"])
        try FS.remove(repo + "/big.bin")
        try FS.removeTree(repo + "/dir")
        try s.ok(["git", "mlops", "checkout"], in: repo)
        #expect(try s.fingerprint(repo, skipping: [".git", "big.bin.mlops", "dir.mlops", ".gitignore"]) == before)
        #expect(try s.ok(["git", "mlops", "gc"], in: repo).status == 0)
        #expect(try s.ok(["git", "mlops", "fsck"], in: repo).stdout.hasPrefix("ok: "))
    }

    /// `kill -9` in the middle of a checkout, at observed points (a directory half built under its
    /// staging name; a large file half written under its temporary name): no file is ever half-written
    /// under its own name, git does not see the leftovers, and running checkout again completes.
    enum CheckoutPoint: String, CustomStringConvertible { case stagedDirectory = "a directory half staged", bigFileTemp = "a large file half written"; var description: String { rawValue } }

    @Test(arguments: [(CheckoutPoint.stagedDirectory, GitMLOpsRun.Target.gitMLOps), (.bigFileTemp, .gitMLOps), (.bigFileTemp, .git)])
    func killedCheckoutLeavesNoHalfFileAndResumes(at point: CheckoutPoint, killing target: GitMLOpsRun.Target) throws {
        let s = try Sandbox()
        let repo = try s.makeRepo()
        try s.write(repo + "/big.bin", randomBytes(40_000_000, seed: 6))
        for i in 0..<400 { try s.write(repo + "/dir/\(i % 10)/\(i).dat", randomBytes(3000 + i, seed: UInt64(900 + i))) }
        try s.ok(["git", "mlops", "add", "big.bin", "dir"], in: repo)
        try s.ok(["git", "add", "-A"], in: repo)
        try s.ok(["git", "commit", "-qm", "data"], in: repo)
        let expected = try s.fingerprint(repo)
        try FS.remove(repo + "/big.bin")
        try FS.removeTree(repo + "/dir")

        let run = try GitMLOpsRun(s, ["checkout"], in: repo)
        defer { run.cleanUp() }
        let staged = repo + "/.dir" + ".mlops-tmp", bigTemp = repo + "/.big.bin" + ".mlops-tmp"
        try run.stop(when: "\(point)") {
            switch point {
            case .stagedDirectory: return ((try? FS.listDirectory(staged + "/5")) ?? []).count >= 5
            case .bigFileTemp: return (FS.stat(bigTemp)?.size ?? 0) > 0
            }
        }
        #expect(!FS.exists(repo + "/big.bin") || !FS.exists(repo + "/dir"), "checkout was interrupted before its end")
        #expect(!(FS.exists(repo + "/dir") && FS.exists(staged)), "a directory is staged until it is complete")
        try run.kill9(target)

        let wanted = Dictionary(expected.map { line -> (String, String) in
            let parts = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
            return (String(parts.last!), String(parts.first!))
        }, uniquingKeysWith: { a, _ in a })
        for line in try s.fingerprint(repo) {
            let parts = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
            let path = String(parts.last!)
            if path.split(separator: "/").contains(where: { $0.hasSuffix(".mlops-tmp") }) { continue }
            #expect(wanted[path] == String(parts.first!), "\(path) is complete or absent, never partial")
        }
        #expect(try s.ok(["git", "status", "--porcelain"], in: repo).stdout == "", "leftover temporaries are invisible to git")
        if target == .git { #expect(try s.fingerprint(repo) == expected, "git-mlops finished the checkout on its own") }
        try s.ok(["git", "mlops", "checkout"], in: repo)
        #expect(try s.fingerprint(repo) == expected, "the rerun completes and leaves no temporaries behind")
        #expect(try s.ok(["git", "mlops", "status"], in: repo).stdout == "")
    }

    /// Two adds at once in one repository, sharing some content: both succeed and the cache is sound.
    @Test func twoAddsAtOnceDoNotCorruptTheCache() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo()
        let shared = randomBytes(6_000_000, seed: 8)
        try s.write(repo + "/a/shared.bin", shared)
        try s.write(repo + "/b/shared.bin", shared)
        for i in 0..<200 {
            try s.write(repo + "/a/\(i).dat", randomBytes(2000 + i, seed: UInt64(i)))
            try s.write(repo + "/b/\(i).dat", randomBytes(2000 + i, seed: UInt64(i + (i % 2 == 0 ? 0 : 5000))))
        }
        let env = ["GIT_MLOPS_PACK_SIZE": "1048576"]
        let one = try s.spawn(["git", "mlops", "add", "a"], in: repo, env: env)
        let two = try s.spawn(["git", "mlops", "add", "b"], in: repo, env: env)
        one.waitUntilExit()
        two.waitUntilExit()
        #expect(one.terminationStatus == 0 && two.terminationStatus == 0)
        #expect(try s.ok(["git", "mlops", "fsck"], in: repo).stdout.hasPrefix("ok: "))
        #expect(try String(decoding: s.read(repo + "/.gitignore"), as: UTF8.self).split(separator: "\n").sorted() == ["/a", "/b"])
        let before = try s.fingerprint(repo + "/a") + s.fingerprint(repo + "/b")
        try FS.removeTree(repo + "/a")
        try FS.removeTree(repo + "/b")
        try s.ok(["git", "mlops", "checkout"], in: repo)
        #expect(try s.fingerprint(repo + "/a") + s.fingerprint(repo + "/b") == before)
        try s.ok(["git", "mlops", "gc"], in: repo)
        #expect(try s.ok(["git", "mlops", "fsck"], in: repo).stdout.hasPrefix("ok: "))
    }

    /// A flipped byte in a pack: fsck names the object and the path that needs it; checkout refuses it.
    @Test func aFlippedByteIsFoundAndNeverCheckedOut() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo()
        try s.write(repo + "/table.csv", String(repeating: "id,value,label\n1,2.5,cat\n", count: 40_000))
        // Without a profile, the last bytes of the pack are the file's (a profile would follow them).
        try s.ok(["git", "config", "mlops.profile.enabled", "false"], in: repo)
        try s.ok(["git", "mlops", "add", "table.csv"], in: repo)
        let packs = try FS.listDirectory(repo + "/.git/mlops/packs").map(\.name).filter { $0.hasSuffix(".pack") }
        let pack = repo + "/.git/mlops/packs/" + packs[0]
        chmod(pack, 0o644)
        var bytes = try s.read(pack)
        bytes[bytes.count - 100] ^= 0x01
        try s.write(pack, bytes)
        let fsck = try s.fails(["git", "mlops", "fsck"], in: repo)
        #expect(fsck.stdout.contains("corrupt "), "\(fsck)")
        #expect(fsck.stdout.contains("affected: table.csv:"), "\(fsck)")
        #expect(fsck.stderr.hasPrefix("error: "))
        try FS.remove(repo + "/table.csv")
        let co = try s.fails(["git", "mlops", "checkout"], in: repo)
        #expect(co.stderr.contains("is corrupt"), "\(co)")
        #expect(!FS.exists(repo + "/table.csv"))
    }
}
