import GitBridge
import MLOpsBasics

/// One catalog tag, parsed: what happened, to which artifact, by whom and when (the tagger).
public struct CatalogEvent: Sendable {
    public var name: CatalogTagName
    public var tag: AnnotatedTag
    /// The version the event is about: the version tag's own, or for a stage tag the version registered
    /// on the same commit (the commit's id when none is).
    public var version: String?

    public var action: CatalogAction { name.action }
    public var commit: GitOID { tag.target }
    public var stage: String? { name.stage }

    /// Events are ordered by tagger time, then by the counter N (the true order within one second,
    /// where GTO's order is that of its internal lists), then by GTO's priority (a removal after an
    /// addition of the same time).
    static func precedes(_ a: CatalogEvent, _ b: CatalogEvent) -> Bool {
        (a.tag.time, a.name.counter ?? 0, a.action.priority, a.tag.name) < (b.tag.time, b.name.counter ?? 0, b.action.priority, b.tag.name)
    }
}

/// A version of a model: registered by a `NAME@vX.Y.Z` tag, or (as GTO does) a commit that a stage
/// was assigned to without a registration, named by the commit's id.
public struct ModelVersion: Sendable {
    public var name: String
    public var semver: SemVer?
    public var commit: GitOID
    /// Ascending.
    public var registrations: [CatalogEvent] = []
    public var deregistrations: [CatalogEvent] = []
    public var stageEvents: [CatalogEvent] = []

    public var isRegistered: Bool { !registrations.isEmpty }
    /// The registration that counts (the latest).
    public var registration: CatalogEvent? { registrations.last }

    /// Active unless its latest registration event is a deregistration; an unregistered version is
    /// active while it has stage events (GTO's `Version.is_active`). Set by `settle()`.
    public private(set) var isActive = false

    /// Stages this version is in now, each with its latest assignment: a stage whose latest event
    /// on this version is an assignment. Set by `settle()`.
    public private(set) var activeStages: [String: CatalogEvent] = [:]

    /// Works out the state from the events, once (`list` reads it many times).
    mutating func settle() {
        var last: CatalogEvent?
        for e in registrations where last.map({ CatalogEvent.precedes($0, e) }) ?? true { last = e }
        for e in deregistrations where last.map({ CatalogEvent.precedes($0, e) }) ?? true { last = e }
        isActive = last.map { $0.action == .register } ?? !stageEvents.isEmpty
        var latest: [String: CatalogEvent] = [:], assigned: [String: CatalogEvent] = [:]
        for e in stageEvents {
            guard let s = e.stage else { continue }
            latest[s] = e
            if e.action == .assign { assigned[s] = e }
        }
        activeStages = assigned.filter { latest[$0.key]?.action == .assign }
    }

    /// Every event of this version, oldest first.
    public var events: [CatalogEvent] { (registrations + deregistrations + stageEvents).sorted(by: CatalogEvent.precedes) }

}

extension ModelVersion {
    /// Semver versions first, highest first; then commit-named ones (GTO's order). Sorts small keys,
    /// not the versions themselves, and compares whole versions only for pre-releases of one X.Y.Z.
    static func gtoOrder(_ versions: [ModelVersion]) -> [ModelVersion] {
        struct Key { var semver: Bool; var major, minor, patch: Int; var release: Bool; var index: Int }
        let keys = versions.indices.map { i -> Key in
            guard let v = versions[i].semver else { return Key(semver: false, major: 0, minor: 0, patch: 0, release: true, index: i) }
            return Key(semver: true, major: v.major, minor: v.minor, patch: v.patch, release: v.prerelease.isEmpty, index: i)
        }
        return keys.sorted { a, b in
            if a.semver != b.semver { return a.semver }
            if !a.semver || (a.major, a.minor, a.patch, a.release) == (b.major, b.minor, b.patch, b.release) && a.release {
                return versions[a.index].name > versions[b.index].name
            }
            if (a.major, a.minor, a.patch) != (b.major, b.minor, b.patch) { return (a.major, a.minor, a.patch) > (b.major, b.minor, b.patch) }
            if a.release != b.release { return a.release }
            let x = versions[a.index].semver!, y = versions[b.index].semver!
            return x.samePrecedence(y) ? versions[a.index].name > versions[b.index].name : y < x
        }.map { versions[$0.index] }
    }
}

/// A model (GTO's artifact) as its tags describe it.
public struct ModelEntry: Sendable {
    public var name: String
    /// Every version, active or not, in GTO's order (highest semver first).
    public var versions: [ModelVersion] = []
    public var deprecations: [CatalogEvent] = []
    /// Deprecated: its latest event is a deprecation (see `Catalog.init`).
    public var isDeprecated = false
    /// Declared in `artifacts.yaml` at HEAD but never tagged: GTO lists it as unregistered.
    public var declaredOnly = false

    public var isRegistered: Bool { !declaredOnly }

    public var activeVersions: [ModelVersion] { versions.filter(\.isActive) }

    /// The highest active registered version (GTO's "latest").
    public var latest: ModelVersion? { versions.first { $0.isActive && $0.isRegistered && $0.semver != nil } }

    /// What each stage holds now: among active versions in the stage, the one assigned to it last
    /// (GTO's default, `--sort timestamp`, one version per stage). Set by `settle()`.
    public private(set) var stages: [String: (version: ModelVersion, assignment: CatalogEvent)] = [:]

    mutating func settle() {
        var out: [String: (version: ModelVersion, assignment: CatalogEvent)] = [:]
        for v in versions where v.isActive {
            for (s, e) in v.activeStages where out[s].map({ CatalogEvent.precedes($0.assignment, e) }) ?? true {
                out[s] = (v, e)
            }
        }
        stages = out
    }

    public func version(_ name: String) -> ModelVersion? { versions.first { $0.name == name && $0.isActive } ?? versions.first { $0.name == name } }

    /// Every event of the model, oldest first.
    public var events: [CatalogEvent] { (deprecations + versions.flatMap(\.events)).sorted(by: CatalogEvent.precedes) }

    /// The highest counter N among this model's tags: the next event is N+1 (GTO counts per artifact).
    public var lastCounter: Int { events.compactMap(\.name.counter).max() ?? 0 }
}

/// The catalog: every model and version that the repository's annotated tags describe.
public struct Catalog: Sendable {
    public var models: [String: ModelEntry] = [:]
    /// Annotated tags that look like catalog tags but are not (name, reason), and states GTO refuses.
    public var problems: [(tag: String, reason: String)] = []

    /// Builds the catalog from tags. Pure: `commitTime` and `head` are asked only about deprecated
    /// models, whose state depends on commit times as in GTO (a model is deprecated when its
    /// deprecation is later than every other event, and GTO counts the commit times of its versions
    /// and of HEAD, when HEAD's `artifacts.yaml` declares it, as events).
    public init(tags: [AnnotatedTag], declaredAtHead: Set<String> = [],
                commitTime: (GitOID) -> Int64? = { _ in nil }, headTime: Int64? = nil) {
        var byModel: [String: [CatalogEvent]] = [:]
        for t in tags {
            switch CatalogTagName.parse(t.name) {
            case .success(let n):
                guard t.targetIsCommit else {
                    problems.append((t.name, "does not point at a commit; ignored"))
                    continue
                }
                byModel[n.artifact, default: []].append(CatalogEvent(name: n, tag: t, version: n.versionText))
            case .failure(.notOurs): continue
            case .failure(.created): problems.append((t.name, "GTO's '@created' tags are not supported (GTO 1.10 fails on them); ignored"))
            case .failure(.malformed(let why)): problems.append((t.name, why + "; ignored, as GTO ignores it"))
            }
        }
        for (name, events) in byModel {
            var m = ModelEntry(name: name)
            var versions: [ModelVersion] = []
            // Versions first, then stage events resolved to the version on their commit (GTO indexes
            // version tags before stage tags, whatever their times).
            let sorted = events.sorted(by: CatalogEvent.precedes)
            for e in sorted {
                switch e.action {
                case .deprecate: m.deprecations.append(e)
                case .register, .deregister:
                    let label = e.name.versionText ?? ""
                    let i = versions.firstIndex { $0.name == label && $0.commit == e.commit } ?? {
                        versions.append(ModelVersion(name: label, semver: e.name.version, commit: e.commit))
                        return versions.count - 1
                    }()
                    if e.action == .register { versions[i].registrations.append(e) } else { versions[i].deregistrations.append(e) }
                default: break
                }
            }
            for i in versions.indices { versions[i].settle() }
            for e in sorted where e.action == .assign || e.action == .unassign {
                let onCommit = versions.indices.filter { versions[$0].commit == e.commit && versions[$0].semver != nil }
                if onCommit.count > 1 {
                    problems.append((e.tag.name, "its commit holds \(onCommit.count) versions of \(name) (\(onCommit.map { versions[$0].name }.joined(separator: ", "))); GTO refuses to read this, git-mlops takes the active one"))
                }
                var ev = e
                let i = onCommit.first(where: { versions[$0].isActive }) ?? onCommit.first ?? versions.firstIndex { $0.commit == e.commit } ?? {
                    versions.append(ModelVersion(name: e.commit.hex, semver: nil, commit: e.commit))
                    return versions.count - 1
                }()
                ev.version = versions[i].name
                versions[i].stageEvents.append(ev)
            }
            for i in versions.indices { versions[i].settle() }
            m.versions = ModelVersion.gtoOrder(versions)
            m.settle()
            if let deprecatedAt = m.deprecations.map(\.tag.time).max() {
                var others = m.versions.flatMap(\.events).map(\.tag.time) + m.versions.compactMap { commitTime($0.commit) }
                if declaredAtHead.contains(name), let headTime { others.append(headTime) }
                // At equal times GTO lets the other event win.
                m.isDeprecated = others.allSatisfy { $0 < deprecatedAt }
            }
            models[name] = m
        }
        for name in declaredAtHead where models[name] == nil {
            var m = ModelEntry(name: name)
            m.declaredOnly = true
            models[name] = m
        }
        problems.sort { $0.tag < $1.tag }
    }

    /// Reads every annotated tag with `@` or `#` in its name, and `artifacts.yaml` at HEAD.
    public static func read(_ git: GitRepository) throws -> Catalog {
        let filter: (String) -> Bool = { name in name.utf8.contains { $0 == UInt8(ascii: "@") || $0 == UInt8(ascii: "#") } }
        let tags = try git.annotatedTags(where: filter)
        let head = git.head
        let declared = head.flatMap { try? ArtifactIndex.read(git: git, at: $0, includeDVC: false) }.map { Set($0.entries.keys) } ?? []
        return Catalog(tags: tags, declaredAtHead: declared,
                       commitTime: { (try? git.commitInfo($0))?.time },
                       headTime: head.flatMap { (try? git.commitInfo($0))?.time })
    }

    /// The next counter N for a new event of `artifact`: one past the highest `#N` of any of its
    /// tags, lightweight ones included, as GTO counts.
    public func nextCounter(_ artifact: String, git: GitRepository) throws -> Int {
        var top = models[artifact]?.lastCounter ?? 0
        for name in try git.tagNames() where name.contains("#") {
            if let n = CatalogTagName(name), n.artifact == artifact, let c = n.counter { top = max(top, c) }
        }
        return top + 1
    }

    /// Active models (not deprecated), by name; `deprecated` includes the rest.
    public func list(deprecated: Bool = false) -> [ModelEntry] {
        models.keys.sorted().compactMap { models[$0] }.filter { deprecated || !$0.isDeprecated }
    }

    /// A model by name, or an error that lists the known ones.
    public func model(_ name: String) throws -> ModelEntry {
        guard let m = models[name] else {
            let known = models.keys.sorted()
            throw MLOpsError("no model named '\(name)' in the catalog",
                             hint: known.isEmpty ? "register one with `git mlops model register NAME`" : "known models: \(known.prefix(10).joined(separator: ", "))")
        }
        return m
    }
}
