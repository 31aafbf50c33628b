import Catalog
import GitBridge
import Report
import Workspace

/// The catalog section of `git mlops report`: the glue between the Catalog and Report targets,
/// which know nothing of each other.
struct ReportCatalogSource: CatalogSource {
    func catalogReport(repo: Repo) throws -> CatalogReport? {
        let registry = try ModelRegistry(cwd: repo.root)
        let models = registry.catalog.list().filter(\.isRegistered)
        guard !models.isEmpty else { return nil }
        func at(_ e: CatalogEvent) -> String { CatalogTime.iso(e.tag.time) }
        return CatalogReport(artifacts: try models.map { m in
            let path = try m.latest.flatMap { try registry.declaration(m.name, at: $0.commit)?.path }
            // The latest (highest active) first, as GTO orders them; deregistered ones after.
            let versions = (m.activeVersions + m.versions.filter { !$0.isActive }).filter(\.isRegistered).map { v in
                CatalogReport.Version(version: v.name, commit: v.commit.hex, by: v.registration?.tag.taggerName ?? "",
                                      at: v.registration.map(at) ?? "", deprecated: !v.isActive)
            }
            let stages = m.stages.keys.sorted().map { s in
                let hit = m.stages[s]!
                return CatalogReport.Assignment(stage: s, version: hit.version.name, by: hit.assignment.tag.taggerName, at: at(hit.assignment))
            }
            let events = m.events.reversed().map { e in
                CatalogReport.Event(kind: e.action.rawValue, version: e.version ?? "", stage: e.stage, by: e.tag.taggerName, at: at(e), ref: e.tag.name)
            }
            return CatalogReport.Artifact(name: m.name, path: path, versions: versions, stages: stages, events: Array(events))
        })
    }
}
