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

@Suite struct FaultE2ETests {
    /// `kill -9` at several moments of an add: whatever was interrupted, the cache checks out clean, no
    /// pointer names data that is not there, and running add again completes.
    @Test(arguments: [0.05, 0.2, 0.5])
    func killedAddLeavesAConsistentCacheAndResumes(after seconds: Double) throws {
        let s = try Sandbox()
        let repo = try s.makeRepo()
        try s.write(repo + "/big.bin", randomBytes(24_000_000, seed: 5))
        for i in 0..<300 { try s.write(repo + "/dir/\(i % 10)/\(i).dat", randomBytes(3000 + i, seed: UInt64(i))) }
        let small = ["GIT_MLOPS_PACK_SIZE": "1048576"]
        let p = try s.spawn(["git", "mlops", "add", "big.bin", "dir"], in: repo, env: small)
        Thread.sleep(forTimeInterval: seconds)
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()

        for pointer in ["big.bin.mlops", "dir.mlops"] where FS.exists(repo + "/" + pointer) {
            // A pointer exists only once its data is complete: status must not report it missing from the cache.
            #expect(!(try s.ok(["git", "mlops", "status"], in: repo).stdout.contains("missing from cache")))
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

    /// `kill -9` in the middle of a checkout: no file is ever half-written under its own name, git does
    /// not see the leftovers, and running checkout again completes.
    @Test(arguments: [0.05, 0.3])
    func killedCheckoutLeavesNoHalfFileAndResumes(after seconds: Double) throws {
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

        let p = try s.spawn(["git", "mlops", "checkout"], in: repo)
        Thread.sleep(forTimeInterval: seconds)
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()

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
