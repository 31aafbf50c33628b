import GitBridge
import MLOpsBasics

/// Settings from `.gitmlops` (committed, git-config syntax), overridden by `mlops.*` keys of
/// `.git/config` (local): `git config mlops.core.remote backup` overrides `core.remote` of `.gitmlops`.
public final class Settings: @unchecked Sendable {
    public let repoFile: String
    private let git: GitRepository
    private var shared: GitConfigFile?
    private var local: [String: String] = [:]

    init(repoFile: String, git: GitRepository) throws {
        self.repoFile = repoFile
        self.git = git
        try reload()
    }

    public func reload() throws {
        shared = FS.exists(repoFile) ? try GitConfigFile.committed(path: repoFile, name: basename(repoFile)) : nil
        local = [:]
        if let cfg = try? GitConfigFile(path: git.commonDir + "/config") {
            for (k, v) in cfg.entries(matching: "^mlops\\.") { local[String(k.dropFirst(6))] = v }
        }
    }

    /// A value by its full key (`remote.origin.url`), local override first.
    public func string(_ key: String) -> String? {
        local[key.lowercasedKey] ?? shared?.string(key)
    }

    /// Whether `key` is set by the user in `.git/config` (`mlops.KEY`), not only by the committed `.gitmlops`.
    public func isLocal(_ key: String) -> Bool { local[key.lowercasedKey] != nil }

    public func bool(_ key: String, default d: Bool) -> Bool {
        guard let s = string(key)?.lowercased() else { return d }
        return ["true", "yes", "on", "1"].contains(s)
    }

    /// All keys under a section prefix (`remote.`), merged.
    public func entries(prefix: String) -> [(String, String)] {
        var merged: [String: String] = [:]
        for (k, v) in shared?.entries(matching: "^" + prefix.replacingAll(".", "\\.")) ?? [] { merged[k] = v }
        for (k, v) in local where k.hasPrefix(prefix.lowercased()) { merged[k] = v }
        return merged.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// Writes to `.gitmlops` (creating it if needed).
    public func setShared(_ key: String, _ value: String) throws {
        let f = try GitConfigFile(path: repoFile)
        try f.set(key, value)
        try reload()
    }

    public func unsetShared(section prefix: String) throws {
        let f = try GitConfigFile(path: repoFile)
        try f.removeSection(prefix)
        try reload()
    }
}

extension String {
    /// git lower-cases the section and the final name of a key but not the subsection.
    var lowercasedKey: String {
        let parts = split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 2 else { return lowercased() }
        let first = parts.first!.lowercased(), last = parts.last!.lowercased()
        if parts.count == 2 { return first + "." + last }
        return ([first] + parts.dropFirst().dropLast().map(String.init) + [last]).joined(separator: ".")
    }

    func replacingAll(_ a: String, _ b: String) -> String {
        split(separator: a, omittingEmptySubsequences: false).joined(separator: b)
    }
}
