import Foundation
import Testing
import MLOpsBasics
import Store
import TestSupport
@testable import Workspace

/// The checkout planner: everything it refuses is refused before anything is written.
@Suite struct CheckoutPlanTests {
    /// A repository with `data/` (two files) added; returns it and the files' bytes by path.
    static func repoWithData(_ tmp: TempDir) throws -> Repo {
        let repo = try RepoPathTests.makeRepo(tmp)
        try FS.mkdirs(repo.root + "/data/sub")
        try FS.writeAtomic(repo.root + "/data/a.bin", "a\n")
        try FS.writeAtomic(repo.root + "/data/sub/b.bin", "b\n")
        _ = try repo.add(["data"], cwd: repo.root)
        return repo
    }

    /// Stores `entries` as a listing in their given order (a forged one may repeat or misorder them)
    /// and points `name.mlops` at it.
    static func forge(_ repo: Repo, _ name: String, _ entries: [DirEntry]) throws {
        let ingester = Ingester(store: repo.store, statCache: nil)
        let manifest = DirManifest(sortedEntries: entries)
        let id = try ingester.storeManifest(manifest)
        try ingester.finish()
        let p = Pointer(id: id, size: manifest.totalSize, kind: .dir, files: entries.count)
        try FS.writeAtomic(repo.root + "/" + name + Pointer.suffix, p.encode())
    }

    @Test func aListingThatIsNotOneTreeIsRefused() throws {
        let tmp = TempDir()
        let repo = try Self.repoWithData(tmp)
        let a = try repo.store.directory(try repo.workspacePointers()[0].pointer.id).entries[0]
        for (entries, says) in [
            ([a, a], "'a.bin' is listed twice"),
            ([DirEntry(path: "x", id: a.id, size: a.size, executable: false), DirEntry(path: "x/y", id: a.id, size: a.size, executable: false)],
             "'x' is both a file and the directory of 'x/y'"),
            ([DirEntry(path: "b", id: a.id, size: a.size, executable: false), DirEntry(path: "a", id: a.id, size: a.size, executable: false)],
             "'a' is out of order"),
        ] {
            try Self.forge(repo, "odd", entries)
            #expect(performing: { _ = try repo.checkout(["odd"], cwd: repo.root, progress: false) },
                    throws: { "\($0)".hasPrefix("odd.mlops: the listing of odd (") && "\($0)".contains(says) })
            #expect(FS.lstat(repo.root + "/odd") == nil && FS.lstat(repo.root + "/.odd.mlops-tmp") == nil)
        }
    }

    @Test func nestedPointersAreRefused() throws {
        let tmp = TempDir()
        let repo = try Self.repoWithData(tmp)
        try FS.writeAtomic(repo.root + "/data/sub/b.bin.mlops", try FS.readText(repo.root + "/data.mlops"))
        // Committed past .gitignore, as an attacker would.
        let env = ["PATH": "/usr/bin:/bin", "HOME": tmp.path, "GIT_CONFIG_NOSYSTEM": "1", "LC_ALL": "C"]
        #expect(try ProcessRunner.capture(["git", "add", "-f", "data/sub/b.bin.mlops"], cwd: repo.root, env: env).status == 0)
        #expect(performing: { _ = try repo.checkout(force: true, cwd: repo.root, progress: false) },
                throws: { "\($0)".hasPrefix("data/sub/b.bin.mlops is inside data, which data.mlops tracks as a whole") })
        #expect(try FS.readText(repo.root + "/data/sub/b.bin") == "b\n")
    }

    /// An unchanged directory counts the files it has, not what its pointer claims (which could overflow).
    @Test func unchangedCountsComeFromTheDataNotThePointer() throws {
        let tmp = TempDir()
        let repo = try Self.repoWithData(tmp)
        try FS.mkdirs(repo.root + "/more")
        try FS.writeAtomic(repo.root + "/more/c.bin", "c\n")
        _ = try repo.add(["more"], cwd: repo.root)
        for name in ["data", "more"] {
            var t = try repo.workspacePointers().first { $0.path == name }!
            t.pointer.files = Int.max
            try FS.writeAtomic(repo.root + "/" + t.pointerPath, t.pointer.encode())
        }
        let r = try repo.checkout(cwd: repo.root, progress: false)
        #expect(r.unchanged == 3 && r.filesWritten == 0)
    }

    /// The marker of an interrupted checkout lists what it was changing, and goes once that is done.
    @Test func thePendingMarkerListsWhatIsUnfinished() throws {
        let tmp = TempDir()
        let repo = try Self.repoWithData(tmp)
        let marker = PendingCheckout(repo)
        try marker.save([try RepoPath("data"), try RepoPath("gone")])
        try FS.writeAtomic(repo.root + "/data/a.bin", "edited\n")
        #expect(try repo.status(cwd: repo.root).map(\.state) == [.interrupted])
        _ = try repo.checkout(force: true, cwd: repo.root, progress: false)
        #expect(marker.load() == [try RepoPath("gone")], "only what this checkout covered is done")
        #expect(try FS.readText(repo.root + "/data/a.bin") == "a\n")
        try marker.save([try RepoPath("data")])
        #expect(try repo.status(cwd: repo.root).isEmpty)
        #expect(marker.load().isEmpty, "status drops paths that match their pointers")
    }
}
