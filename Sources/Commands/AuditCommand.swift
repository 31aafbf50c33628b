import ArgumentParser
import Catalog
import MLOpsBasics
import Monitoring
import Validation

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "One chronological trail of what happened to a model or a dataset: data commits, runs, registrations, promotions, commits made past failing checks.",
        discussion: "Each entry says when, who and which commit; tags say whether their signature verifies. No argument: the whole repository.")

    @Argument(help: "A model name, or a tracked path.") var subject: String?
    @Option(help: "Only what happened since this date (YYYY-MM-DD or ISO 8601).") var since: String?
    @OptionGroup var output: JSONOption

    func run() throws {
        let registry = try ModelRegistry()
        let since = try self.since.map(AuditTrail.parseDate)
        let entries = try AuditTrail.build(try AuditTrail.subject(subject, registry: registry), registry: registry, since: since,
                                           sources: AuditTrail.defaultSources + [MonitorAuditSource(), BypassAuditSource()])
        output.emit(entries) { lines($0.map(\.line)) }
    }
}
