import ArgumentParser
import Catalog
import MLOpsBasics
import Validation

struct ModelPromote: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "promote",
        abstract: "Promote a version to a stage (tag NAME#STAGE#N) once the stage's gates pass.",
        discussion: """
            The gates are the stage's metric thresholds in mlops.yaml (`promotion:`, see docs/catalog.md) and the \
            `gates:` of mlops.yaml (docs/validation.md; `baseline: production` is the version now in production), \
            checked on the metrics of the run that made the version's weights. --force --reason TEXT \
            overrides failing gates; the reason and the failures are recorded in the tag message.
            """)

    @Argument(help: "NAME@VERSION (or NAME@latest).") var target: String
    @Argument(help: "The stage (letters, digits, '-', '_', '/'; no '#').") var stage: String
    @Option(name: .shortAndLong, help: "Tag message.") var message: String?
    @Flag(help: "Sign the tag.") var sign = false
    @Flag(help: "Promote even if gates fail (needs --reason).") var force = false
    @Option(help: "Why the gates are overridden; recorded in the tag.") var reason: String?

    func validate() throws {
        if force && (reason ?? "").trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--force needs --reason TEXT") }
        if reason != nil && !force { throw ValidationError("--reason goes with --force") }
    }

    func run() throws {
        guard case .version(let name, let version) = try ModelRef.parse(target) else {
            throw ValidationError("name the version to promote as NAME@VERSION (e.g. model@v1.0.0)")
        }
        let registry = try ModelRegistry()
        let gates = ValidationPromotionGates(registry: registry)
        let p = try registry.promote(name, version: version, stage: stage, message: message, sign: sign, force: force, reason: reason, gates: gates)
        emitText(lines(p.gates.map { "gate \($0.passed ? "passed" : "FAILED"): \($0.detail)" }
            + (p.overridden.isEmpty ? [] : ["overridden (--force): \(reason ?? "")"])
            + ["promoted \(name) \(p.version) to \(stage) (tag \(p.tag))", "hint: share it with `git push origin '\(p.tag)'`"]))
    }
}
