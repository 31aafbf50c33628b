import Foundation
import MLOpsBasics
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Writes and removals by descriptor: a symlink where git-mlops writes never leads it elsewhere.
@Suite struct WorkTreeTests {
    /// A work tree `w` beside a directory `outside` holding `victim.txt`.
    struct Layout {
        let tmp = TempDir()
        var root: String { tmp.path + "/w" }
        var outside: String { tmp.path + "/outside" }
        init() throws {
            try FS.mkdirs(tmp.path + "/w")
            try FS.mkdirs(tmp.path + "/outside/keep")
            try FS.writeAtomic(tmp.path + "/outside/victim.txt", "precious\n")
            try FS.writeAtomic(tmp.path + "/outside/keep/also.txt", "precious too\n")
        }
        var outsideIntact: Bool {
            (try? FS.readText(outside + "/victim.txt")) == "precious\n" && (try? FS.readText(outside + "/keep/also.txt")) == "precious too\n"
                && (try? FS.listDirectory(outside).count) == 2
        }
        func symlink(_ target: String, at rel: String) {
            #expect(Glibc.symlink(target, root + "/" + rel) == 0)
        }
    }

    @Test func aTemporaryNameHeldByASymlinkIsUnlinkedNotFollowed() throws {
        let l = try Layout()
        l.symlink(l.outside + "/victim.txt", at: ".model.bin.mlops-tmp")
        let dir = try Directory.open(l.root)
        #expect(throws: SystemError.self) { _ = try dir.create(".model.bin.mlops-tmp", mode: 0o644) }
        let fd = try dir.createTemporary(".model.bin.mlops-tmp", mode: 0o644)
        try fd.writeAll(Array("model".utf8))
        fd.close()
        try dir.rename(".model.bin.mlops-tmp", to: "model.bin")
        #expect(try FS.readText(l.root + "/model.bin") == "model")
        #expect(l.outsideIntact)
    }

    @Test func directoriesAreNeverReachedThroughSymlinks() throws {
        let l = try Layout()
        l.symlink(l.outside, at: "out")
        try FS.writeAtomic(l.root + "/file", "x")
        let tree = WorkTree(path: l.root)
        #expect(performing: { _ = try tree.directory(try RepoPath("out/sub"), create: true) },
                throws: { "\($0)".contains("out: it is a symlink") })
        #expect(performing: { _ = try tree.lstat(try RepoPath("out/victim.txt")) }, throws: { "\($0)".contains("is a symlink") })
        #expect(performing: { _ = try tree.directory(try RepoPath("file/sub"), create: true) }, throws: { "\($0)".contains("it is a file") })
        #expect(try tree.directory(try RepoPath("file/sub"), create: false) == nil)
        #expect(try tree.directory(try RepoPath("absent/sub"), create: false) == nil)
        let made = try tree.directory(try RepoPath("a/b/c"), create: true)
        #expect(made != nil && FS.lstat(l.root + "/a/b/c")?.isDirectory == true)
        #expect(l.outsideIntact)
    }

    @Test func removalsRemoveSymlinksAndNeverWhatTheyPointAt() throws {
        let l = try Layout()
        try FS.mkdirs(l.root + "/d/e")
        l.symlink(l.outside, at: "d/to-dir")
        l.symlink(l.outside + "/victim.txt", at: "d/e/to-file")
        l.symlink(l.outside, at: "top-link")
        let tree = WorkTree(path: l.root)
        try tree.remove(try RepoPath("top-link"))
        try tree.remove(try RepoPath("d"))
        try tree.remove(try RepoPath("not/there"))
        #expect(try FS.listDirectory(l.root).isEmpty)
        #expect(l.outsideIntact)
        // The path-based removal shares the same walk.
        try FS.mkdirs(l.root + "/again")
        l.symlink(l.outside, at: "again/link")
        try FS.removeTree(l.root + "/again")
        #expect(l.outsideIntact && FS.lstat(l.root + "/again") == nil)
    }

    @Test func aDirectoryHeldOpenStaysTheOneThatWasChecked() throws {
        let l = try Layout()
        let tree = WorkTree(path: l.root)
        let dir = try #require(try tree.directory(try RepoPath("d"), create: true))
        // Swapped for a symlink after it was opened: writes still land in the directory that was checked.
        try FS.rename(l.root + "/d", l.root + "/d-moved")
        l.symlink(l.outside, at: "d")
        let fd = try dir.create("new.bin", mode: 0o644)
        fd.close()
        #expect(FS.exists(l.root + "/d-moved/new.bin"))
        #expect(l.outsideIntact)
    }

    @Test func onlyRegularFilesAreOpenedForReading() throws {
        let l = try Layout()
        l.symlink(l.outside + "/victim.txt", at: "p.mlops")
        #expect(mkfifo(l.root + "/fifo.mlops", 0o644) == 0)
        try FS.writeAtomic(l.root + "/ok.mlops", "x")
        let dir = try Directory.open(l.root)
        #expect(performing: { _ = try dir.openRegularFile("p.mlops") }, throws: { "\($0)".contains("p.mlops is a symlink") })
        #expect(performing: { _ = try dir.openRegularFile("fifo.mlops") }, throws: { "\($0)".contains("not a regular file") })
        #expect(try dir.openRegularFile("ok.mlops").pread(count: 10, offset: 0) == Array("x".utf8))
        try dir.setExecutable("ok.mlops", true)
        #expect(FS.lstat(l.root + "/ok.mlops")?.isExecutable == true)
        #expect(throws: MLOpsError.self) { try dir.setExecutable("p.mlops", true) }
        #expect(FS.stat(l.outside + "/victim.txt")?.isExecutable == false)
    }
}
