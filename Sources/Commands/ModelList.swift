import ArgumentParser
import Catalog
import MLOpsBasics

struct ModelList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the models: latest version and what each stage holds.")

    @Flag(help: "Include deprecated models.") var deprecated = false
    @OptionGroup var output: JSONOption

    func run() throws {
        let registry = try ModelRegistry()
        warnAboutCatalogProblems(registry.catalog)
        let models = registry.catalog.list(deprecated: deprecated)
        output.emit(ModelListing(models)) { $0.text }
    }
}
