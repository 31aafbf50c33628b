/// "Did you mean": the names nearest to a mistyped one, ranked the way git ranks commands
/// (help.c): a weighted edit distance where swapping two neighbours is free, a substitution costs
/// 2, an insertion 1 and a deletion 3, and a name the typed word begins is best of all.
public enum Suggest {
    /// Scores at or above this are not similar enough to suggest (git's SIMILARITY_FLOOR).
    public static let floor = 7

    /// The cost of turning `typed` into `candidate` (0 for a prefix), plus one, as git counts it.
    public static func score(_ typed: String, _ candidate: String) -> Int {
        if !typed.isEmpty && candidate.hasPrefix(typed) { return 0 }
        return distance(Array(typed.utf8), Array(candidate.utf8)) + 1
    }

    /// Every candidate with the best score, when that score is below `floor`, sorted by name.
    public static func nearest(to typed: String, among candidates: [String]) -> [String] {
        guard !typed.isEmpty else { return [] }
        let scored = candidates.filter { $0 != typed }.map { ($0, score(typed, $0)) }
        guard let best = scored.map(\.1).min(), best < floor else { return [] }
        return scored.filter { $0.1 == best }.map(\.0).sorted()
    }

    /// Weighted optimal-string-alignment distance from `a` to `b`, row by row.
    static func distance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        let swap = 0, substitution = 2, insertion = 1, deletion = 3
        var previous = [Int](repeating: 0, count: b.count + 1)  // row i-1
        var current = (0...b.count).map { $0 * insertion }      // row i
        var next = [Int](repeating: 0, count: b.count + 1)      // row i+1
        for i in 0..<a.count {
            next[0] = (i + 1) * deletion
            for j in 0..<b.count {
                var cost = current[j] + (a[i] == b[j] ? 0 : substitution)
                if i > 0 && j > 0 && a[i - 1] == b[j] && a[i] == b[j - 1] { cost = min(cost, previous[j - 1] + swap) }
                cost = min(cost, current[j + 1] + deletion)
                cost = min(cost, next[j] + insertion)
                next[j + 1] = cost
            }
            (previous, current, next) = (current, next, previous)
        }
        return current[b.count]
    }
}
