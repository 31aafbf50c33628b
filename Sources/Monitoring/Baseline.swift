import Catalog
import Foundation
import GitBridge
import Lineage
import MLOpsBasics
import Profiling
import Workspace

/// A table the training run read: what live records are compared with.
public struct TrainingInput: Sendable, Equatable {
    /// Repository-relative, as the run record names it.
    public var path: String
    public var id: ObjectID
    public var isDirectory: Bool
    public var size: Int64?
    public var files: Int?
    /// The commit whose data has it (the run's), for the hint that fetches it.
    public var commit: GitOID?

    public init(path: String, id: ObjectID, isDirectory: Bool, size: Int64? = nil, files: Int? = nil, commit: GitOID? = nil) {
        self.path = path; self.id = id; self.isDirectory = isDirectory; self.size = size; self.files = files; self.commit = commit
    }
}

/// Where the profile of training data comes from: `StoredProfiles` first, then `ProfilesFromData`.
public protocol BaselineProfiles {
    /// The profile of `input`, nil when this source has none.
    func profile(of input: TrainingInput) throws -> Profile?
}

/// The first answer of several sources, in order.
public struct FirstBaseline: BaselineProfiles {
    public var sources: [any BaselineProfiles]

    public init(_ sources: [any BaselineProfiles]) { self.sources = sources }

    public func profile(of input: TrainingInput) throws -> Profile? {
        for s in sources { if let p = try s.profile(of: input) { return p } }
        return nil
    }
}

/// The profile stored with the training data when it was added (the same one validation reads),
/// fetched alone from the default remote when the cache has neither it nor the data: a clone monitors
/// without downloading the training set. Nil when there is none, so the data is profiled instead.
public struct StoredProfiles: BaselineProfiles {
    let repo: Repo

    public init(repo: Repo) { self.repo = repo }

    public func profile(of input: TrainingInput) throws -> Profile? {
        if let stored = try repo.storedProfile(of: input.id, name: input.path) { return stored.profile }
        // With the data at hand, profiling it is cheaper than asking a remote; a remote that cannot
        // be reached (or a read-only cache) leaves it to profiling the data, which says what is missing.
        guard !repo.store.contains(input.id), (try? repo.fetchProfiles([input.id]))?.contains(input.id) == true else { return nil }
        return try repo.storedProfile(of: input.id, name: input.path)?.profile
    }
}

/// Profiles the training data itself: the workspace's copy when it is the very same data (same id),
/// else the stored data, written from the cache to a temporary directory (fetched from the default
/// remote when the cache lacks it, as `model get` does), profiled, and removed.
public final class ProfilesFromData: BaselineProfiles {
    let repo: Repo

    public init(repo: Repo) { self.repo = repo }

    public func profile(of input: TrainingInput) throws -> Profile? {
        guard input.isDirectory || Profiler.detect(input.path) != nil else { return nil }
        // Paths in run records come from anyone's clone: only a checked path inside the working tree
        // is read, and never through a symlink.
        if (try? repo.ensureSafeParents(of: input.path, create: false)) != nil, let st = FS.lstat(repo.absolute(input.path)),
           st.isDirectory == input.isDirectory, st.isRegular || st.isDirectory,
           let state = try? repo.hash([input.path])[input.path], state?.id == input.id {
            return try profile(at: repo.absolute(input.path), name: input.path, isDirectory: input.isDirectory)
        }
        guard let size = input.size, RepoPath.problem(input.path) == nil else {
            throw MLOpsError("the run record names \(input.path) without its size (or with an unsafe path)",
                             hint: "record the training run again with `git mlops run --force`")
        }
        let tmp = repo.storeRoot + "/tmp/monitor-\(UInt64.random(in: 0...UInt64.max))"
        defer { try? FS.removeTree(tmp) }
        let dest = tmp + "/" + basename(input.path)
        let pointer = Pointer(id: input.id, size: size, kind: input.isDirectory ? .dir : .file, files: input.files)
        do {
            _ = try repo.export(pointer, to: dest, progress: false)
        } catch {
            throw MLOpsError("cannot read \(input.path) (sha256:\(input.id.short)), the training data to compare with: \(error)",
                             hint: "fetch it with `git mlops fetch --rev \(input.commit?.short ?? "COMMIT")` (or `git mlops pull \(input.path)` on that commit), then monitor again")
        }
        return try profile(at: dest, name: input.path, isDirectory: input.isDirectory)
    }

    private func profile(at path: String, name: String, isDirectory: Bool) throws -> Profile? {
        if !isDirectory { return try Profiler.profile(file: path, name: name) }
        let report = try ProfileReport.make(paths: [path])
        return report.merged ?? report.files.first?.profile
    }
}

/// The model version a monitor watches, and the run and data it was trained on.
public struct MonitoredModel: Sendable {
    public var name: String
    public var version: String
    /// When named by stage (`NAME#STAGE`).
    public var stage: String?
    public var commit: GitOID
    public var run: RunRecord
    public var inputs: [TrainingInput]

    /// `NAME#STAGE` or `NAME@VERSION` (or `NAME`: the latest version) through the catalog, then the run
    /// that made the version's weights, then the tables that run read (all, or those `training_data` names).
    public static func resolve(_ text: String, registry: ModelRegistry, settings: MonitorSettings) throws -> MonitoredModel {
        let ref = try ModelRef.parse(text)
        let (m, v) = try registry.resolve(ref)
        var stage: String?
        if case .stage(_, let s) = ref { stage = s }
        guard let run = try registry.producer(m.name, v) else {
            throw MLOpsError("no recorded run made the weights of \(m.name) \(v.name), so its training data is unknown",
                             hint: "train it with `git mlops run`, commit, and register that commit; `git mlops model show \(m.name)@\(v.name)` shows what is known")
        }
        let runCommit = run.commit.flatMap { GitOID(hex: $0) }
        var inputs = run.inputs.compactMap { a -> TrainingInput? in
            guard let id = a.oid else { return nil }
            let dir = a.type == "dir"
            guard dir || Profiler.detect(a.path) != nil else { return nil }
            return TrainingInput(path: a.path, id: id, isDirectory: dir, size: a.size, files: a.files, commit: runCommit ?? v.commit)
        }
        if let wanted = settings.trainingData {
            for w in wanted where !inputs.contains(where: { $0.path == w }) {
                throw MonitorError.config("`training_data` names \(w), which run \(run.shortID) (\(run.stage)) did not read",
                                          fix: "its tables: \(inputs.map(\.path).joined(separator: ", "))")
            }
            inputs = inputs.filter { wanted.contains($0.path) }
        }
        guard !inputs.isEmpty else {
            throw MLOpsError("run \(run.shortID) (\(run.stage)), which made \(m.name) \(v.name), read no table to compare live records with",
                             hint: "its inputs: \(run.inputs.map(\.path).joined(separator: ", ")); monitor compares with CSV, TSV, JSON Lines and .npy data")
        }
        return MonitoredModel(name: m.name, version: v.name, stage: stage, commit: v.commit, run: run, inputs: inputs)
    }

    /// The merged profile of the training inputs.
    public func baseline(_ profiles: any BaselineProfiles) throws -> Profile {
        var parts: [Profile] = []
        for i in inputs {
            guard let p = try profiles.profile(of: i) else {
                throw MLOpsError("no profile of \(i.path) (sha256:\(i.id.short)), the training data of \(name) \(version)",
                                 hint: "it is not a table monitor reads; choose the training tables with `monitor.training_data` in mlops.yaml")
            }
            parts.append(p)
        }
        return Profile.merge(parts)!
    }
}
