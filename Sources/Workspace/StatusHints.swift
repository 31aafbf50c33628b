extension StatusEntry {
    /// The hints `status` prints under its entries, one per kind of problem, each naming the command that
    /// fixes it. A path missing from the workspace whose data is not in the cache either needs a pull:
    /// checkout alone would fail.
    public static func hints(for entries: [StatusEntry]) -> [String] {
        let notInCache = Set(entries.filter { $0.state == .notInCache }.map(\.path))
        func any(_ s: State) -> Bool { entries.contains { $0.state == s } }
        var out: [String] = []
        if any(.modified) { out.append("hint: `git mlops add PATH` records changes") }
        if entries.contains(where: { $0.state == .missing && !notInCache.contains($0.path) }) {
            out.append("hint: `git mlops checkout` restores the workspace")
        }
        if any(.notInCache) { out.append("hint: `git mlops pull` fetches missing data and checks it out") }
        if any(.damaged) { out.append("hint: `git mlops fsck --repair` restores damaged data from a remote") }
        if any(.interrupted) {
            out.append("hint: a checkout stopped half-way; `git mlops checkout` finishes it (`git mlops add` would record the old data)")
        }
        return out
    }
}
