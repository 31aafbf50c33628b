import Foundation
import GitBridge
import MLOpsBasics
import Store
import Transfer

extension Repo {
    // MARK: Configuration

    /// Remotes from `.gitmlops` (and local overrides), sorted by name. A committed `.gitmlops` is not
    /// trusted: a name that `remote add` would refuse (it becomes a directory under
    /// `.git/mlops/remotes/`) is an error naming the file, never a path.
    public func remotes() throws -> [RemoteSpec] {
        var byName: [String: RemoteSpec] = [:]
        for (key, value) in config.entries(prefix: "remote.") {
            let parts = key.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count >= 3 else { continue }
            let name = parts.dropFirst().dropLast().joined(separator: "."), field = parts.last!
            var spec = byName[name] ?? RemoteSpec(name: name, url: "")
            switch field {
            case "url": spec.url = value
            case "endpoint": spec.endpoint = value
            case "region": spec.region = value
            default: break
            }
            byName[name] = spec
        }
        let all = byName.values.filter { !$0.url.isEmpty }.sorted { $0.name < $1.name }
        if let bad = all.first(where: { !RemoteSpec.isValidName($0.name) }) {
            let file = settingsFile("remote.\(bad.name).url")
            throw MLOpsError.malformed(file, "remote name \(bad.name.debugDescription) is not valid",
                                      fix: "rename the remote in \(file) (its section and `core.remote`): \(RemoteSpec.nameRule)")
        }
        return all
    }

    public var defaultRemoteName: String? { config.string("core.remote") }

    /// The file a setting comes from, for messages: the user's `.git/config` overrides `.gitmlops`.
    func settingsFile(_ key: String) -> String { config.isLocal(key) ? ".git/config" : ".gitmlops" }

    /// Adds (or replaces) a remote in `.gitmlops`, or in `.git/config` when `local` (machine-specific paths).
    /// An S3 endpoint typed here is one the user trusts with their credentials: it is recorded as
    /// trusted (see `trustEndpoint`), and returned, when it went to the shared `.gitmlops`.
    @discardableResult
    public func addRemote(_ spec: RemoteSpec, makeDefault: Bool, local: Bool) throws -> TrustedEndpoint? {
        guard RemoteSpec.isValidName(spec.name) else {
            throw MLOpsError("invalid remote name '\(spec.name)'", hint: RemoteSpec.nameRule)
        }
        try spec.validate()
        let set: (String, String) throws -> Void = { key, value in
            if local {
                let cfg = try self.git.config()
                try cfg.set("mlops.\(key)", value)
            } else {
                try self.config.setShared(key, value)
            }
        }
        try set("remote.\(spec.name).url", spec.url)
        if let e = spec.endpoint { try set("remote.\(spec.name).endpoint", e) }
        if let r = spec.region { try set("remote.\(spec.name).region", r) }
        if try makeDefault || (defaultRemoteName == nil && remotes().count == 1) { try set("core.remote", spec.name) }
        try config.reload()
        guard spec.isS3, !local, let e = spec.endpoint, !e.isEmpty else { return nil }
        return try (try? trustEndpoint(e, global: true)) ?? trustEndpoint(e, global: false)
    }

    public func removeRemote(_ name: String) throws {
        guard try remotes().contains(where: { $0.name == name }) else {
            throw MLOpsError("no remote named '\(name)'", hint: "`git mlops remote list` shows the remotes")
        }
        try config.unsetShared(section: "remote.\(name)")
        if let cfg = try? git.config() { try cfg.removeSection("mlops.remote.\(name)") }
        if defaultRemoteName == name {
            try config.unsetShared(section: "core.remote")
            if let cfg = try? git.config() { try cfg.unset("mlops.core.remote") }
        }
        try config.reload()
        try? FS.removeTree(storeRoot + "/remotes/" + name)
    }

    /// A remote by name, or the default one.
    public func remote(_ name: String?) throws -> RemoteSpec {
        let all = try remotes()
        if let name {
            guard let r = all.first(where: { $0.name == name }) else {
                throw MLOpsError("no remote named '\(name)'", hint: "`git mlops remote list` shows the remotes; `git mlops remote add` adds one")
            }
            return r
        }
        if let d = defaultRemoteName, let r = all.first(where: { $0.name == d }) { return r }
        if all.count == 1 { return all[0] }
        throw MLOpsError(all.isEmpty ? "no data remote is configured" : "no default data remote is set",
                         hint: all.isEmpty ? "add one with `git mlops remote add NAME URL --default`" : "name one, or set it with `git mlops remote add NAME URL --default`")
    }

    /// A transfer to `spec`, with its index cache under `.git/mlops/remotes/NAME`. Nothing is sent
    /// before the settings are checked and the endpoint is one the user trusts.
    public func transfer(to spec: RemoteSpec) throws -> Transfer {
        try checkSettings(of: spec)
        try checkEndpointTrust(spec)
        let backend = try spec.backend(base: root, environment: environment)
        let width = spec.isS3 ? 6 : 2
        let remote = try RemoteStore(backend: backend, cacheDir: storeRoot + "/remotes/" + spec.name,
                                     retry: RetryPolicy(attempts: tuning.retries), parallelism: width)
        return Transfer(store: store, remote: remote)
    }

    /// Bucket, prefix, endpoint and region as `remote add` would check them, the error naming the file.
    func checkSettings(of spec: RemoteSpec) throws {
        guard RemoteSpec.isValidName(spec.name) else {
            throw MLOpsError("invalid remote name '\(spec.name)'", hint: RemoteSpec.nameRule)
        }
        guard let (key, error) = spec.invalidSetting() else { return }
        let file = settingsFile("remote.\(spec.name).\(key)")
        let e = error as? MLOpsError ?? MLOpsError("\(error)")
        throw MLOpsError.malformed(file, "remote '\(spec.name)': \(e.message)",
                                  fix: (e.hint.map { $0 + ", " } ?? "") + "in `remote.\(spec.name).\(key)` of \(file)")
    }

    // MARK: What to send or get

    /// Object ids named by pointers at the given revisions (all reachable commits with `allCommits`),
    /// plus the workspace's pointers when no revision is given, plus what the providers name for those
    /// commits (ids in their run records).
    func roots(revs: [String], allCommits: Bool, paths: [String] = [], cwd: String = FS.currentDirectory,
               keeping providers: [any RootsProvider]) throws -> [ObjectID] {
        var ids = Set<ObjectID>()
        var commits: [GitOID] = []
        if allCommits {
            let tips = try git.references(prefixes: ["refs/heads/", "refs/tags/"]).map(\.commit) + (git.head.map { [$0] } ?? [])
            commits = try git.commits(reachableFrom: tips)
        } else {
            commits = try revs.map { try git.resolveCommit($0) }
        }
        if revs.isEmpty && !allCommits {
            for t in try select(try workspacePointers(), paths, cwd: cwd) { ids.insert(t.pointer.id) }
            if paths.isEmpty, let h = git.head { commits.append(h) }
        }
        if !commits.isEmpty {
            let selectedPaths = try paths.map { try relativePathAllowingRoot($0, cwd: cwd) }
            var seen = Set<GitOID>()
            try git.files(endingWith: Pointer.suffix, inAll: commits) { _, f in
                guard seen.insert(f.blob).inserted else { return }
                let data = Pointer.dataPath(forPointer: f.path)
                if !selectedPaths.isEmpty && !selectedPaths.contains(where: { $0.isEmpty || data == $0 || data.hasPrefix($0 + "/") }) { return }
                if let p = git.pointer(blob: f.blob, path: f.path) {
                    ids.insert(p.id)
                }
            }
            if paths.isEmpty {
                for p in providers { ids.formUnion(try p.roots(in: self, onCommits: commits)) }
            }
        }
        return ids.sorted()
    }

    // MARK: Push, fetch, pull

    public struct PushResult: Sendable {
        public var remote: String
        public var report: Transfer.PushReport
        /// What happened to refs/notes/mlops on the git remote.
        public var notes: String?
    }

    /// Uploads what the remote lacks for the selected revisions (and what `providers` name for them),
    /// then pushes run records to the git remote.
    public func push(remote name: String?, revs: [String], allCommits: Bool, notes: Bool = true, keeping providers: [any RootsProvider],
                     progress: Bool = Terminal.stdoutIsTTY) throws -> PushResult {
        let spec = try remote(name)
        let lock = try lockStore()
        defer { lock.release() }
        let roots = try self.roots(revs: revs, allCommits: allCommits, keeping: providers)
        let transfer = try self.transfer(to: spec)
        if progress { transfer.progress = ProgressMeter("Pushing to \(spec.name)") }
        let (objects, missing) = store.closure(of: roots)
        // What the cache lacks must already be on the remote; push checks it and reports it if not.
        let report = try transfer.push(objects.union(roots).union(missing))
        transfer.progress?.finish()
        let noteResult = notes ? try NotesSync(repo: self).push() : nil
        return PushResult(remote: spec.name, report: report, notes: noteResult)
    }

    public struct FetchResult: Sendable {
        public var remote: String
        public var report: Transfer.FetchReport
        public var notes: String?
    }

    /// Fetches run records from the git remote (merging them), then the data the selected revisions or
    /// paths need from the data remote (with what `providers` name for those revisions).
    public func fetch(remote name: String?, revs: [String], paths: [String] = [], notes: Bool = true,
                      keeping providers: [any RootsProvider],
                      cwd: String = FS.currentDirectory, progress: Bool = Terminal.stdoutIsTTY,
                      allowMissing: Bool = false) throws -> FetchResult {
        let spec = try remote(name)
        let noteResult = notes ? try NotesSync(repo: self).fetch() : nil
        let lock = try lockStore()
        defer { lock.release() }
        let roots = try self.roots(revs: revs, allCommits: false, paths: paths, cwd: cwd, keeping: providers)
        let transfer = try self.transfer(to: spec)
        if progress { transfer.progress = ProgressMeter("Fetching from \(spec.name)") }
        let report = try writingToCache { try fetchWithProfiles(transfer, roots) }
        transfer.progress?.finish()
        if !report.missing.isEmpty && !allowMissing {
            throw MLOpsError("\(counted(report.missing.count, "object")) \(report.missing.count == 1 ? "is" : "are") not on remote '\(spec.name)' (\(transfer.remote.backend.url)), e.g. \(report.missing[0].hex)",
                             hint: missingDataHint(revs: revs, then: "fetch"))
        }
        return FetchResult(remote: spec.name, report: report, notes: noteResult)
    }

    /// Fetch, then checkout, for the given paths (all when none).
    public func pull(remote name: String?, paths: [String], force: Bool, keeping providers: [any RootsProvider],
                     cwd: String = FS.currentDirectory, progress: Bool = Terminal.stdoutIsTTY) throws -> (FetchResult, CheckoutReport) {
        let f = try fetch(remote: name, revs: [], paths: paths, keeping: providers, cwd: cwd, progress: progress, allowMissing: true)
        // What is missing on the remote does not hold back the rest: check out what can be, then say what could not.
        let c = try checkout(paths, force: force, cwd: cwd, progress: progress, skipMissing: true)
        if !c.missing.isEmpty || !f.report.missing.isEmpty {
            let names = c.missing.prefix(5).joined(separator: ", ") + (c.missing.count > 5 ? " and \(c.missing.count - 5) more" : "")
            let what = f.report.missing.isEmpty ? "data is missing from the cache"
                : "\(counted(f.report.missing.count, "object")) \(f.report.missing.count == 1 ? "is" : "are") not on remote '\(f.remote)' (e.g. \(f.report.missing[0].hex))"
            throw MLOpsError("\(what)\(c.missing.isEmpty ? "" : "; not checked out: \(names)"); \(counted(c.filesWritten, "file")) written, \(c.unchanged) unchanged",
                             hint: missingDataHint(revs: [], then: "pull"))
        }
        return (f, c)
    }

    /// Deletes from a remote what no branch, tag or run record needs (two-phase, `grace` seconds apart).
    public func gcRemote(_ name: String, grace: TimeInterval, dryRun: Bool, keeping providers: [any RootsProvider]) throws -> Transfer.RemoteGCReport {
        let spec = try remote(name)
        let lock = try lockStore()
        defer { lock.release() }
        let roots = Array(try liveRoots(workspaceOnly: false, keeping: providers))
        return try writingToCache { try transfer(to: spec).collectGarbage(roots: roots + roots.map(ProfileObject.key), grace: grace, dryRun: dryRun) }
    }

    // MARK: pre-push hook

    /// The pre-push hook: uploads the data of every commit being pushed to the default data remote, and
    /// fails (so git sends nothing) if that fails or if a commit names data found nowhere.
    /// `input` is what git writes on the hook's stdin: `<local ref> <local sha> <remote ref> <remote sha>` lines.
    public func prePush(gitRemote: String, input: String) throws -> PushResult? {
        let zero = String(repeating: "0", count: 40)
        var tips: [GitOID] = [], hide: [GitOID] = []
        for line in input.split(separator: "\n") {
            let f = line.split(separator: " ")
            guard f.count == 4, !f[0].hasPrefix("refs/notes/"), f[1] != zero, let local = GitOID(hex: String(f[1])) else { continue }
            tips.append(local)
            if f[3] != zero, let r = GitOID(hex: String(f[3])), git.hasCommit(r) { hide.append(r) }
        }
        guard !tips.isEmpty else { return nil }
        hide += try git.references(prefixes: ["refs/remotes/\(gitRemote)/"]).map(\.commit)
        let commits = try git.commits(reachableFrom: tips, hiding: hide)
        guard !commits.isEmpty else { return nil }
        var ids = Set<ObjectID>()
        try git.files(endingWith: Pointer.suffix, inAll: commits) { c, f in
            if let p = git.pointer(blob: f.blob, path: f.path) {
                ids.insert(p.id)
            }
        }
        // Commits that point at no data need no data remote.
        guard !ids.isEmpty else { return nil }
        let spec = try remote(nil)
        let lock = try lockStore()
        defer { lock.release() }
        let transfer = try self.transfer(to: spec)
        let closure = store.closure(of: Array(ids))
        let report = try transfer.push(closure.objects.union(closure.missing).union(ids))
        return PushResult(remote: spec.name, report: report, notes: nil)
    }
}

extension Repo {
    /// The notes ref that push and fetch move with the data (Lineage keeps run records there).
    public static let notesRef = "refs/notes/mlops"
}

/// Moves `refs/notes/mlops` to and from the git remote with the git binary, never with a forced
/// refspec: a rejected push fetches the other side's notes, merges them with `cat_sort_uniq` (run
/// records are canonical JSON lines, so the union loses nothing), and pushes again.
struct NotesSync {
    let repo: Repo

    /// The git remote of the current branch's upstream, else `origin`, else the only one; nil if none.
    var gitRemote: String? {
        let remotes = (try? repo.gitCommand.output(["remote"]))?.stdout.split(separator: "\n").map(String.init) ?? []
        if let b = repo.git.currentBranch,
           let r = try? repo.gitCommand.output(["config", "branch.\(b).remote"]), r.status == 0 {
            let name = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            if remotes.contains(name) { return name }
        }
        if remotes.contains("origin") { return "origin" }
        return remotes.count == 1 ? remotes[0] : nil
    }

    /// Git with `GIT_MLOPS_NOTES_SYNC` set, so the pre-push hook lets this push through.
    private var git: GitCommand {
        GitCommand(in: repo.root, environment: ProcessInfo.processInfo.environment.merging(["GIT_MLOPS_NOTES_SYNC": "1"]) { $1 })
    }

    func push() throws -> String? {
        guard repo.git.referenceTarget(Repo.notesRef) != nil else { return nil }
        guard let remote = gitRemote else { return "no git remote: run records stay local" }
        let refspec = "\(Repo.notesRef):\(Repo.notesRef)"
        let push = ["push", "--quiet", "--no-verify", remote, refspec]
        if try git.output(push).status != 0 {
            _ = try fetch()
            try git.run(push, hint: "the data was uploaded; fix the git remote and run `git mlops push` again")
        }
        return "run records pushed to \(remote)"
    }

    /// Fetches the remote's notes into FETCH_HEAD and merges them into ours.
    func fetch() throws -> String? {
        guard let remote = gitRemote else { return nil }
        let fetch = ["fetch", "--quiet", remote, Repo.notesRef]
        let f = try git.output(fetch)
        guard f.status == 0 else {
            if f.stderr.contains("couldn't find remote ref") { return nil }
            throw GitCommand.failure(fetch, f, hint: "check the git remote and run the command again")
        }
        let theirs = try git.run(["rev-parse", "FETCH_HEAD"]).trimmingCharacters(in: .whitespacesAndNewlines)
        if repo.git.referenceTarget(Repo.notesRef) == nil {
            try git.run(["update-ref", Repo.notesRef, theirs], hint: "run `git fsck`")
            return "run records fetched from \(remote)"
        }
        try git.run(["notes", "--ref=mlops", "merge", "--quiet", "-s", "cat_sort_uniq", theirs],
                    hint: "run `git notes --ref=mlops merge --abort`, then fetch again")
        return "run records merged from \(remote)"
    }
}
