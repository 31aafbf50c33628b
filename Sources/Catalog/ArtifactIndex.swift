import GitBridge
import Lineage
import MLOpsBasics

/// Where a model's files are and what it is, as GTO reads it: `artifacts.yaml` at the repository
/// root (GTO 1.10; `NAME: {type, path}`), or an `artifacts:` section of the root `dvc.yaml` (DVC's
/// model registry and newer GTO; `NAME: {type, path}`). Both are read; `artifacts.yaml` wins.
public struct ArtifactDeclaration: Sendable, Equatable {
    public var path: String?
    public var type: String?
    /// The file that declares it.
    public var source: String

    public init(path: String?, type: String?, source: String) {
        self.path = path; self.type = type; self.source = source
    }
}

public struct ArtifactIndex: Sendable {
    public static let fileName = "artifacts.yaml"
    public static let dvcFileName = "dvc.yaml"

    public var entries: [String: ArtifactDeclaration] = [:]
    /// Entries that cannot be used (a path outside the repository), by name: an error only for
    /// whoever asks about that model.
    public var invalid: [String: MLOpsError] = [:]

    /// The declaration of `name`; an error when its entry is invalid.
    public func declaration(_ name: String) throws -> ArtifactDeclaration? {
        if let e = invalid[name] { throw e }
        return entries[name]
    }

    /// The declarations in a commit. A file that cannot be read is an error naming it.
    public static func read(git: GitRepository, at commit: GitOID, includeDVC: Bool = true) throws -> ArtifactIndex {
        var index = ArtifactIndex()
        for (file, dvc) in (includeDVC ? [(dvcFileName, true)] : []) + [(fileName, false)] {
            guard let bytes = try git.file(file, in: commit) else { continue }
            let (entries, invalid) = try parseEntries(String(decoding: bytes, as: UTF8.self), path: "\(commit.short):\(file)", dvc: dvc)
            for (k, v) in entries { index.entries[k] = v; index.invalid[k] = nil }
            for (k, v) in invalid { index.invalid[k] = v; index.entries[k] = nil }
        }
        return index
    }

    /// Like `parseEntries`, but any invalid entry is an error.
    public static func parse(_ text: String, path: String, dvc: Bool) throws -> [String: ArtifactDeclaration] {
        let (entries, invalid) = try parseEntries(text, path: path, dvc: dvc)
        if let first = invalid.keys.sorted().first { throw invalid[first]! }
        return entries
    }

    /// Parses `artifacts.yaml` (the whole file maps names to declarations) or `dvc.yaml` (its
    /// `artifacts:` section does). Paths are checked as git checks paths: relative, no `..`, not in `.git`.
    public static func parseEntries(_ text: String, path: String, dvc: Bool) throws -> (entries: [String: ArtifactDeclaration], invalid: [String: MLOpsError]) {
        let doc = try Values.parseDocument(text, path: path)
        let file = dvc ? dvcFileName : fileName
        var section = doc
        if dvc {
            guard let a = doc["artifacts"] else { return ([:], [:]) }
            section = a
        }
        if section == .null { return ([:], [:]) }
        guard let map = section.object else {
            throw MLOpsError.malformed(path, dvc ? "`artifacts` is not a mapping" : "the top level is not a mapping of artifact names",
                                       fix: "write `NAME:` with `type:` and `path:` below it (see docs/catalog.md)")
        }
        var out: [String: ArtifactDeclaration] = [:]
        var invalid: [String: MLOpsError] = [:]
        for (name, body) in map {
            guard CatalogTagName.isValidName(Array(name.utf8)) else {
                throw MLOpsError.malformed(path, "'\(name)' is not a valid artifact name", fix: "use letters, digits, '-', '_', '/'")
            }
            if body == .null { out[name] = ArtifactDeclaration(path: nil, type: nil, source: file); continue }
            guard let o = body.object else {
                throw MLOpsError.malformed(path, "artifact '\(name)' is not a mapping", fix: "write `type:` and `path:` below `\(name):`")
            }
            let p = o["path"]?.string.map(normalize)
            if let p, RepoPath.problem(p) != nil || o["path"]?.string?.hasPrefix("/") == true {
                invalid[name] = MLOpsError.malformed(path, "artifact '\(name)' has path '\(o["path"]?.string ?? "")' outside the repository",
                                                     fix: "give a path relative to the repository root, without '..'")
                continue
            }
            out[name] = ArtifactDeclaration(path: p, type: o["type"]?.string, source: file)
        }
        return (out, invalid)
    }

    /// `./models/m.pkl/` -> `models/m.pkl`.
    static func normalize(_ p: String) -> String {
        p.split(separator: "/").filter { $0 != "." }.joined(separator: "/")
    }

    /// `text` (the current `artifacts.yaml`, empty when there is none) with NAME declared; the file is
    /// edited as text, so comments and order stay, and checked by parsing the result.
    public static func declaring(_ name: String, path: String, type: String, in text: String) throws -> String {
        func scalar(_ s: String) -> String {
            s.utf8.allSatisfy({ CatalogTagName.isNameByte($0) || $0 == UInt8(ascii: ".") }) && !s.hasPrefix("-") ? s : JSON.string(s).canonical
        }
        var out = text
        if !out.isEmpty && !out.hasSuffix("\n") { out += "\n" }
        out += "\(name):\n  type: \(scalar(type))\n  path: \(scalar(path))\n"
        let before = text.isEmpty ? [:] : try parse(text, path: fileName, dvc: false)
        let after = try? parse(out, path: fileName, dvc: false)
        guard let after, after[name] == ArtifactDeclaration(path: path, type: type, source: fileName),
              before.allSatisfy({ after[$0.key] == $0.value }) else {
            throw MLOpsError.malformed(fileName, "cannot add '\(name)' to it by appending (it is not a plain block mapping)",
                                       fix: "add `\(name):` with `type: \(type)` and `path: \(path)` by hand and commit it")
        }
        return out
    }
}
