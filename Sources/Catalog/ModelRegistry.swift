import Foundation
import GitBridge
import Lineage
import MLOpsBasics
import Workspace

/// `NAME`, `NAME@vX.Y.Z` (or `NAME@latest`), `NAME#STAGE`: how commands name a model or a version.
public enum ModelRef: Equatable, Sendable {
    case model(String)
    case version(String, String)
    case stage(String, String)

    public var model: String {
        switch self { case .model(let m), .version(let m, _), .stage(let m, _): return m }
    }

    /// Parses a reference; a malformed one is an error saying what is wrong.
    public static func parse(_ text: String) throws -> ModelRef {
        if let at = text.firstIndex(of: "@") {
            let name = String(text[..<at]), v = String(text[text.index(after: at)...])
            try CatalogNames.checkArtifact(name)
            if v == "latest" || v == "greatest" { return .version(name, "latest") }
            _ = try CatalogNames.version(v)
            return .version(name, v)
        }
        if let hash = text.firstIndex(of: "#") {
            let name = String(text[..<hash]), s = String(text[text.index(after: hash)...])
            try CatalogNames.checkArtifact(name)
            try CatalogNames.checkStage(s)
            return .stage(name, s)
        }
        try CatalogNames.checkArtifact(text)
        return .model(text)
    }
}

/// The catalog's operations: register, promote, deprecate, and the questions `show` and `get` ask.
/// Every check runs before the first tag or commit is written, so bad input creates nothing.
public final class ModelRegistry {
    public let git: GitRepository
    public private(set) var catalog: Catalog

    /// The repository under git-mlops, when it is one (weights, runs and lineage need it); the
    /// catalog itself needs only git.
    public lazy var repo: Repo? = try? Repo.open(from: git.workdir)

    public init(cwd: String = FS.currentDirectory) throws {
        git = try GitRepository.discover(from: cwd)
        catalog = try Catalog.read(git)
    }

    func reload() throws { catalog = try Catalog.read(git) }

    // MARK: Resolving

    /// The model and version a reference names (`NAME` alone: its latest version).
    public func resolve(_ ref: ModelRef) throws -> (ModelEntry, ModelVersion) {
        let m = try catalog.model(ref.model)
        func known() -> String {
            let vs = m.activeVersions.filter(\.isRegistered).map(\.name)
            return vs.isEmpty ? "it has no registered version" : "registered versions: \(vs.prefix(8).joined(separator: ", "))"
        }
        switch ref {
        case .model, .version(_, "latest"):
            guard let v = m.latest else {
                throw MLOpsError("model '\(m.name)' has no registered version", hint: "register one with `git mlops model register \(m.name)`")
            }
            return (m, v)
        case .version(_, let name):
            guard let v = m.version(name), v.isRegistered else {
                throw MLOpsError("model '\(m.name)' has no version \(name)", hint: known())
            }
            return (m, v)
        case .stage(_, let s):
            guard let hit = m.stages[s] else {
                let st = m.stages.keys.sorted()
                throw MLOpsError("no version of '\(m.name)' is in stage '\(s)'",
                                 hint: st.isEmpty ? "promote one with `git mlops model promote \(m.name)@VERSION \(s)`" : "stages in use: \(st.joined(separator: ", "))")
            }
            return (m, hit.version)
        }
    }

    /// How the model is declared at the version's commit (`artifacts.yaml` or `dvc.yaml`).
    public func declaration(_ model: String, at commit: GitOID) throws -> ArtifactDeclaration? {
        try ArtifactIndex.read(git: git, at: commit).declaration(model)
    }

    /// The version's weights: where they are declared to be, their pointer when git-mlops tracks
    /// them, or their blob when git keeps the file itself.
    public struct Weights: Sendable {
        public var declaration: ArtifactDeclaration?
        public var path: String? { declaration?.path }
        public var pointer: Pointer?
        public var blob: GitOID?
    }

    public func weights(_ model: String, _ v: ModelVersion) throws -> Weights {
        let d = try declaration(model, at: v.commit)
        guard let path = d?.path else { return Weights(declaration: d) }
        let pointerPath = Pointer.pointerPath(forData: path)
        if let text = try git.file(pointerPath, in: v.commit) {
            let p = try Pointer.decode(String(decoding: text, as: UTF8.self), path: "\(v.commit.short):\(pointerPath)")
            return Weights(declaration: d, pointer: p)
        }
        if let bytes = try git.file(path, in: v.commit) { return Weights(declaration: d, blob: GitRepository.blobID(bytes)) }
        return Weights(declaration: d)
    }

    /// The lineage of the version's weights (the run that made them, its inputs, back to the raw data),
    /// nil when the repository is not under git-mlops or the weights are not known.
    public func lineage(_ model: String, _ v: ModelVersion, journal: Journal? = nil) throws -> LineageGraph? {
        let w = try weights(model, v)
        guard let repo, let path = w.path, w.pointer != nil || w.blob != nil else { return nil }
        let j = journal ?? Journal(repo: repo)
        return try LineageGraph.build(repo: repo, journal: j, path: repo.root + "/" + path, rev: v.commit.hex, cwd: repo.root)
    }

    /// The run that made the version's weights.
    public func producer(_ model: String, _ v: ModelVersion) throws -> RunRecord? {
        guard let g = try lineage(model, v), let r = g.data[g.root].producer else { return nil }
        return g.runs[r].record
    }

    // MARK: Register

    public struct Registered: Sendable {
        public var tag: String
        public var version: SemVer
        public var commit: GitOID
        /// The commit that declared the model in `artifacts.yaml`, when `--path` made one.
        public var annotation: GitOID?
    }

    /// Registers a version: `NAME@vX.Y.Z` on the commit `rev` names (HEAD by default). With `path`,
    /// the model is declared in `artifacts.yaml` first when the commit does not declare it (a new
    /// commit on HEAD holding only that change, as `gto annotate --commit` makes).
    public func register(_ name: String, version: SemVer?, bump: SemVer.Part?, path: String?, type: String = "model",
                         rev: String?, message: String?, sign: Bool) throws -> Registered {
        try CatalogNames.checkArtifact(name)
        if version != nil && bump != nil { throw MLOpsError("give either --version or --bump, not both", exitCode: 129) }
        var commit = try git.resolveCommit(rev ?? "HEAD")
        let model = catalog.models[name]
        if let existing = model?.versions.first(where: { $0.commit == commit && $0.isRegistered }) {
            if existing.isActive {
                throw MLOpsError("commit \(commit.short) already holds \(name) \(existing.name) (GTO allows one version of a model per commit)",
                                 hint: "commit the new weights and register that commit, or promote \(name)@\(existing.name)")
            }
            throw MLOpsError("\(name) \(existing.name) was registered on commit \(commit.short) and deregistered", hint: "register a later commit")
        }
        let next: SemVer
        let latest = model?.latest?.semver
        if let version {
            next = version
            if let taken = model?.versions.first(where: { $0.semver.map { $0.samePrecedence(version) } ?? false && $0.isRegistered }) {
                throw MLOpsError("\(name) \(taken.name) is already registered (on commit \(taken.commit.short))",
                                 hint: "choose another version, e.g. --version \((latest ?? version).bumped(.patch)), or --bump patch")
            }
        } else if let bump {
            guard let latest else {
                throw MLOpsError("cannot bump: \(name) has no version yet", hint: "register the first one with --version (default \(SemVer.first))")
            }
            next = latest.bumped(bump)
        } else {
            next = latest?.bumped(.patch) ?? .first
        }
        let tag = CatalogTagName(artifact: name, action: .register, version: next).description
        guard GitRepository.isValidTagName(tag) else {
            throw MLOpsError("'\(tag)' is not a tag name git accepts", hint: "choose another model name or version")
        }
        if try git.tagNames().contains(tag) {
            throw MLOpsError("tag '\(tag)' exists already", hint: "choose another version (e.g. --bump patch)")
        }
        var annotation: GitOID?
        let before = commit
        if let path {
            annotation = try declare(name, path: path, type: type, at: commit, explicitRev: rev)
            if let a = annotation { commit = a }
        }
        let msg = message ?? "Registering artifact \(name) version \(next)"
        do {
            try git.createTag(tag, on: commit, message: msg, sign: sign)
        } catch {
            if let a = annotation { undoDeclaration(commit: a, parent: before) }
            throw error
        }
        try reload()
        return Registered(tag: tag, version: next, commit: commit, annotation: annotation)
    }

    /// Makes sure `commit` declares `name` at `path`; returns the new commit when one was needed.
    private func declare(_ name: String, path userPath: String, type: String, at commit: GitOID, explicitRev: String?) throws -> GitOID? {
        var path = ArtifactIndex.normalize(userPath)
        if path.hasSuffix(Pointer.suffix) { path = Pointer.dataPath(forPointer: path) }
        guard RepoPath.problem(path) == nil, !userPath.hasPrefix("/") else {
            throw MLOpsError("'\(userPath)' is not a path inside the repository", hint: "give the weights' path relative to the repository root")
        }
        guard CatalogTagName.isValidName(Array(type.utf8)) else {
            throw MLOpsError("'\(type)' is not a valid artifact type", hint: "use letters, digits, '-', '_'")
        }
        let inCommit = try git.file(Pointer.pointerPath(forData: path), in: commit) != nil || git.file(path, in: commit) != nil
        guard inCommit else {
            throw MLOpsError("\(path) is not in commit \(commit.short) (neither \(Pointer.pointerPath(forData: path)) nor the file itself)",
                             hint: "store it with `git mlops add \(path)` (or `git mlops run`) and commit, then register")
        }
        if let d = try declaration(name, at: commit) {
            if d.path == path { return nil }
            throw MLOpsError("\(d.source) at \(commit.short) declares \(name) with path '\(d.path ?? "")', not '\(path)'",
                             hint: "edit \(d.source) and commit, or leave out --path")
        }
        guard commit == git.head else {
            throw MLOpsError("\(explicitRev ?? "the commit") (\(commit.short)) does not declare \(name) in \(ArtifactIndex.fileName), and --path can only add it on top of HEAD",
                             hint: "register HEAD, or declare it in \(ArtifactIndex.fileName) on that commit's branch first")
        }
        let file = git.workdir + "/" + ArtifactIndex.fileName
        let committed = try git.file(ArtifactIndex.fileName, in: commit).map { String(decoding: $0, as: UTF8.self) }
        let current = FS.exists(file) ? try FS.readText(file) : nil
        guard current == committed else {
            throw MLOpsError("\(ArtifactIndex.fileName) has uncommitted changes", hint: "commit or stash them, then register again")
        }
        let text = try ArtifactIndex.declaring(name, path: path, type: type, in: committed ?? "")
        try FS.writeAtomic(file, text)
        do {
            try git.runGit(["add", "--", ArtifactIndex.fileName])
            try git.runGit(["commit", "-q", "-m", "Annotate artifact `\(name)` of type `\(type)` with path `\(path)`", "--", ArtifactIndex.fileName])
        } catch {
            // Nothing half-done: the file and the index go back to what they were.
            if let committed { try? FS.writeAtomic(file, committed) } else { try? FS.remove(file) }
            _ = try? git.runGit(["reset", "-q", "--", ArtifactIndex.fileName], allowFailure: true)
            throw error
        }
        return try git.resolveCommit("HEAD")
    }

    /// Takes back the commit `declare` made when the tag that should follow it could not be made
    /// (a signing failure, say), so a failed register leaves nothing behind. Only when HEAD is still it.
    private func undoDeclaration(commit: GitOID, parent: GitOID) {
        guard git.head == commit else { return }
        let file = git.workdir + "/" + ArtifactIndex.fileName
        _ = try? git.runGit(["reset", "-q", "--soft", parent.hex], allowFailure: true)
        _ = try? git.runGit(["reset", "-q", "--", ArtifactIndex.fileName], allowFailure: true)
        if let old = try? git.file(ArtifactIndex.fileName, in: parent) { try? FS.writeAtomic(file, old) } else { try? FS.remove(file) }
    }

    // MARK: Promote

    public struct Promoted: Sendable {
        public var tag: String
        public var version: String
        public var gates: [GateResult]
        /// Gates that failed and were overridden with --force --reason.
        public var overridden: [GateResult]
    }

    /// Assigns `stage` to a registered version after the gates pass (or are overridden with a reason,
    /// which the tag message records).
    public func promote(_ name: String, version: String, stage: String, message: String?, sign: Bool,
                        force: Bool, reason: String?, gates: PromotionGates) throws -> Promoted {
        try CatalogNames.checkArtifact(name)
        try CatalogNames.checkStage(stage)
        if force && (reason ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
            throw MLOpsError("--force needs --reason TEXT", hint: "say why the gates are overridden; the reason is recorded in the tag", exitCode: 129)
        }
        let (m, v) = try resolve(.version(name, version))
        guard v.isActive else { throw MLOpsError("\(name) \(v.name) was deregistered", hint: "promote an active version") }
        if m.isDeprecated { throw MLOpsError("model '\(name)' is deprecated", hint: "registering a new version revives it (as in GTO)") }
        if v.activeStages[stage] != nil && !force {
            throw MLOpsError("\(name) \(v.name) is already in stage '\(stage)'", hint: "nothing to do; --force --reason TEXT tags it again")
        }
        let request = PromotionRequest(model: name, version: v.name, commit: v.commit, stage: stage, run: try producer(name, v))
        let results = try gates.check(request)
        let failed = results.filter { !$0.passed }
        if !failed.isEmpty && !force {
            throw MLOpsError("promotion of \(name) \(v.name) to '\(stage)' refused by its gates: \(failed.map(\.detail).joined(separator: "; "))",
                             hint: "improve the model, or override with --force --reason TEXT (recorded in the tag)")
        }
        var msg = message ?? "Assigning stage \(stage) to artifact \(name) version \(v.name)"
        if force, let reason {
            msg += "\n\n" + PromotionOverride(reason: reason, failed: failed.map(\.detail)).trailers
        }
        let tag = CatalogTagName(artifact: name, action: .assign, stage: stage, counter: try catalog.nextCounter(name, git: git)).description
        guard GitRepository.isValidTagName(tag) else { throw MLOpsError("'\(tag)' is not a tag name git accepts", hint: "choose another stage name") }
        try git.createTag(tag, on: v.commit, message: msg, sign: sign)
        try reload()
        return Promoted(tag: tag, version: v.name, gates: results, overridden: force ? failed : [])
    }

    // MARK: Deprecate

    /// Deprecates a model (`NAME@deprecated`) or deregisters one version (`NAME@vX.Y.Z!`), as
    /// `gto deprecate` does. Returns the tag.
    public func deprecate(_ ref: ModelRef, message: String?, sign: Bool) throws -> String {
        let existing = Set(try git.tagNames())
        func free(_ n: CatalogTagName) throws -> String {
            var n = n
            if existing.contains(n.description) { n.counter = try catalog.nextCounter(n.artifact, git: git) }
            return n.description
        }
        let tag: String, commit: GitOID, msg: String
        switch ref {
        case .model(let name):
            let m = try catalog.model(name)
            guard !m.isDeprecated else { throw MLOpsError("model '\(name)' is deprecated already", hint: "nothing to do") }
            guard let last = m.events.last else { throw MLOpsError("model '\(name)' has no tags", hint: "nothing to deprecate") }
            tag = try free(CatalogTagName(artifact: name, action: .deprecate))
            commit = last.commit
            msg = message ?? "Deprecating artifact '\(name)'"
        case .version(let name, _):
            let (_, v) = try resolve(ref)
            guard v.isActive else { throw MLOpsError("\(name) \(v.name) is deregistered already", hint: "nothing to do") }
            var n = CatalogTagName(artifact: name, action: .deregister, version: v.semver)
            n.versionText = v.name
            tag = try free(n)
            commit = v.commit
            msg = message ?? "Deregistering artifact \(name) version \(v.name)"
        case .stage:
            throw MLOpsError("deprecate takes NAME or NAME@VERSION", hint: "to take a version out of a stage, promote another version to it", exitCode: 129)
        }
        try git.createTag(tag, on: commit, message: msg, sign: sign)
        try reload()
        return tag
    }
}

/// A gate override as a promotion tag records it: git trailers after the message.
///
///     Override-Reason: hotfix for incident 42
///     Override-Gate: mse 0.09 > max 0.05
public struct PromotionOverride: Sendable, Equatable {
    public var reason: String
    public var failed: [String]

    public init(reason: String, failed: [String]) { self.reason = reason; self.failed = failed }

    var trailers: String {
        func oneLine(_ s: String) -> String { s.split(whereSeparator: \.isNewline).joined(separator: " ") }
        return (["Override-Reason: " + oneLine(reason)] + failed.map { "Override-Gate: " + oneLine($0) }).joined(separator: "\n")
    }

    /// The override a tag message records, nil when it records none.
    public init?(message: String) {
        var reason: String?
        var failed: [String] = []
        for line in message.split(separator: "\n") {
            if line.hasPrefix("Override-Reason: ") { reason = String(line.dropFirst(17)) }
            if line.hasPrefix("Override-Gate: ") { failed.append(String(line.dropFirst(15))) }
        }
        guard let reason else { return nil }
        self.init(reason: reason, failed: failed)
    }
}

extension ModelRegistry {
    public struct Got: Sendable {
        public var model: String
        public var version: String
        public var path: String
        public var bytes: Int64
        public var files: Int
        public var fetched: Bool
    }

    /// Writes a version's weights to `dest` (`model get`): from the cache, fetching only what is missing
    /// from the default remote, every file checked against its id; or, for weights git keeps, the blob.
    public func get(_ ref: ModelRef, to dest: String) throws -> Got {
        let (m, v) = try resolve(ref)
        let w = try weights(m.name, v)
        guard let path = w.path else {
            throw MLOpsError("\(m.name) \(v.name) does not declare where its weights are",
                             hint: "declare the path in \(ArtifactIndex.fileName) (`git mlops model register \(m.name) --path PATH` does it for new versions)")
        }
        if let p = w.pointer {
            guard let repo else {
                throw MLOpsError("\(path) is stored by git-mlops but git-mlops is not set up here", hint: "run `git mlops init`")
            }
            let r = try repo.export(p, to: dest)
            return Got(model: m.name, version: v.name, path: path, bytes: r.bytes, files: r.files, fetched: r.fetched)
        }
        if let b = w.blob {
            guard FS.lstat(dest) == nil else { throw MLOpsError("\(dest) exists", hint: "remove it or choose another output path") }
            let bytes = try git.readBlob(b)
            try FS.mkdirs(dirname(dest).isEmpty ? "." : dirname(dest))
            try FS.writeAtomic(dest, bytes)
            return Got(model: m.name, version: v.name, path: path, bytes: Int64(bytes.count), files: 1, fetched: false)
        }
        throw MLOpsError("\(path) is not in commit \(v.commit.short) of \(m.name) \(v.name)", hint: "the declaration in \(w.declaration?.source ?? ArtifactIndex.fileName) names a path that commit lacks")
    }
}
