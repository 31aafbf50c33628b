import Foundation
import GitBridge
import MLOpsBasics
import ObjectStore
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
    /// Object ids gc must keep: pointers in every commit reachable from branches, tags and remote
    /// branches, in every worktree and index, and every id a provider names (run records).
    public func liveRoots(workspaceOnly: Bool, keeping providers: [any RootsProvider]) throws -> Set<ObjectID> {
        var roots = Set<ObjectID>()
        for t in try workspacePointers() { roots.insert(t.pointer.id) }
        for f in try git.indexFiles(endingWith: Pointer.suffix) {
            if let p = git.pointer(blob: f.blob, path: f.path) { roots.insert(p.id) }
        }
        if workspaceOnly { return roots }
        for wt in git.linkedWorktrees() where wt != root {
            if let other = try? GitRepository(path: wt), let r = try? Repo(git: other, environment: environment) {
                for t in (try? r.workspacePointers()) ?? [] { roots.insert(t.pointer.id) }
            }
        }
        var tips = try git.references(prefixes: ["refs/heads/", "refs/tags/", "refs/remotes/", "refs/stash"]).map(\.commit)
        if let h = git.head { tips.append(h) }
        if !tips.isEmpty {
            var seenBlobs = Set<GitOID>()
            try git.files(endingWith: Pointer.suffix, inAll: try git.commits(reachableFrom: tips)) { _, f in
                guard seenBlobs.insert(f.blob).inserted,
                      let p = git.pointer(blob: f.blob, path: f.path) else { return }
                roots.insert(p.id)
            }
        }
        for p in providers { roots.formUnion(try p.liveRoots(in: self)) }
        return roots
    }

    /// Removes what nothing reaches and repacks, holding the cache exclusively. `providers` name what
    /// layers above keep (run records); with `workspaceOnly` only the checkout's pointers count.
    public func gc(_ options: GCOptions, keeping providers: [any RootsProvider]) throws -> Store.GCReport {
        let lock = try lockStore(exclusive: true)
        defer { lock.release() }
        // A truncated pack that gc would not read (all of it kept as it is) must not pass for healthy.
        if let bad = store.truncatedPacks().first {
            throw MLOpsError("pack \(bad) is damaged (\(Store.truncatedPack))",
                             hint: "run `git mlops fsck --repair` to drop damaged data and fetch it again from a remote, then gc")
        }
        let keep = store.closure(of: Array(try liveRoots(workspaceOnly: options.workspaceOnly, keeping: providers))).objects
        return try store.repack(keep: keep, dryRun: options.dryRun)
    }

    public struct FsckResult: Sendable {
        public var report: Store.FsckReport
        /// Tracked paths whose data is affected by a problem, with the problem.
        public var affected: [(path: String, problem: String)]
    }

    /// Checks every object in the cache, then names the workspace paths whose data is missing or corrupt.
    /// Missing objects count only when the workspace or a kept version (what gc keeps) needs them: a
    /// whole pack adopted by a pull may hold manifests of versions nobody asked for.
    public func fsck(keeping providers: [any RootsProvider], progress: Bool = Terminal.stdoutIsTTY) throws -> FsckResult {
        let lock = try lockStore()
        defer { lock.release() }
        return try fsckLocked(progress: progress, providers)
    }

    private func fsckLocked(progress: Bool, _ providers: [any RootsProvider]) throws -> FsckResult {
        let meter = progress ? ProgressMeter("Checking") : nil
        var report = try store.fsck(progress: meter)
        meter?.finish()
        let needed = try neededButMissing(providers)
        report.problems.removeAll { $0.kind == .missing && !($0.id.map(needed.contains) ?? true) }
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
            if !missing.isEmpty { affected.append((t.path, "\(counted(missing.count, "object")) missing")) }
            let hits = objects.intersection(bad)
            if !hits.isEmpty { affected.append((t.path, "\(counted(hits.count, "object")) corrupt")) }
        }
        return FsckResult(report: report, affected: affected)
    }

    /// Objects that a manifest in the cache lists, for a version gc keeps, and that the cache lacks.
    /// (A kept version whose data was never fetched at all is not missing: the cache is partial by design.)
    private func neededButMissing(_ providers: [any RootsProvider], absentRoots: Set<ObjectID>? = nil) throws -> Set<ObjectID> {
        let roots = try liveRoots(workspaceOnly: false, keeping: providers)
        let absent = absentRoots ?? roots.filter { !store.contains($0) }
        return store.closure(of: Array(roots)).missing.subtracting(absent)
    }

    public struct RepairResult: Sendable {
        /// Damaged packs removed from the cache.
        public var dropped: [String] = []
        /// Objects of those packs that still verified, kept in new packs.
        public var salvaged = 0
        /// Objects fetched again, and from where (nil when no remote is configured).
        public var fetched = 0
        public var remote: String?
        /// Objects of the damaged packs that no kept version is known to need: dropped for good.
        public var unneeded = 0
        /// Objects the workspace or a kept version needs that no remote gave back.
        public var unrecoverable: [ObjectID] = []
        /// fsck after the repair.
        public var after: FsckResult?
    }

    /// `fsck --repair`: drops damaged packs and bad indexes (keeping every object of theirs that still
    /// verifies), fetches what is then missing from `remote` (default: the default remote), and checks
    /// again. Holds the cache exclusively, like gc. Run again, it resumes.
    public func repair(remote name: String?, keeping providers: [any RootsProvider], progress: Bool = Terminal.stdoutIsTTY) throws -> RepairResult {
        let lock = try lockStore(exclusive: true)
        defer { lock.release() }
        let meter = progress ? ProgressMeter("Checking") : nil
        let report = try store.fsck(progress: meter)
        meter?.finish()
        var damaged = Set(report.problems.filter { $0.kind != .missing }.compactMap(\.pack))
        // A manifest that does not rebuild its file lives in a pack too.
        for p in report.problems where p.kind == .corrupt && p.pack == nil {
            if let id = p.id, let loc = store.locate(id) { damaged.insert(loc.pack.name) }
        }
        let roots = try liveRoots(workspaceOnly: false, keeping: providers)
        let neverFetched = roots.filter { !store.contains($0) }
        let salvage = try store.dropDamagedPacks(damaged)
        var result = RepairResult(dropped: salvage.dropped, salvaged: salvage.salvaged)

        var want = try neededButMissing(providers, absentRoots: neverFetched)
        for t in try workspacePointers() { want.formUnion(store.closure(of: [t.pointer.id]).missing) }
        if !want.isEmpty {
            if try name != nil || !remotes().isEmpty {
                let spec = try remote(name)
                result.remote = spec.name
                let transfer = try self.transfer(to: spec)
                if progress { transfer.progress = ProgressMeter("Fetching from \(spec.name)") }
                let fetched = try transfer.fetch(roots: want.sorted())
                transfer.progress?.finish()
                result.fetched = fetched.objects
            }
            var still = try neededButMissing(providers, absentRoots: neverFetched)
            for t in try workspacePointers() { still.formUnion(store.closure(of: [t.pointer.id]).missing) }
            result.unrecoverable = still.sorted()
        }
        let needed = store.closure(of: Array(roots))
        result.unneeded = salvage.lost.subtracting(needed.objects).subtracting(needed.missing).count
        result.after = try fsckLocked(progress: false, providers)
        return result
    }
}
