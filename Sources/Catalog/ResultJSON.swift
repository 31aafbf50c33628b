import MLOpsBasics

// What the catalog commands print with `--json` (see `JSONRepresentable`).

extension AuditEntry: JSONRepresentable {}
extension VersionReport: JSONRepresentable {}

/// `model list`: the models, one JSON object or table row each.
public struct ModelListing: JSONRepresentable {
    public var models: [ModelEntry]
    public init(_ models: [ModelEntry]) { self.models = models }
    public var json: JSON { .array(models.map(\.listJSON)) }
    public var text: String { Catalog.listText(models) }
}

/// `model show NAME`: a model's versions, with what their signatures say.
public struct ModelVersions: JSONRepresentable {
    public var model: ModelEntry
    public var signatures: SignatureChecker?
    public init(_ model: ModelEntry, signatures: SignatureChecker?) { self.model = model; self.signatures = signatures }
    public var json: JSON { model.versionsJSON(signatures) }
    public var text: String { model.versionsText }
}
