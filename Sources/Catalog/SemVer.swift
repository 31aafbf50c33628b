import MLOpsBasics

/// A version as GTO writes it: `v` then a Semantic Versioning 2.0.0 version (`v1.2.3`,
/// `v2.0.0-rc.1+build.5`). Ordered by semver precedence; build metadata does not count.
public struct SemVer: Comparable, Hashable, Sendable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public var patch: Int
    /// Dot-separated pre-release identifiers (`rc`, `1`), empty for a release.
    public var prerelease: [String]
    /// Build metadata (`build.5`), nil when absent.
    public var build: String?

    public init(major: Int, minor: Int, patch: Int, prerelease: [String] = [], build: String? = nil) {
        self.major = major; self.minor = minor; self.patch = patch; self.prerelease = prerelease; self.build = build
    }

    /// Parses `vX.Y.Z[-PRE][+BUILD]` by the grammar of semver.org (no leading zeros in numbers or
    /// numeric pre-release identifiers); nil for anything else, `1.2.3` without `v` included.
    public init?(_ text: String) {
        guard text.hasPrefix("v") else { return nil }
        var rest = Substring(text.dropFirst())
        var build: String?
        if let plus = rest.firstIndex(of: "+") {
            let b = rest[rest.index(after: plus)...]
            let ids = b.split(separator: ".", omittingEmptySubsequences: false)
            guard !b.isEmpty, ids.allSatisfy({ !$0.isEmpty && $0.allSatisfy(SemVer.isIdentifierChar) }) else { return nil }
            build = String(b)
            rest = rest[..<plus]
        }
        var pre: [String] = []
        if let dash = rest.firstIndex(of: "-") {
            let p = rest[rest.index(after: dash)...]
            let ids = p.split(separator: ".", omittingEmptySubsequences: false)
            for id in ids {
                guard !id.isEmpty, id.allSatisfy(SemVer.isIdentifierChar) else { return nil }
                if id.allSatisfy(\.isASCIIDigit), id.count > 1, id.first == "0" { return nil }
            }
            pre = ids.map(String.init)
            rest = rest[..<dash]
        }
        let core = rest.split(separator: ".", omittingEmptySubsequences: false)
        guard core.count == 3 else { return nil }
        var nums: [Int] = []
        for c in core {
            guard !c.isEmpty, c.count <= 18, c.allSatisfy(\.isASCIIDigit), c == "0" || c.first != "0", let n = Int(c) else { return nil }
            nums.append(n)
        }
        self.init(major: nums[0], minor: nums[1], patch: nums[2], prerelease: pre, build: build)
    }

    static func isIdentifierChar(_ c: Character) -> Bool {
        c.isASCII && (c.isLetter || c.isNumber || c == "-")
    }

    public var description: String {
        "v\(major).\(minor).\(patch)" + (prerelease.isEmpty ? "" : "-" + prerelease.joined(separator: ".")) + (build.map { "+" + $0 } ?? "")
    }

    public enum Part: String, Sendable, CaseIterable { case major, minor, patch }

    /// The next version, as GTO (python-semver) bumps: the part goes up, the lower parts go to zero,
    /// pre-release and build are dropped (`v1.2.3-rc.1` bumps its patch to `v1.2.4`).
    public func bumped(_ part: Part) -> SemVer {
        switch part {
        case .major: return SemVer(major: major + 1, minor: 0, patch: 0)
        case .minor: return SemVer(major: major, minor: minor + 1, patch: 0)
        case .patch: return SemVer(major: major, minor: minor, patch: patch + 1)
        }
    }

    /// The first version GTO registers when none is given.
    public static let first = SemVer(major: 0, minor: 0, patch: 1)

    public static func < (a: SemVer, b: SemVer) -> Bool {
        if (a.major, a.minor, a.patch) != (b.major, b.minor, b.patch) { return (a.major, a.minor, a.patch) < (b.major, b.minor, b.patch) }
        // A pre-release sorts before its release; identifiers compare numerically when both are
        // numbers, numbers before words, and a shorter list first when one is a prefix of the other.
        if a.prerelease.isEmpty || b.prerelease.isEmpty { return !a.prerelease.isEmpty && b.prerelease.isEmpty }
        for (x, y) in zip(a.prerelease, b.prerelease) where x != y {
            switch (SemVer.numeric(x), SemVer.numeric(y)) {
            case let (i?, j?): return i < j
            case (.some, nil): return true
            case (nil, .some): return false
            default: return x.utf8.lexicographicallyPrecedes(y.utf8)
            }
        }
        return a.prerelease.count < b.prerelease.count
    }

    private static func numeric(_ s: String) -> Int? { s.allSatisfy(\.isASCIIDigit) ? Int(s) : nil }

    /// Equal precedence (build metadata ignored), as semver defines it.
    public func samePrecedence(_ o: SemVer) -> Bool { !(self < o) && !(o < self) }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
