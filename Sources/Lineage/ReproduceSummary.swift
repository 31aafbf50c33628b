import MLOpsBasics

/// The tally of a `reproduce`: how many runs came out identical, different or failed, and whether
/// the command as a whole failed.
public struct ReproduceSummary: Sendable, Equatable {
    public var identical = 0
    public var differ = 0
    public var failed = 0

    public init(_ results: [ReproduceResult]) {
        for r in results {
            switch r.verdict {
            case .identical: identical += 1
            case .differs: differ += 1
            case .failed: failed += 1
            }
        }
    }

    public var total: Int { identical + differ + failed }

    /// `3 runs reproduced: 2 identical, 1 failed`; nil for a single run (its own line says it all).
    public var line: String? {
        guard total > 1 else { return nil }
        var parts = ["\(identical) identical"]
        if differ > 0 { parts.append("\(differ) differ\(differ == 1 ? "s" : "")") }
        if failed > 0 { parts.append("\(failed) failed") }
        return "\(total) runs reproduced: \(parts.joined(separator: ", "))"
    }

    /// A run that could not run fails the command; with `verify`, so does any difference.
    public func succeeded(verify: Bool) -> Bool { failed == 0 && (!verify || differ == 0) }
}
