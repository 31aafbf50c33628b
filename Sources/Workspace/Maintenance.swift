import Foundation
import GitBridge
import MLOpsBasics
import Store

/// What gc keeps: every object that the roots (pointers and records) need.
public struct GCOptions: Sendable {
    /// Keep only what the current checkout's pointers use.
    public var workspaceOnly = false
    public var dryRun = false
    public init(workspaceOnly: Bool = false, dryRun: Bool = false) {
        self.workspaceOnly = workspaceOnly
        self.dryRun = dryRun
    }
}

extension Repo {
    /// Notes ref that holds run records; gc keeps every object they name.
    public static let notesRef = "refs/notes/mlops"

    /// Object ids gc must keep: pointers in every commit reachable from branches, tags and remote
    /// branches, in every worktree and index, and every id named by a lineage note or pending run.
    public func liveRoots(workspaceOnly: Bool) throws -> Set<ObjectID> {
        var roots = Set<ObjectID>()
        for t in try workspacePointers() { roots.insert(t.pointer.id) }
        for f in try git.indexFiles(endingWith: Pointer.suffix) {
            if let p = try? Pointer.decode(String(decoding: git.readBlob(f.blob), as: UTF8.self), path: f.path) { roots.insert(p.id) }
        }
        if workspaceOnly { return roots }
        for wt in git.linkedWorktrees() where wt != root {
            if let other = try? GitRepository(path: wt), let r = try? Repo(git: other) {
                for t in (try? r.workspacePointers()) ?? [] { roots.insert(t.pointer.id) }
            }
        }
        var tips = try git.references(prefixes: ["refs/heads/", "refs/tags/", "refs/remotes/", "refs/stash"]).map(\.commit)
        if let h = git.head { tips.append(h) }
        if !tips.isEmpty {
            var seenBlobs = Set<GitOID>()
            try git.files(endingWith: Pointer.suffix, inAll: try git.commits(reachableFrom: tips)) { _, f in
                guard seenBlobs.insert(f.blob).inserted,
                      let text = try? git.readBlob(f.blob),
                      let p = try? Pointer.decode(String(decoding: text, as: UTF8.self), path: f.path) else { return }
                roots.insert(p.id)
            }
        }
        for (_, text) in try git.notes(ref: Repo.notesRef) {
            roots.formUnion(Repo.objectIDs(in: text))
        }
        let pending = storeRoot + "/runs"
        if FS.isDirectory(pending) {
            for e in try Ingester.walk(pending) {
                if let text = try? FS.readText(e.absPath) { roots.formUnion(Repo.objectIDs(in: text)) }
            }
        }
        return roots
    }

    /// Removes what nothing reaches and repacks, holding the cache exclusively.
    public func gc(_ options: GCOptions) throws -> Store.GCReport {
        let lock = try lockStore(exclusive: true)
        defer { lock.release() }
        let keep = store.closure(of: Array(try liveRoots(workspaceOnly: options.workspaceOnly))).objects
        return try store.repack(keep: keep, dryRun: options.dryRun)
    }

    public struct FsckResult: Sendable {
        public var report: Store.FsckReport
        /// Tracked paths whose data is affected by a problem, with the problem.
        public var affected: [(path: String, problem: String)]
    }

    /// Checks every object in the cache, then names the workspace paths whose data is missing or corrupt.
    public func fsck(progress: Bool = Terminal.stdoutIsTTY) throws -> FsckResult {
        let lock = try lockStore()
        defer { lock.release() }
        let meter = progress ? ProgressMeter("Checking") : nil
        var report = try store.fsck(progress: meter)
        meter?.finish()
        let bad = Set(report.problems.compactMap(\.id))
        var affected: [(String, String)] = []
        for t in try workspacePointers() {
            let (objects, missing) = store.closure(of: [t.pointer.id])
            if missing.contains(t.pointer.id) {
                affected.append((t.path, "not in the cache"))
                report.problems.append(.init(kind: .missing, id: t.pointer.id, pack: nil, detail: "data of \(t.path)"))
                continue
            }
            for m in missing.sorted() where !bad.contains(m) {
                report.problems.append(.init(kind: .missing, id: m, pack: nil, detail: "needed by \(t.path)"))
            }
            if !missing.isEmpty { affected.append((t.path, "\(missing.count) objects missing")) }
            let hits = objects.intersection(bad)
            if !hits.isEmpty { affected.append((t.path, "\(hits.count) objects corrupt")) }
        }
        return FsckResult(report: report, affected: affected)
    }
}
