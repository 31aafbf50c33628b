import Foundation
import GitBridge
import MLOpsBasics
import TestSupport
import Testing
@testable import Workspace

/// gc keeps what the layers above name through their roots providers, and Workspace itself knows no
/// record of theirs.
@Suite struct LiveRootsTests {
    struct Keep: RootsProvider {
        let ids: Set<ObjectID>
        func liveRoots(in repo: Repo) throws -> Set<ObjectID> { ids }
        func roots(in repo: Repo, onCommits commits: [GitOID]) throws -> Set<ObjectID> { ids }
    }

    /// A file added and then forgotten (pointer and data removed, never committed): nothing in git
    /// names it any more.
    static func forgottenFile(_ tmp: TempDir) throws -> (Repo, ObjectID) {
        let repo = try RepoPathTests.makeRepo(tmp)
        try FS.writeAtomic(repo.root + "/model.bin", randomBytes(300_000, seed: 5), durable: false)
        let id = try repo.add(["model.bin"], cwd: repo.root, progress: false)[0].pointer.id
        try FS.remove(repo.root + "/model.bin.mlops")
        try FS.remove(repo.root + "/model.bin")
        return (repo, id)
    }

    @Test func gcKeepsWhatAProviderNamesAndRemovesItOnceNoneDoes() throws {
        let tmp = TempDir()
        let (repo, id) = try Self.forgottenFile(tmp)
        let objects = repo.store.closure(of: [id]).objects
        #expect(objects.count > 2, "a file of several chunks and its manifest")

        let kept = try repo.gc(GCOptions(), keeping: [Keep(ids: [id])])
        #expect(kept.objectsRemoved == 0)
        #expect(repo.store.closure(of: [id]).missing.isEmpty)

        let removed = try repo.gc(GCOptions(), keeping: [])
        #expect(removed.objectsRemoved == objects.count)
        #expect(objects.allSatisfy { !repo.store.contains($0) })
    }

    /// fsck reports a missing object only when something gc keeps needs it.
    @Test func fsckAsksTheProvidersWhatIsNeeded() throws {
        let tmp = TempDir()
        let (repo, id) = try Self.forgottenFile(tmp)
        let chunk = try #require(repo.store.references(of: id).first)
        // Drop one chunk by repacking without it: the file's manifest now lists a chunk the cache lacks.
        _ = try repo.store.repack(keep: repo.store.closure(of: [id]).objects.subtracting([chunk]), dryRun: false)
        #expect(try repo.fsck(keeping: [], progress: false).report.problems.isEmpty)
        let needed = try repo.fsck(keeping: [Keep(ids: [id])], progress: false).report.problems
        #expect(needed.map(\.kind) == [.missing] && needed.first?.id == chunk)
    }
}
