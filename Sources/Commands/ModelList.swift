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
        if output.json { printJSON(.array(models.map(\.listJSON))) } else { print(Catalog.listText(models), terminator: "") }
    }
}
