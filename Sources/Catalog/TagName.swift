import GitBridge
import MLOpsBasics

/// What a catalog tag does, in GTO's words.
public enum CatalogAction: String, Sendable, CaseIterable {
    case register, deregister, assign, unassign, deprecate

    /// GTO's event priority: at equal times, the later action of a pair wins.
    var priority: Int {
        switch self {
        case .deprecate: return 2
        case .register: return 3
        case .deregister: return 4
        case .assign: return 5
        case .unassign: return 6
        }
    }
}

/// A catalog tag name, GTO's format (docs/catalog.md):
///
///     NAME@vX.Y.Z[#N]        register version       NAME@vX.Y.Z![#N]   deregister it
///     NAME#STAGE[#N]         assign STAGE (N-th)    NAME#STAGE![#N]    unassign it
///     NAME@deprecated[#N]    deprecate the artifact
///
/// NAME is `[DIR=]BASE`; BASE and STAGE are letters, digits, `-`, `_`, `/`, starting and ending with
/// a letter or digit; DIR (GTO's `dir:name` for artifacts declared in a sub-directory) also allows `.`.
/// Parsing is a pure function: a hand-written matcher for GTO's `tag_re` (a regular expression is
/// ten times slower, and `model list` parses every tag).
public struct CatalogTagName: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// The artifact, with GTO's `:` where the tag has `=`.
    public var artifact: String
    public var action: CatalogAction
    public var version: SemVer?
    /// The version as written in the tag (build metadata included).
    public var versionText: String?
    public var stage: String?
    /// The event number N (`#N`), nil for GTO's "simple" tags.
    public var counter: Int?

    public init(artifact: String, action: CatalogAction, version: SemVer? = nil, stage: String? = nil, counter: Int? = nil) {
        self.artifact = artifact; self.action = action; self.version = version
        versionText = version?.description; self.stage = stage; self.counter = counter
    }

    /// The tag name.
    public var description: String {
        let base = artifact.replacingOccurrences(of: ":", with: "=")
        var s: String
        switch action {
        case .register: s = base + "@" + (versionText ?? "")
        case .deregister: s = base + "@" + (versionText ?? "") + "!"
        case .assign: s = base + "#" + (stage ?? "")
        case .unassign: s = base + "#" + (stage ?? "") + "!"
        case .deprecate: s = base + "@deprecated"
        }
        return counter.map { s + "#\($0)" } ?? s
    }

    /// Why a tag that looks like a catalog tag is not one.
    public enum ParseFailure: Error, Equatable, Sendable {
        /// No `@` or `#`: an ordinary tag, not ours.
        case notOurs
        /// `NAME@created`: GTO's tag pattern matches it, but GTO 1.10 fails on it; ignored.
        case created
        case malformed(String)
    }

    /// Parses a tag name, or says why it is not a catalog tag.
    public static func parse(_ tag: String) -> Result<CatalogTagName, ParseFailure> {
        let u = Array(tag.utf8)
        guard let sep = u.firstIndex(where: { $0 == UInt8(ascii: "@") || $0 == UInt8(ascii: "#") }) else { return .failure(.notOurs) }
        let artifactBytes = u[..<sep]
        guard let artifact = parseArtifact(artifactBytes) else {
            return .failure(.malformed("'\(String(decoding: artifactBytes, as: UTF8.self))' is not a valid artifact name (letters, digits, '-', '_', '/', starting and ending with a letter or digit)"))
        }
        var rest = u[(sep + 1)...]
        // The optional trailing `#N`.
        func takeCounter(_ s: inout ArraySlice<UInt8>) -> Result<Int?, ParseFailure> {
            guard let hash = s.lastIndex(of: UInt8(ascii: "#")) else { return .success(nil) }
            let digits = s[(hash + 1)...]
            guard !digits.isEmpty, digits.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
                return .failure(.malformed("'\(String(decoding: s[hash...], as: UTF8.self))' is not a counter (#N with N a number)"))
            }
            let trimmed = digits.drop(while: { $0 == 48 })
            guard trimmed.count <= 18 else { return .failure(.malformed("the counter #\(String(decoding: digits, as: UTF8.self)) is too large")) }
            s = s[..<hash]
            return .success(trimmed.isEmpty ? 0 : Int(String(decoding: trimmed, as: UTF8.self))!)
        }
        if u[sep] == UInt8(ascii: "#") {
            // NAME#STAGE[!][#N]
            var counter: Int?
            let hashes = rest.filter { $0 == UInt8(ascii: "#") }.count
            if hashes > 1 { return .failure(.malformed("too many '#'")) }
            if hashes == 1 {
                switch takeCounter(&rest) {
                case .success(let c): counter = c
                case .failure(let f): return .failure(f)
                }
            }
            var cancel = false
            if rest.last == UInt8(ascii: "!") { cancel = true; rest = rest.dropLast() }
            let stage = String(decoding: rest, as: UTF8.self)
            guard isValidName(rest) else {
                return .failure(.malformed("'\(stage)' is not a valid stage name (letters, digits, '-', '_', '/', starting and ending with a letter or digit)"))
            }
            return .success(CatalogTagName(artifact: artifact, action: cancel ? .unassign : .assign, stage: stage, counter: counter))
        }
        // NAME@...
        var counter: Int?
        switch takeCounter(&rest) {
        case .success(let c): counter = c
        case .failure(let f): return .failure(f)
        }
        let word = String(decoding: rest, as: UTF8.self)
        if word == "deprecated" { return .success(CatalogTagName(artifact: artifact, action: .deprecate, counter: counter)) }
        if word == "created" { return .failure(.created) }
        var cancel = false
        var text = word
        if text.hasSuffix("!") { cancel = true; text.removeLast() }
        guard let v = SemVer(text) else {
            return .failure(.malformed("'\(text)' is not a version (vX.Y.Z, semver, e.g. v1.0.0)"))
        }
        var name = CatalogTagName(artifact: artifact, action: cancel ? .deregister : .register, version: v, counter: counter)
        name.versionText = text
        return .success(name)
    }

    /// Parses a tag name; nil when it is not a catalog tag.
    public init?(_ tag: String) {
        guard case .success(let n) = CatalogTagName.parse(tag) else { return nil }
        self = n
    }

    /// `[DIR=]BASE` as GTO's `fullname_in_tag`; returns the name with `:` for `=`.
    static func parseArtifact(_ b: ArraySlice<UInt8>) -> String? {
        let eq = b.filter { $0 == UInt8(ascii: "=") }.count
        if eq > 1 { return nil }
        if eq == 1 {
            let i = b.firstIndex(of: UInt8(ascii: "="))!
            let dir = b[..<i], base = b[(i + 1)...]
            guard !dir.isEmpty, dir.allSatisfy({ isNameByte($0) || $0 == UInt8(ascii: ".") }), isValidName(base) else { return nil }
            return String(decoding: dir, as: UTF8.self) + ":" + String(decoding: base, as: UTF8.self)
        }
        return isValidName(b) ? String(decoding: b, as: UTF8.self) : nil
    }

    static func isNameByte(_ c: UInt8) -> Bool {
        (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == UInt8(ascii: "-") || c == UInt8(ascii: "_") || c == UInt8(ascii: "/")
    }

    static func isAlnum(_ c: UInt8) -> Bool { (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) }

    /// GTO's `name`: `[a-zA-Z0-9]([a-zA-Z0-9-/_]*[a-zA-Z0-9])?`.
    static func isValidName<C: Collection>(_ b: C) -> Bool where C.Element == UInt8 {
        guard let f = b.first, isAlnum(f), b.allSatisfy(isNameByte) else { return false }
        var last = f
        for c in b { last = c }
        return isAlnum(last)
    }
}

/// Names a user gives on the command line, checked before anything is created.
public enum CatalogNames {
    /// An artifact name GTO accepts (`assert_fullname_is_valid`) whose tags git accepts as refs.
    public static func checkArtifact(_ name: String) throws {
        let bytes = Array(name.utf8)
        let base = name.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let ok: Bool
        if base.count == 2 {
            ok = !base[0].isEmpty && base[0].utf8.allSatisfy({ CatalogTagName.isNameByte($0) || $0 == UInt8(ascii: ".") })
                && CatalogTagName.isValidName(Array(base[1].utf8))
        } else {
            ok = CatalogTagName.isValidName(bytes)
        }
        guard ok else {
            throw MLOpsError("'\(name)' is not a valid model name",
                             hint: "use letters, digits, '-', '_' and '/', starting and ending with a letter or digit (GTO's rule)")
        }
        let sample = CatalogTagName(artifact: name, action: .register, version: .first).description
        guard GitRepository.isValidTagName(sample) else {
            throw MLOpsError("'\(name)' makes tag names git refuses (`git check-ref-format` rejects refs/tags/\(sample))",
                             hint: "avoid '//', a trailing '/', and path components starting with '.' or ending in '.lock'")
        }
    }

    /// A stage name: GTO's rule (so never a `#`), and a valid ref.
    public static func checkStage(_ stage: String) throws {
        guard !stage.contains("#") else {
            throw MLOpsError("stage name '\(stage)' contains '#'", hint: "'#' separates the parts of a promotion tag (NAME#STAGE#N); choose a name without it")
        }
        guard CatalogTagName.isValidName(Array(stage.utf8)) else {
            throw MLOpsError("'\(stage)' is not a valid stage name", hint: "use letters, digits, '-', '_' and '/', starting and ending with a letter or digit (GTO's rule)")
        }
    }

    /// A version given with `--version` or in `NAME@VERSION`.
    public static func version(_ text: String) throws -> SemVer {
        if let v = SemVer(text) { return v }
        if let v = SemVer("v" + text) {
            throw MLOpsError("version '\(text)' lacks its 'v'", hint: "write \(v) (GTO's versions start with 'v')")
        }
        throw MLOpsError("'\(text)' is not a semantic version", hint: "write vMAJOR.MINOR.PATCH, e.g. v1.0.0 or v1.1.0-rc.1 (see semver.org)")
    }
}
