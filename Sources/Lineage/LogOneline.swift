extension LogFormat {
    /// `log --oneline`: the run id, its stage, the commit it is attached to (or `pending`), and its
    /// metrics, on one line.
    public static func oneline(_ e: Journal.Entry) -> String {
        let r = e.record
        var words = [String(r.id.prefix(12)), r.stage, e.commit.map { String($0.hex.prefix(10)) } ?? "pending"]
        let metrics = r.metrics.keys.sorted().map { inline(r.metrics[$0]!) }.filter { !$0.isEmpty }
        words += metrics
        return words.joined(separator: " ")
    }
}
