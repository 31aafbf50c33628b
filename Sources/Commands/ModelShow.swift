import ArgumentParser
import Catalog
import MLOpsBasics
import Validation

struct ModelShow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show a model's versions, or one version: commit, weights, who registered it, its run, lineage and stage history.",
        discussion: "NAME lists the versions; NAME@VERSION, NAME@latest and NAME#STAGE describe one. Signatures are checked with `git verify-tag`.")

    @Argument(help: "NAME, NAME@VERSION or NAME#STAGE.") var target: String
    @OptionGroup var output: JSONOption

    func run() throws {
        let ref = try ModelRef.parse(target)
        let registry = try ModelRegistry()
        warnAboutCatalogProblems(registry.catalog)
        if case .model(let name) = ref {
            let m = try registry.catalog.model(name)
            output.emit(ModelVersions(m, signatures: output.json ? SignatureChecker(git: registry.git) : nil)) { $0.text }
            return
        }
        let (m, v) = try registry.resolve(ref)
        let report = try registry.report(m, v, facts: [ValidationFacts()])
        output.emit(report) { $0.text }
    }
}
