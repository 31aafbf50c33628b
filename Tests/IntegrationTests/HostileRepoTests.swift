import Foundation
import MLOpsBasics
import ObjectStore
import Store
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A repository built by an attacker, cloned and pulled by a victim: git-mlops never writes outside
/// the clone, never touches its `.git`, never crashes, and says what is wrong and where.
@Suite struct HostileRepoTests {
    /// The attacker's repository, with a directory remote committed in `.gitmlops`.
    func attackerRepo(_ s: Sandbox) throws -> String {
        let repo = try s.makeRepo("attacker")
        try s.ok(["git", "mlops", "remote", "add", "storage", s.root + "/data-remote", "--default"], in: repo)
        return repo
    }

    /// Commits everything (and `force`, past .gitignore), pushes the data, and clones the repository to
    /// `victim/clone`, beside the victim's other files.
    func publish(_ s: Sandbox, _ repo: String, force: [String] = [], push: Bool = true) throws -> String {
        if !force.isEmpty { try s.ok(["git", "add", "-f"] + force, in: repo) }
        try s.ok(["git", "add", "-A"], in: repo)
        try s.ok(["git", "commit", "-qm", "attack"], in: repo)
        if push { try s.ok(["git", "mlops", "push"], in: repo) }
        let clone = s.root + "/victim/clone"
        try FS.mkdirs(s.root + "/victim")
        try s.ok(["git", "clone", "-q", repo, clone])
        return clone
    }

    func victimFile(_ s: Sandbox) throws -> String {
        let path = s.root + "/victim/victim.txt"
        try s.write(path, "precious\n")
        return path
    }

    func symlink(_ target: String, at path: String) {
        #expect(Glibc.symlink(target, path) == 0, "symlink \(path)")
    }

    /// A pointer as an attacker writes it by hand.
    func pointer(_ id: ObjectID, size: Int64, dir files: Int? = nil) -> String {
        "version https://git-mlops.dev/spec/pointer/v1\noid sha256:\(id.hex)\nsize \(size)\ntype \(files == nil ? "file" : "dir")\n"
            + (files.map { "files \($0)\n" } ?? "")
    }

    /// Stores a directory listing with any paths at all in the attacker's cache, as a modified
    /// git-mlops would, and returns its id and total size.
    func forgeListing(_ s: Sandbox, _ repo: String, _ files: [String: String]) throws -> (ObjectID, Int64) {
        let store = try Store(root: repo + "/.git/mlops")
        let ingester = Ingester(store: store, statCache: nil)
        var entries: [DirEntry] = []
        for (n, (path, text)) in files.sorted(by: { $0.key < $1.key }).enumerated() {
            let f = s.root + "/forge-\(n)"
            try s.write(f, text)
            let r = try ingester.file(at: f, key: nil)
            entries.append(DirEntry(path: path, id: r.id, size: r.size, executable: false))
        }
        let manifest = DirManifest(entries: entries)
        let id = try ingester.storeManifest(manifest)
        try ingester.finish()
        return (id, manifest.totalSize)
    }

    /// A one-file listing written byte by byte (its entry's `mode`, and the `count` its top claims for
    /// the file count and its one piece), with `NAME.mlops` pointing at it. Returns the piece's id.
    func forgeRawListing(_ repo: String, pointer name: String, mode: String, count: String) throws -> ObjectID {
        let file = Array("data\n".utf8)
        let piece = Array("\(mode) \(ObjectID.hashing(file).hex) \(file.count) a.bin\n".utf8)
        let top = Array("mlops-dir 1\nfiles \(count)\nsize \(file.count)\n\(ObjectID.hashing(piece).hex) \(count) a.bin\n".utf8)
        let store = try Store(root: repo + "/.git/mlops")  // the writer does not keep it alive
        let writer = store.writer()
        let c = Compressor()
        _ = try writer.put(id: .hashing(file), kind: .chunk, bytes: file, compressor: c)
        _ = try writer.put(id: .hashing(piece), kind: .dirPiece, bytes: piece, compressor: c)
        _ = try writer.put(id: .hashing(top), kind: .dirManifest, bytes: top, compressor: c)
        try writer.finish()
        try FS.writeAtomic(repo + "/\(name).mlops", pointer(.hashing(top), size: Int64(file.count), dir: 1), durable: false)
        withExtendedLifetime(store) {}
        return .hashing(piece)
    }

    func oneLine(_ r: Sandbox.Result) -> Bool { r.stderr.hasPrefix("error: ") && r.stderr.split(separator: "\n").count == 1 }

    // MARK: 1. Writes through a committed symlink

    /// `.model.bin.mlops-tmp -> ../victim.txt` committed beside a tracked file: the checkout's
    /// temporary is created afresh (O_EXCL|O_NOFOLLOW), and the victim's file keeps its bytes.
    @Test func aCommittedSymlinkAtATemporaryNameIsNeverWrittenThrough() throws {
        let s = try Sandbox()
        let repo = try attackerRepo(s)
        let model = randomBytes(300_000, seed: 1)
        try s.write(repo + "/model.bin", model)
        for i in 0..<6 { try s.write(repo + "/images/\(i).png", randomBytes(5000 + i, seed: UInt64(10 + i))) }
        try s.write(repo + "/more/a.bin", "more\n")
        try s.ok(["git", "mlops", "add", "model.bin", "images", "more"], in: repo)
        // Inside a tracked directory the victim has (git makes `images/` for the symlink), at the
        // staging name of one it has not (`.more.mlops-tmp`), and beside a file.
        symlink("../victim.txt", at: repo + "/.model.bin.mlops-tmp")
        symlink("../../victim.txt", at: repo + "/images/.3.png.mlops-tmp")
        symlink("../victim-dir", at: repo + "/.more.mlops-tmp")
        let clone = try publish(s, repo, force: [".model.bin.mlops-tmp", "images/.3.png.mlops-tmp", ".more.mlops-tmp"])
        let victim = try victimFile(s)
        try FS.mkdirs(s.root + "/victim/victim-dir")
        #expect(FS.lstat(clone + "/images/.3.png.mlops-tmp")?.isSymlink == true, "git checked the attack out")

        try s.ok(["git", "mlops", "pull"], in: clone)
        #expect(try s.read(victim) == Array("precious\n".utf8))
        #expect(try FS.listDirectory(s.root + "/victim/victim-dir").isEmpty)
        #expect(try s.read(clone + "/model.bin") == model)
        #expect(try s.fingerprint(clone + "/images") == s.fingerprint(repo + "/images", skipping: [".3.png.mlops-tmp"]))
        #expect(try s.read(clone + "/more/a.bin") == Array("more\n".utf8))
        for leftover in [".model.bin.mlops-tmp", "images/.3.png.mlops-tmp", ".more.mlops-tmp"] {
            #expect(FS.lstat(clone + "/" + leftover) == nil, "\(leftover) is a name git-mlops owns: unlinked, not followed")
        }
    }

    /// A directory inside a tracked directory swapped for a symlink to elsewhere: checkout refuses
    /// before it writes or removes anything.
    @Test func aSymlinkedDirectoryInsideTrackedDataIsRefusedBeforeAnythingChanges() throws {
        let s = try Sandbox()
        let repo = try attackerRepo(s)
        try s.write(repo + "/data/sub/a.bin", "a\n")
        try s.write(repo + "/data/b.bin", "b\n")
        try s.ok(["git", "mlops", "add", "data"], in: repo)
        let clone = try publish(s, repo)
        try s.ok(["git", "mlops", "pull"], in: clone)
        try FS.mkdirs(s.root + "/victim/elsewhere")
        try s.write(s.root + "/victim/elsewhere/a.bin", "precious\n")
        try FS.removeTree(clone + "/data/sub")
        try s.write(clone + "/data/b.bin", "b changed\n")
        symlink("../../elsewhere", at: clone + "/data/sub")

        let r = try s.fails(["git", "mlops", "checkout", "--force"], in: clone)
        #expect(oneLine(r) && r.stderr.contains("data/sub: it is a symlink"), "\(r)")
        #expect(try s.read(s.root + "/victim/elsewhere/a.bin") == Array("precious\n".utf8))
        #expect(try s.read(clone + "/data/b.bin") == Array("b changed\n".utf8), "nothing changed")
    }

    /// Files git-mlops reads from the work tree are read without following symlinks: a committed
    /// `.gitignore -> /dev/zero` makes `add` stop with one line, not read forever.
    @Test func aCommittedSymlinkWhereGitMLOpsReadsIsNotFollowed() throws {
        let s = try Sandbox()
        let repo = try attackerRepo(s)
        symlink("/dev/zero", at: repo + "/.gitignore")
        let clone = try publish(s, repo)
        try s.write(clone + "/new.bin", "new\n")
        let r = try s.fails(["git", "mlops", "add", "new.bin"], in: clone)
        #expect(r.status == 1 && oneLine(r) && r.stderr.contains("/.gitignore is a symlink; git-mlops reads it only as a regular file"), "\(r)")
        #expect(!FS.exists(clone + "/new.bin.mlops"))
    }

    // MARK: 2. `.git` in paths

    /// A listing with entries under `.git/` (a config that runs a command at the next `git status`), in
    /// each spelling git refuses: pull and checkout refuse it, name the pointer and why, write nothing.
    @Test(arguments: [".git", ".GIT", "git~1", ".git.", ".git ", ".g\u{200C}it", "sub/.Git"])
    func aListingWithGitEntriesIsRefused(_ gitDir: String) throws {
        let s = try Sandbox()
        let repo = try attackerRepo(s)
        let (id, size) = try forgeListing(s, repo, [
            gitDir + "/config": "[core]\n\tfsmonitor = \"touch \(s.root)/PWNED; false\"\n",
            "readme.txt": "hello\n",
        ])
        try s.write(repo + "/evil.mlops", pointer(id, size: size, dir: 2))
        try s.write(repo + "/.gitignore", "/evil\n")
        let clone = try publish(s, repo)

        for argv in [["git", "mlops", "pull"], ["git", "mlops", "checkout", "--force"]] {
            let r = try s.fails(argv, in: clone)
            #expect(r.status == 1 && oneLine(r), "\(r)")
            #expect(r.stderr.hasPrefix("error: evil.mlops: directory manifest piece "), "\(r)")
            #expect(r.stderr.contains("names an unsafe path '\(gitDir)/config' (a `.git` component)"), "\(r)")
            #expect(!r.stderr.contains("not in the cache"), "the real reason, not a missing object: \(r)")
        }
        #expect(FS.lstat(clone + "/evil") == nil && FS.lstat(clone + "/.evil.mlops-tmp") == nil)
        try s.ok(["git", "status"], in: clone)
        #expect(!FS.exists(s.root + "/PWNED"))
    }

    /// A committed pointer whose data path is `.git` (or a spelling of it, or one deeper down): checkout
    /// --force refuses and the clone's own `.git` survives.
    @Test(arguments: [".git", "sub/.git", "x/.GIT", ".git ", "git~1", ".g\u{200D}it", "a.mlops-tmp"])
    func aPointerNamingGitIsRefused(_ data: String) throws {
        let s = try Sandbox()
        let repo = try attackerRepo(s)
        try s.write(repo + "/model.bin", randomBytes(1000, seed: 3))
        try s.ok(["git", "mlops", "add", "model.bin"], in: repo)
        try s.ok(["git", "mlops", "push"], in: repo)
        try s.write(repo + "/" + data + ".mlops", try s.read(repo + "/model.bin.mlops"))
        let clone = try publish(s, repo, push: false)
        try s.write(clone + "/sub/keep.txt", "keep\n")

        for argv in [["git", "mlops", "checkout", "--force"], ["git", "mlops", "pull", "--force"], ["git", "mlops", "status"]] {
            let r = try s.fails(argv, in: clone)
            #expect(r.status == 1 && oneLine(r), "\(r)")
            #expect(r.stderr.hasPrefix("error: \(data).mlops: names an unsafe path '\(data)' ("), "\(r)")
        }
        #expect(FS.lstat(clone + "/.git")?.isDirectory == true && FS.exists(clone + "/.git/HEAD"))
        #expect(try s.read(clone + "/sub/keep.txt") == Array("keep\n".utf8))
        try s.ok(["git", "status"], in: clone)
    }

    // MARK: 3. Counts and sizes that overflow

    /// Two directory pointers claiming Int.max files: once summed, a crash before; now the pointers
    /// are named as wrong (and in the attacker's own tree, unchanged data stays unchanged).
    @Test func overflowingCountsInPointersAreRefusedNotACrash() throws {
        let s = try Sandbox()
        let repo = try attackerRepo(s)
        try s.write(repo + "/a/1.bin", "one\n")
        try s.write(repo + "/b/2.bin", "two\n")
        try s.ok(["git", "mlops", "add", "a", "b"], in: repo)
        for d in ["a", "b"] {
            let text = String(decoding: try s.read(repo + "/\(d).mlops"), as: UTF8.self)
            try s.write(repo + "/\(d).mlops", text.replacingOccurrences(of: "files 1\n", with: "files 9223372036854775807\n"))
        }
        try s.ok(["git", "mlops", "checkout"], in: repo)
        let clone = try publish(s, repo)

        let r = try s.fails(["git", "mlops", "pull"], in: clone)
        #expect(r.status == 1 && oneLine(r), "exit 1 with one line, not a trap: \(r)")
        #expect(r.stderr.hasPrefix("error: a.mlops: says 9223372036854775807 files, but its listing has 1; the pointer is wrong"), "\(r)")
        #expect(FS.lstat(clone + "/a") == nil && FS.lstat(clone + "/b") == nil)
    }

    /// A 32 MiB file named like a pointer is refused, naming it (git-mlops checks the blob's size in
    /// git's object database and never loads it).
    @Test func aHugePointerBlobIsRefusedByItsSize() throws {
        let s = try Sandbox()
        let repo = try attackerRepo(s)
        try s.write(repo + "/huge.mlops", "version 1\n" + String(repeating: "x", count: 32 << 20) + "\n")
        let clone = try publish(s, repo, push: false)
        let r = try s.fails(["git", "mlops", "pull"], in: clone)
        #expect(r.status == 1 && oneLine(r), "\(r)")
        #expect(r.stderr.contains("huge.mlops: not a valid git-mlops pointer (too large for a pointer: it is under 200 bytes)"), "\(r)")
        #expect(FS.lstat(clone + "/huge") == nil)
    }

    /// A listing whose top claims 2^40 files (its piece counts add up to it): refused, no allocation
    /// of that size and no crash.
    @Test func anOverflowingListingCountIsRefusedNotACrash() throws {
        let s = try Sandbox()
        let repo = try attackerRepo(s)
        let piece = try forgeRawListing(repo, pointer: "big", mode: "100644", count: "1099511627776")
        let clone = try publish(s, repo)

        let r = try s.fails(["git", "mlops", "pull"], in: clone)
        #expect(r.status == 1 && oneLine(r) && r.stderr.hasPrefix("error: big.mlops: object \(piece.hex) in pack - is corrupt (entry count differs from its directory)"), "\(r)")
        #expect(FS.lstat(clone + "/big") == nil)
    }

    // MARK: 4. The real reason

    /// A pointer whose size disagrees with its data: the pointer is named as wrong, the cache is not
    /// blamed, and fsck agrees the cache is sound.
    @Test(arguments: ["0", "9223372036854775807"])
    func aPointerWithTheWrongSizeIsBlamedNotTheCache(_ size: String) throws {
        let s = try Sandbox()
        let repo = try attackerRepo(s)
        try s.write(repo + "/model.bin", randomBytes(200_000, seed: 4))
        try s.ok(["git", "mlops", "add", "model.bin"], in: repo)
        let text = String(decoding: try s.read(repo + "/model.bin.mlops"), as: UTF8.self)
        try s.write(repo + "/model.bin.mlops", text.replacingOccurrences(of: "size 200000\n", with: "size \(size)\n"))
        let clone = try publish(s, repo)

        let r = try s.fails(["git", "mlops", "pull"], in: clone)
        #expect(r.status == 1 && oneLine(r), "\(r)")
        #expect(r.stderr.hasPrefix("error: model.bin.mlops: says model.bin has \(size) bytes, but its data (sha256:"), "\(r)")
        #expect(r.stderr.contains("has 200000; the pointer is wrong, not the cache"), "\(r)")
        #expect(!r.stderr.contains("corrupt"))
        #expect(try s.ok(["git", "mlops", "fsck"], in: clone).stdout.hasPrefix("ok: "))
        #expect(FS.lstat(clone + "/model.bin") == nil)
    }

    /// A listing with a mode git-mlops never writes: the error says the listing is malformed, naming
    /// the pointer, instead of "not in the cache".
    @Test func aListingWithABadModeSaysSo() throws {
        let s = try Sandbox()
        let repo = try attackerRepo(s)
        let piece = try forgeRawListing(repo, pointer: "odd", mode: "100600", count: "1")
        let clone = try publish(s, repo)

        let r = try s.fails(["git", "mlops", "pull"], in: clone)
        #expect(r.status == 1 && oneLine(r), "\(r)")
        #expect(r.stderr.hasPrefix("error: odd.mlops: directory manifest piece \(piece.short) is malformed (bad entry line)"), "\(r)")
        #expect(!r.stderr.contains("not in the cache"))
    }

    // MARK: 5. What add passes over

    @Test func addSaysWhatItSkips() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo()
        try s.write(repo + "/data/a.bin", "a\n")
        try s.write(repo + "/data/.GIT/config", "x\n")
        try FS.mkdirs(s.root + "/elsewhere")
        symlink(s.root + "/elsewhere", at: repo + "/data/link-dir")
        symlink("nowhere", at: repo + "/data/broken")
        #expect(mkfifo(repo + "/data/fifo", 0o644) == 0)
        let r = try s.ok(["git", "mlops", "add", "data", "--json"], in: repo)
        #expect(r.stderr == "warning: skipped 4 entries that are not regular files or cannot be checked out: "
            + "data/.GIT (a name that cannot be checked out: a `.git` component), data/broken (a broken symlink), "
            + "data/fifo (a FIFO), data/link-dir (a symlink to a directory); only regular files (and symlinks to them) are stored\n")
        #expect(try JSON.parse(r.stdout)["added"]?.array?.first?["files"]?.int == 1)
        // Status and a second add of the same tree stay quiet about it.
        #expect(try s.ok(["git", "mlops", "status"], in: repo).stdout == "")
    }

    // MARK: 6. An interrupted checkout

    /// A checkout that fails half-way (a damaged chunk) leaves the old data: status says the checkout was
    /// interrupted, not that the file was modified, and checkout finishes it once the cache is sound.
    @Test func aFailedCheckoutIsReportedAsInterruptedNotModified() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo()
        let packs = repo + "/.git/mlops/packs"
        try s.write(repo + "/model.bin", randomBytes(2_000_000, seed: 5))
        try s.ok(["git", "mlops", "add", "model.bin"], in: repo)
        try s.ok(["git", "add", "-A"], in: repo)
        try s.ok(["git", "commit", "-qm", "v1"], in: repo)
        let v1Pack = try #require(try FS.listDirectory(packs).map(\.name).first { $0.hasSuffix(".pack") })
        try s.write(repo + "/model.bin", randomBytes(2_000_000, seed: 6))
        try s.ok(["git", "mlops", "add", "model.bin"], in: repo)
        try s.ok(["git", "commit", "-qam", "v2"], in: repo)
        try s.ok(["git", "checkout", "-q", "HEAD~1", "--", "model.bin.mlops"], in: repo)

        let original = try s.read(packs + "/" + v1Pack)
        var damaged = original
        damaged[original.count / 2] ^= 0xff
        chmod(packs + "/" + v1Pack, 0o644)
        try s.write(packs + "/" + v1Pack, damaged)
        let failed = try s.fails(["git", "mlops", "checkout"], in: repo)
        #expect(failed.stderr.contains("corrupt"), "\(failed)")
        let status = try s.ok(["git", "mlops", "status"], in: repo).stdout
        #expect(status == """
            checkout interrupted:    model.bin
            hint: a checkout stopped half-way; `git mlops checkout` finishes it (`git mlops add` would record the old data)

            """, "\(status)")
        #expect(try s.ok(["git", "mlops", "status", "--json"], in: repo).stdout.contains("\"checkout-interrupted\""))

        try s.write(packs + "/" + v1Pack, original)
        try s.ok(["git", "mlops", "checkout"], in: repo)
        #expect(try s.ok(["git", "mlops", "status"], in: repo).stdout == "")
        #expect(!FS.exists(repo + "/.git/mlops/checkout-pending"))
    }

    /// `kill -9` while a checkout switches a large file: whenever it dies, status never calls the old
    /// bytes a modification; once the checkout is run again everything matches.
    @Test func aKilledCheckoutIsNeverReportedAsModified() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo()
        try s.write(repo + "/big.bin", randomBytes(40_000_000, seed: 7))
        try s.ok(["git", "mlops", "add", "big.bin"], in: repo)
        try s.ok(["git", "add", "-A"], in: repo)
        try s.ok(["git", "commit", "-qm", "v1"], in: repo)
        try s.write(repo + "/big.bin", randomBytes(40_000_000, seed: 8))
        try s.ok(["git", "mlops", "add", "big.bin"], in: repo)
        try s.ok(["git", "commit", "-qam", "v2"], in: repo)
        try s.ok(["git", "checkout", "-q", "HEAD~1", "--", "big.bin.mlops"], in: repo)

        let marker = repo + "/.git/mlops/checkout-pending"
        // The binary itself: killing a `git mlops` wrapper would leave git-mlops running on.
        let p = try s.spawn(["git-mlops", "checkout"], in: repo)
        // Stopped once it writes the new bytes (while they are not yet in place), so the moment cannot
        // pass; the wait throws if it ended first. Then killed.
        let pid = p.processIdentifier
        try GitMLOpsRun.wait(for: "checkout to write big.bin's temporary", while: { GitMLOpsRun.running(pid) }) {
            (FS.lstat(repo + "/.big.bin.mlops-tmp")?.size ?? 0) > 0
        }
        kill(pid, SIGSTOP)
        try GitMLOpsRun.wait(for: "git-mlops to stop", while: { GitMLOpsRun.running(pid) }) { GitMLOpsRun.stat(pid)?.state == "T" }
        #expect(FS.exists(marker), "the checkout in progress is recorded")
        kill(pid, SIGKILL)
        p.waitUntilExit()
        #expect(p.terminationReason == .uncaughtSignal && p.terminationStatus == SIGKILL, "killed while it ran")

        let status = try s.ok(["git", "mlops", "status"], in: repo).stdout
        #expect(!status.contains("modified"), "\(status)")
        #expect(status.hasPrefix("checkout interrupted:    big.bin\n"), "\(status)")
        try s.ok(["git", "mlops", "checkout"], in: repo)
        #expect(try s.ok(["git", "mlops", "status"], in: repo).stdout == "")
    }
}
