import Foundation
import MLOpsBasics
import Profiling
import Store
import Workspace

/// A table the checks apply to: a tracked file, a tracked directory (its merged profile), or a file
/// inside a tracked directory.
struct Dataset: Sendable, Equatable {
    /// Repository-relative.
    var path: String
    var id: ObjectID
    var isDirectory: Bool
    /// Bytes; nil when only a profile names the file (its data was never fetched).
    var size: Int64?
    /// The tracked directory holding it, for a file inside one.
    var container: String?

    /// The tracked path whose pointer stands for this data.
    var trackedPath: String { container ?? path }
}

/// Finds datasets, their profiles and, when a check must read the data, a file holding it. Profiles
/// come from the store first; a profile missing there is fetched from the default remote (a clone may
/// hold profiles of data it never downloaded), else computed from the workspace file when it holds the
/// same bytes, else from the cache, and stored for next time.
final class DataAccess {
    let repo: Repo
    private let settings: ProfileSettings
    private lazy var hasher = FileHasher(statCache: repo.statCache, store: repo.store)
    private var scratch: String?
    private var profiles: [ObjectID: Profile] = [:]
    /// Only profiles already in the store: none is fetched or computed.
    var storedOnly = false

    init(repo: Repo) {
        self.repo = repo
        var s = repo.profileSettings
        s.enabled = true  // checks need profiles whatever `add` is told to do
        settings = s
    }

    /// Removes the files materialized for checks.
    func close() {
        if let scratch { try? FS.removeTree(scratch) }
        scratch = nil
    }

    deinit { close() }

    // MARK: Datasets

    /// The datasets `target` names among `tracked`: the tracked path itself, files inside a tracked
    /// directory (a path or a glob; `*` does not cross `/`), or tracked paths a glob matches.
    func datasets(_ target: String, isGlob: Bool, in tracked: [TrackedData]) throws -> [Dataset] {
        if let t = tracked.first(where: { $0.path == target }) {
            return [Dataset(path: t.path, id: t.pointer.id, isDirectory: t.pointer.kind == .dir, size: t.pointer.size, container: nil)]
        }
        var out: [Dataset] = []
        for t in tracked where t.pointer.kind == .dir && target.hasPrefix(t.path + "/") {
            let rel = String(target.dropFirst(t.path.count + 1))
            for e in try entries(of: t) where isGlob ? fnmatch(rel, e.path, FNM_PATHNAME) == 0 : rel == e.path {
                out.append(Dataset(path: t.path + "/" + e.path, id: e.id, isDirectory: false, size: e.size, container: t.path))
            }
        }
        if out.isEmpty && isGlob {
            for t in tracked where fnmatch(target, t.path, FNM_PATHNAME) == 0 {
                out.append(Dataset(path: t.path, id: t.pointer.id, isDirectory: t.pointer.kind == .dir, size: t.pointer.size, container: nil))
            }
        }
        return out
    }

    /// The files of a tracked directory: from its listing, or (data not here) from its profile object.
    private func entries(of dir: TrackedData) throws -> [(path: String, id: ObjectID, size: Int64?)] {
        if repo.store.contains(dir.pointer.id), let m = try? repo.store.directory(dir.pointer.id) {
            return m.entries.map { ($0.path, $0.id, $0.size) }
        }
        if !storedOnly { _ = try? repo.fetchProfiles([dir.pointer.id]) }
        if let o = try repo.store.profileObject(of: dir.pointer.id) { return o.parts.map { ($0.path, $0.id, nil) } }
        throw MLOpsError("the listing of \(dir.path) (sha256:\(dir.pointer.id.short)) is not in the cache, nor a profile of it",
                         hint: "run `git mlops pull \(dir.path)`")
    }

    // MARK: Profiles

    /// The profile of a dataset. Throws what reading it says (a malformed table names its file and line).
    func profile(_ d: Dataset) throws -> Profile {
        if let p = profiles[d.id] { return p }
        let p = try loadProfile(d)
        profiles[d.id] = p
        return p
    }

    private func loadProfile(_ d: Dataset) throws -> Profile {
        if let s = try repo.storedProfile(of: d.id, name: d.path) { return s.profile }
        if storedOnly { throw MLOpsError("\(d.path): no stored profile of sha256:\(d.id.short)", hint: "`git mlops validate` computes it") }
        if !repo.store.contains(d.id), try workspaceFile(d) == nil, try repo.fetchProfiles([d.id]).contains(d.id),
           let s = try repo.storedProfile(of: d.id, name: d.path) {
            return s.profile
        }
        if d.isDirectory {
            guard repo.store.contains(d.id) else { throw notHere(d) }
            var parts: [(ProfileObject.Part, Profile)] = []
            for e in try repo.store.directory(d.id).entries where settings.matches(d.path + "/" + e.path) {
                let f = Dataset(path: d.path + "/" + e.path, id: e.id, isDirectory: false, size: e.size, container: d.path)
                parts.append((.init(id: e.id, path: e.path), try profile(f)))
            }
            guard let merged = Profile.merge(parts.map(\.1)) else {
                throw MLOpsError.malformed(d.path, "holds no table git-mlops profiles", fix: "check files inside it, e.g. `\(d.path)/*.csv`")
            }
            keep(ProfileObject(data: d.id, parts: parts.map(\.0), json: merged.encoded))
            return merged
        }
        guard let file = try localFile(d) else { throw notHere(d) }
        let p = try Profiler.profile(file: file, name: d.path)
        keep(ProfileObject(data: d.id, json: p.encoded))
        return p
    }

    /// Stores a profile computed here; a cache that cannot be written only loses the saving.
    private func keep(_ o: ProfileObject) {
        try? repo.store.storeProfiles([o])
    }

    private func notHere(_ d: Dataset) -> MLOpsError {
        MLOpsError("\(d.path): its data (sha256:\(d.id.short)) is not in the cache and no profile of it was found",
                   hint: "run `git mlops pull \(d.trackedPath)`, or `git mlops fetch` to get the profiles")
    }

    // MARK: Data

    /// The working tree's file when it holds exactly the dataset's bytes.
    func workspaceFile(_ d: Dataset) throws -> String? {
        guard !d.isDirectory else { return nil }
        let abs = repo.absolute(d.path)
        guard let st = FS.stat(abs), st.isRegular, d.size == nil || d.size == st.size else { return nil }
        return (try? hasher.file(at: abs, key: d.path).id) == d.id ? abs : nil
    }

    /// The working tree's directory when it holds exactly the dataset's files.
    func workspaceDirectory(_ d: Dataset) throws -> String? {
        let abs = repo.absolute(d.path)
        guard d.isDirectory, FS.isDirectory(abs) else { return nil }
        return (try? hasher.directoryID(at: abs, keyPrefix: d.path).id) == d.id ? abs : nil
    }

    /// A file holding the dataset's bytes: the working tree's, or a copy made from the cache (removed
    /// by `close`); nil when neither has them.
    func localFile(_ d: Dataset) throws -> String? {
        if let w = try workspaceFile(d) { return w }
        guard !d.isDirectory, repo.store.contains(d.id) else { return nil }
        if scratch == nil {
            let dir = repo.store.tmpDir + "/validate-" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
            try FS.mkdirs(dir)
            scratch = dir
        }
        // The name keeps its extensions: they say how to read it.
        let path = scratch! + "/" + d.id.short + "-" + basename(d.path)
        if FS.exists(path) { return path }
        let fd = try FileDescriptor.open(path + ".part", O_WRONLY | O_CREAT | O_EXCL, mode: 0o600)
        do {
            defer { fd.close() }
            try Materializer(store: repo.store, threads: 1).stream(d.id, size: try d.size ?? repo.store.fileSize(of: d.id), to: fd)
        }
        try FS.rename(path + ".part", path)
        return path
    }
}
