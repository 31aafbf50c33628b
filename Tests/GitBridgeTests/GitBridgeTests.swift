import Foundation
@testable import GitBridge
import MLOpsBasics
import TestSupport
import Testing

/// libgit2 through GitBridge agrees with the git binary on ids, discovery, blobs and ignores.
@Suite struct GitBridgeTests {
    /// A fresh repository made by the git binary, in a sealed environment.
    static func repo(_ tmp: TempDir) throws -> GitCommand {
        let git = GitCommand(in: tmp.path, environment: ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
                                                         "HOME": tmp.path, "GIT_CONFIG_NOSYSTEM": "1", "LC_ALL": "C"])
        try git.run(["init", "-q"])
        return git
    }

    @Test func blobIDsAreGits() throws {
        #expect(GitRepository.blobID(Array("hello\n".utf8)).hex == "ce013625030ba8dba906f756967f9e9ca394464a")
        #expect(GitRepository.blobID([]).hex == "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391")
        let tmp = TempDir()
        let git = try Self.repo(tmp)
        let bytes = randomBytes(5000, seed: 3)
        try FS.writeAtomic(tmp.path + "/b", bytes, durable: false)
        #expect(GitRepository.blobID(bytes).hex + "\n" == (try git.run(["hash-object", "b"])))
    }

    @Test func discoveryFindsTheRepositoryAboveAndRefusesOutside() throws {
        let tmp = TempDir()
        _ = try Self.repo(tmp)
        try FS.mkdirs(tmp.path + "/a/b/c")
        let found = try GitRepository.discover(from: tmp.path + "/a/b/c")
        #expect(FS.realpath(found.workdir) == FS.realpath(tmp.path))
        // A directory with no repository above it (the temporary directory's root may have one: use /proc).
        #expect(throws: MLOpsError.self) { _ = try GitRepository.discover(from: "/proc/self") }
    }

    /// A blob larger than the caller allows is never loaded: readBlob(atMost:) answers nil from its header.
    @Test func blobsAreReadOnlyUpToALimit() throws {
        let tmp = TempDir()
        let git = try Self.repo(tmp)
        try FS.writeAtomic(tmp.path + "/small", "version x\n", durable: false)
        try FS.writeAtomic(tmp.path + "/large", randomBytes(4096, seed: 9), durable: false)
        let small = try #require(GitOID(hex: try git.run(["hash-object", "-w", "small"]).trimmingCharacters(in: .newlines)))
        let large = try #require(GitOID(hex: try git.run(["hash-object", "-w", "large"]).trimmingCharacters(in: .newlines)))
        let r = try GitRepository.discover(from: tmp.path)
        #expect(try r.readBlob(small, atMost: 199) == Array("version x\n".utf8))
        #expect(try r.readBlob(large, atMost: 199) == nil)
        #expect(try r.readBlob(large, atMost: 4096) == randomBytes(4096, seed: 9))
    }

    @Test func ignoresFollowGitsRules() throws {
        let tmp = TempDir()
        let git = try Self.repo(tmp)
        try FS.writeAtomic(tmp.path + "/.gitignore", "/data.bin\n*.tmp\n", durable: false)
        let r = try GitRepository.discover(from: tmp.path)
        #expect(r.isIgnored("data.bin") && r.isIgnored("x/y.tmp"))
        #expect(!r.isIgnored("x/data.bin") && !r.isIgnored("data.bin.mlops"))
        // The binary agrees.
        #expect(try git.output(["check-ignore", "-q", "x/data.bin"]).status == 1)
        #expect(try git.output(["check-ignore", "-q", "x/y.tmp"]).status == 0)
    }
}
