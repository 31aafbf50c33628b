import ArgumentParser
import Catalog
import MLOpsBasics

/// `git mlops model ...`: the catalog of model versions and stages, kept in GTO-format git tags.
struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Register, promote, list, show and fetch model versions (GTO-compatible git tags).",
        discussion: "Versions are tags NAME@vX.Y.Z, promotions NAME#STAGE#N (see docs/catalog.md); `gto show` reads the same catalog.",
        subcommands: [ModelRegister.self, ModelPromote.self, ModelDeprecate.self, ModelList.self, ModelShow.self, ModelGet.self])
}

/// Warns once about tags that look like catalog tags but are not.
func warnAboutCatalogProblems(_ catalog: Catalog) {
    guard let first = catalog.problems.first else { return }
    let more = catalog.problems.count > 1 ? " (and \(catalog.problems.count - 1) more)" : ""
    Terminal.warn("tag '\(first.tag)': \(first.reason)\(more)")
}
