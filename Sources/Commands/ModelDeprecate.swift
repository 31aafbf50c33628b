import ArgumentParser
import Catalog
import MLOpsBasics

struct ModelDeprecate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deprecate",
        abstract: "Deprecate a model (tag NAME@deprecated) or deregister one version (tag NAME@vX.Y.Z!).")

    @Argument(help: "NAME or NAME@VERSION.") var target: String
    @Option(name: .shortAndLong, help: "Tag message.") var message: String?
    @Flag(help: "Sign the tag.") var sign = false

    func run() throws {
        let ref = try ModelRef.parse(target)
        let tag = try ModelRegistry().deprecate(ref, message: message, sign: sign)
        let what: String
        if case .version(let n, let v) = ref { what = "deregistered \(n) \(v)" } else { what = "deprecated \(ref.model)" }
        emitText(lines(["\(what) (tag \(tag))", "hint: share it with `git push origin '\(tag)'`"]))
    }
}
