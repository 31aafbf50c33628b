import Foundation
import MLOpsBasics
import TestSupport
import Testing

/// The file primitives every layer trusts: atomic replacement, bounded reads of files from outside, ids.
@Suite struct FileSystemTests {
    @Test func writeAtomicReplacesWholeAndLeavesNoTemporary() throws {
        let tmp = TempDir()
        let path = tmp.path + "/f"
        try FS.writeAtomic(path, "old contents, longer than the new\n")
        try FS.writeAtomic(path, Array("new\n".utf8), mode: 0o600)
        #expect(try FS.readFile(path) == Array("new\n".utf8))
        #expect(FS.stat(path).map { $0.mode & 0o777 } == 0o600)
        #expect(try FS.listDirectory(tmp.path).map(\.name) == ["f"])
    }

    /// A listing that stats its files (what FileWalk asks for) gives each regular file the same lstat
    /// as its path, and nothing for a directory or a symlink, which is not followed.
    @Test func listingWithStatsStatsOnlyRegularFilesWithoutFollowingLinks() throws {
        let tmp = TempDir()
        try FS.writeAtomic(tmp.path + "/a", "12345")
        try FS.mkdirs(tmp.path + "/d")
        #expect(symlink(tmp.path + "/a", tmp.path + "/l") == 0)
        let entries = try FS.listDirectory(tmp.path, statFiles: true).sorted { $0.name < $1.name }
        #expect(entries.map(\.name) == ["a", "d", "l"])
        #expect(entries[0].stat == FS.lstat(tmp.path + "/a") && entries[0].stat?.size == 5)
        #expect(entries[1].kind == .directory && entries[1].stat == nil)
        #expect(entries[2].kind == .symlink && entries[2].stat == nil)
        #expect(try FS.listDirectory(tmp.path).allSatisfy { $0.stat == nil })
    }

    /// The kernel's copy (file to file) and the buffered one it falls back to (here: into a pipe, which
    /// copy_file_range refuses) both copy exactly the rest of the source, from its current position.
    @Test func copyRestCopiesFromTheCurrentPositionWithOrWithoutTheKernel() throws {
        let tmp = TempDir()
        let data = randomBytes(9 << 20 | 12345, seed: 7)
        try FS.writeAtomic(tmp.path + "/src", data, durable: false)
        let src = try FileDescriptor.open(tmp.path + "/src", O_RDONLY)
        #expect(lseek(src.fd, 1000, SEEK_SET) == 1000)
        let dst = try FileDescriptor.open(tmp.path + "/dst", O_WRONLY | O_CREAT | O_EXCL)
        try src.copyRest(to: dst)
        dst.close()
        #expect(try FS.readFile(tmp.path + "/dst") == Array(data[1000...]))

        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        let small = Array(data[0..<40000])
        try FS.writeAtomic(tmp.path + "/small", small, durable: false)
        let from = try FileDescriptor.open(tmp.path + "/small", O_RDONLY)
        let writer = FileDescriptor(fd: ends[1], path: "pipe"), reader = FileDescriptor(fd: ends[0], path: "pipe")
        // 40,000 bytes fit in a pipe's 64 KiB buffer, so the copy does not wait for the reader.
        try from.copyRest(to: writer)
        writer.close()
        #expect(try reader.readAll() == small)
    }

    @Test func readBoundedReadsASmallRegularFile() throws {
        let tmp = TempDir()
        try FS.writeAtomic(tmp.path + "/ok", randomBytes(100, seed: 1), durable: false)
        #expect(try FS.readBounded(tmp.path + "/ok", name: "ok", limit: 100, fix: "f") == randomBytes(100, seed: 1))
        #expect(try FS.readBounded(tmp.path + "/ok", name: "ok", limit: 100, followSymlink: false, fix: "f").count == 100)
    }

    /// What a hostile clone can put where a small file is expected: too much, a symlink, a FIFO (which
    /// would block an open for reading forever), a directory. Each is one error naming the file and the fix.
    @Test func readBoundedRefusesWhatIsNotASmallRegularFile() throws {
        let tmp = TempDir()
        try FS.writeAtomic(tmp.path + "/big", randomBytes(101, seed: 2), durable: false)
        try FS.writeAtomic(tmp.path + "/target", "x", durable: false)
        #expect(symlink(tmp.path + "/target", tmp.path + "/link") == 0)
        #expect(mkfifo(tmp.path + "/fifo", 0o644) == 0)
        try FS.mkdirs(tmp.path + "/dir")
        let cases: [(String, Bool, String)] = [
            ("big", true, "big: is larger than 100 bytes, the limit for this file; fix it"),
            ("link", false, "link: is a symbolic link, not a file; fix it"),
            ("fifo", true, "fifo: is not a regular file; fix it"),
            ("dir", true, "dir: is not a regular file; fix it"),
        ]
        for (name, follow, message) in cases {
            do {
                _ = try FS.readBounded(tmp.path + "/" + name, name: name, limit: 100, followSymlink: follow, fix: "fix it")
                Issue.record("\(name) was read")
            } catch {
                #expect("\(error)" == message)
            }
        }
        #expect(try FS.readBounded(tmp.path + "/link", name: "link", limit: 100, fix: "f") == Array("x".utf8), "followed when allowed")
    }

    @Test func objectIDsAreSHA256InLowercaseHex() throws {
        let abc = ObjectID.hashing("abc")
        #expect(abc.hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(ObjectID(hex: abc.hex) == abc)
        #expect(ObjectID(hex: abc.hex.uppercased())?.hex == abc.hex, "read in either case, written in lowercase")
        #expect(ObjectID(hex: String(abc.hex.dropLast())) == nil)
        #expect(ObjectID(hex: String(abc.hex.dropLast()) + "g") == nil)
        #expect(ObjectID.hashing("abd") > abc || ObjectID.hashing("abd") < abc)
        #expect([UInt8](abc.hex.utf8).withUnsafeBytes { ObjectID(hexUTF8: $0) } == abc)
    }
}
