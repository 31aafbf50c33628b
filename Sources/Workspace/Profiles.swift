import Foundation
import MLOpsBasics
import Profiling
import Store
import Transfer

/// Which stored files get a profile: `profile.*` of `.gitmlops` (docs/validation.md, "Profiles in the store").
///
///     [profile]
///         enabled = true                      # default
///         include = *.csv *.tsv data/*.jsonl  # globs, space-separated (default: every table format)
///         exclude = raw/*.csv
///
/// A glob without `/` matches a file's name, one with `/` its repository-relative path (`*` crosses
/// directories there). Only files `git mlops profile` can read are profiled, whatever the globs say.
public struct ProfileSettings: Sendable, Equatable {
    public var enabled: Bool
    public var include: [String]
    public var exclude: [String]

    public static let defaultInclude = ["*.csv", "*.tsv", "*.csv.gz", "*.csv.zst", "*.tsv.gz", "*.tsv.zst",
                                        "*.jsonl", "*.ndjson", "*.jsonl.gz", "*.jsonl.zst", "*.ndjson.gz", "*.ndjson.zst", "*.npy"]

    public init(enabled: Bool = true, include: [String] = ProfileSettings.defaultInclude, exclude: [String] = []) {
        self.enabled = enabled
        self.include = include
        self.exclude = exclude
    }

    /// Whether the file at repository-relative `path` is profiled when stored.
    public func matches(_ path: String) -> Bool {
        guard enabled, Profiler.detect(path) != nil else { return false }
        return include.contains { ProfileSettings.glob($0, path) } && !exclude.contains { ProfileSettings.glob($0, path) }
    }

    static func glob(_ pattern: String, _ path: String) -> Bool {
        let subject = pattern.contains("/") ? path : basename(path)
        return fnmatch(pattern, subject, 0) == 0
    }

    static func list(_ value: String?) -> [String]? {
        value.map { $0.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," }).map(String.init) }
    }
}

extension Repo {
    public var profileSettings: ProfileSettings {
        ProfileSettings(enabled: config.bool("profile.enabled", default: true),
                        include: ProfileSettings.list(config.string("profile.include")) ?? ProfileSettings.defaultInclude,
                        exclude: ProfileSettings.list(config.string("profile.exclude")) ?? [])
    }

    /// The profile stored for data `id` (a file or a directory), nil when the store has none. A profile
    /// object that fails its checks is an error naming it, never a profile.
    public func storedProfile(of id: ObjectID, name: String) throws -> (object: ProfileObject, profile: Profile)? {
        guard let object = try store.profileObject(of: id) else { return nil }
        let profile = try Profile.decode(object.json, source: "the stored profile of \(name) (object \(ProfileObject.key(for: id).short))")
        return (object, profile)
    }
}

/// Profiles the tables an `add` stores, beside the ingest: profiling starts on a thread of its own
/// before the first byte is stored, and `finish` keeps a profile only for a file whose stat did not
/// change from before profiling to after ingest (so it describes the bytes that were stored). Files
/// whose id already has a profile are not profiled again; a table that cannot be read is stored anyway,
/// with one warning and no profile.
final class AddProfiler: @unchecked Sendable {
    private struct Job {
        var before: FileStat
        var result: Result<Profile, Error>
        var after: FileStat?
    }

    private let repo: Repo
    private let settings: ProfileSettings
    private let targets: [(rel: String, isDirectory: Bool)]
    private var jobs: [String: Job] = [:]
    private let done = DispatchSemaphore(value: 0)
    private var started = false

    init(_ repo: Repo, _ rels: [String]) {
        self.repo = repo
        settings = repo.profileSettings
        targets = rels.map { ($0, FS.lstat(repo.absolute($0))?.isDirectory ?? false) }
        guard settings.enabled else { return }
        started = true
        let t = Thread { [self] in
            defer { done.signal() }
            for (rel, isDirectory) in targets {
                if isDirectory {
                    let files = (try? FileWalk.files(under: repo.absolute(rel))) ?? []
                    for f in files { profileAhead(rel + "/" + f.relPath, known: f.stat) }
                } else {
                    profileAhead(rel, known: FS.stat(repo.absolute(rel)))
                }
            }
        }
        t.stackSize = 1 << 20
        t.start()
    }

    /// Profiles a file now unless the stat cache says it is unchanged and its bytes have a profile.
    private func profileAhead(_ rel: String, known: FileStat?) {
        guard settings.matches(rel), let before = known else { return }
        if let id = repo.statCache.lookup(rel, before), repo.store.hasProfile(of: id) { return }
        let result = Result { try Profiler.profile(file: repo.absolute(rel), name: rel) }
        jobs[rel] = Job(before: before, result: result, after: FS.stat(repo.absolute(rel)))
    }

    /// Waits for the profiling thread (after a failed ingest).
    func abandon() {
        if started { done.wait(); started = false }
    }

    /// Stores the profiles of what was ingested with its data (call before `ingester.finish`).
    func finish(_ results: some Sequence<(String, Ingester.Result)>, into ingester: Ingester) throws {
        abandon()
        guard settings.enabled else { return }
        var objects: [ProfileObject] = []
        var failures: [String] = []
        for (rel, result) in results {
            switch result {
            case .file(let r):
                guard settings.matches(rel), !repo.store.hasProfile(of: r.id) else { continue }
                do { objects.append(ProfileObject(data: r.id, json: try profile(rel).encoded)) } catch { failures.append("\(error)") }
            case .directory(let id, let manifest):
                guard !repo.store.hasProfile(of: id) else { continue }
                var parts: [(ProfileObject.Part, Profile)] = []
                for e in manifest.entries where settings.matches(rel + "/" + e.path) {
                    do {
                        if let stored = try repo.storedProfile(of: e.id, name: rel + "/" + e.path) {
                            parts.append((.init(id: e.id, path: e.path), stored.profile))
                        } else if let made = objects.first(where: { $0.data == e.id }) {
                            parts.append((.init(id: e.id, path: e.path), try Profile.decode(made.json)))
                        } else {
                            let p = try profile(rel + "/" + e.path)
                            objects.append(ProfileObject(data: e.id, json: p.encoded))
                            parts.append((.init(id: e.id, path: e.path), p))
                        }
                    } catch {
                        failures.append("\(error)")
                    }
                }
                if let merged = Profile.merge(parts.map(\.1)) {
                    objects.append(ProfileObject(data: id, parts: parts.map(\.0), json: merged.encoded))
                }
            }
        }
        try ingester.putProfiles(objects)
        if let first = failures.first {
            let more = failures.count > 1 ? " (and \(failures.count - 1) more tables)" : ""
            Terminal.warn("stored, but not profiled: \(first)\(more); checks of it fail until it is fixed and added again")
        }
    }

    /// The profile computed ahead if the file is as it was then, else one computed now.
    private func profile(_ rel: String) throws -> Profile {
        let now = FS.stat(repo.absolute(rel))
        if let job = jobs[rel], let now, job.before.sameContent(as: now), let after = job.after, after.sameContent(as: now) {
            return try job.result.get()
        }
        return try Profiler.profile(file: repo.absolute(rel), name: rel)
    }
}

extension FileStat {
    /// Same size, times, inode and mode: the same bytes, as the stat cache assumes.
    func sameContent(as o: FileStat) -> Bool {
        size == o.size && mtimeNs == o.mtimeNs && ctimeNs == o.ctimeNs && inode == o.inode && mode == o.mode
    }
}

extension Repo {
    /// Fetches `roots` and their profiles; a profile the remote does not have is not missing (not all
    /// data has one).
    func fetchWithProfiles(_ transfer: Transfer, _ roots: [ObjectID]) throws -> Transfer.FetchReport {
        let keys = roots.map(ProfileObject.key)
        var report = try transfer.fetch(roots: roots + keys)
        let optional = Set(keys)
        report.missing.removeAll(where: optional.contains)
        return report
    }

    /// Fetches only the profiles of `ids` (and of their files) from the default remote, for a clone that
    /// compares with data it never downloaded. Returns the ids whose profile is then in the store.
    public func fetchProfiles(_ ids: [ObjectID]) throws -> Set<ObjectID> {
        let wanted = ids.filter { !store.hasProfile(of: $0) }
        if !wanted.isEmpty, try !remotes().isEmpty {
            let lock = try lockStore()
            defer { lock.release() }
            let keys = wanted.map(ProfileObject.key)
            _ = try writingToCache { try transfer(to: try remote(nil)).fetch(roots: keys) }
        }
        return Set(ids.filter { store.hasProfile(of: $0) })
    }
}
