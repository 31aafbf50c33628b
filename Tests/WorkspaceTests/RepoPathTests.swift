import Foundation
import Testing
import MLOpsBasics
import TestSupport
@testable import Workspace

/// Paths a user names: inside the working tree only, never through a symlink or into `.git`.
@Suite struct RepoPathTests {
    /// A real repository (made by the real git, sealed from the user's configuration) set up for git-mlops.
    static func makeRepo(_ tmp: TempDir) throws -> Repo {
        let root = tmp.path + "/repo"
        try FS.mkdirs(root)
        let env = ["PATH": "/usr/bin:/bin", "HOME": tmp.path, "GIT_CONFIG_NOSYSTEM": "1", "LC_ALL": "C"]
        let out = try ProcessRunner.capture(["git", "init", "-q", root], env: env)
        #expect(out.status == 0, "\(out.stderr)")
        return try Repo.initialize(at: root).repo
    }

    static func symlink(_ target: String, at path: String) throws {
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: target)
    }

    @Test func pathsInsideTheTreeBecomeRepositoryRelative() throws {
        let tmp = TempDir()
        let repo = try Self.makeRepo(tmp)
        try FS.mkdirs(repo.root + "/data/raw")
        #expect(try repo.relativePath("data/raw/", cwd: repo.root) == "data/raw")
        #expect(try repo.relativePath("raw", cwd: repo.root + "/data") == "data/raw")
        #expect(try repo.relativePath("../../data", cwd: repo.root + "/data/raw") == "data")
        #expect(try repo.relativePath(repo.root + "/data/new.bin", cwd: "/") == "data/new.bin")
    }

    @Test func pathsOutsideTheTreeOrInsideGitAreRefused() throws {
        let tmp = TempDir()
        let repo = try Self.makeRepo(tmp)
        try FS.mkdirs(tmp.path + "/elsewhere")
        try Self.symlink(tmp.path + "/elsewhere", at: repo.root + "/link")
        for (path, says) in [("../x", "outside the repository"), ("/etc/passwd", "outside the repository"),
                             ("link/x", "outside the repository"), (".git/config", "inside .git"),
                             (".", "repository root")] {
            #expect(performing: { _ = try repo.relativePath(path, cwd: repo.root) },
                    throws: { "\($0)".contains(says) })
        }
    }

    @Test func writesNeverGoThroughASymlinkedDirectory() throws {
        let tmp = TempDir()
        let repo = try Self.makeRepo(tmp)
        try FS.mkdirs(tmp.path + "/elsewhere")
        try Self.symlink(tmp.path + "/elsewhere", at: repo.root + "/out")
        for (path, says) in [("out/model.bin", "is a symlink"), ("../model.bin", "unsafe path"), ("/tmp/model.bin", "unsafe path")] {
            #expect(performing: { try repo.ensureSafeParents(of: path, create: true) },
                    throws: { "\($0)".contains(says) })
        }
        try repo.ensureSafeParents(of: "models/v1/model.bin", create: true)
        #expect(FS.lstat(repo.root + "/models/v1")?.isDirectory == true)
        #expect(try FS.listDirectory(tmp.path + "/elsewhere").isEmpty)
    }
}
