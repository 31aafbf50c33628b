import CLibGit2
import MLOpsBasics

/// One git-config-format file (such as `.gitmlops`), read and written with libgit2 so that
/// `git config -f FILE` sees the same thing.
public final class GitConfigFile: @unchecked Sendable {
    public let path: String
    private let handle: OpaquePointer

    /// Opens the file; a missing file reads as empty. A syntax error names the file and line.
    public init(path: String) throws {
        _ = LibGit2.initialized
        self.path = path
        var cfg: OpaquePointer?
        let rc = git_config_open_ondisk(&cfg, path)
        if rc < 0 {
            let e = GitError.last("git_config_open_ondisk", rc)
            throw MLOpsError.malformed(path, "cannot be read as git config (\(e.message))",
                                      fix: "fix the syntax (`git config -f \(path) -l` shows where it breaks)")
        }
        handle = cfg!
    }

    deinit { git_config_free(handle) }

    /// Largest config file that comes with a repository (`.gitmlops`) git-mlops reads.
    public static let maxCommittedSize = 1 << 20

    /// Opens a config file that comes with the repository (`.gitmlops`), so from anyone: a regular
    /// file, not a symlink, of at most `maxCommittedSize`, without `[include]` or `[includeIf]`
    /// sections, which libgit2 would follow to any file on the machine (a FIFO blocks it forever).
    /// `name` is the repository-relative name, for errors.
    public static func committed(path: String, name: String) throws -> GitConfigFile {
        let bytes = try FS.readBounded(path, name: name, limit: maxCommittedSize, followSymlink: false,
                                       fix: "make it a regular file of git-config syntax (`git checkout -- \(name)` restores the committed one)")
        if let line = includeLine(bytes) {
            throw MLOpsError.malformed(name, "line \(line): [include] and [includeIf] sections are not allowed in a committed file",
                                       fix: "remove the section; put local settings in .git/config (`git config mlops.KEY VALUE`)")
        }
        return try GitConfigFile(path: path)
    }

    /// The line of the first `[include` or `[includeIf` (any case, spaces allowed after `[`), anywhere
    /// in the text: section names have no escapes, so this finds every include git or libgit2 would
    /// honour, and at worst refuses a value that merely looks like one.
    static func includeLine(_ bytes: [UInt8]) -> Int? {
        let word = Array("include".utf8)
        var line = 1
        for (i, b) in bytes.enumerated() {
            if b == 0x0a { line += 1 }
            guard b == UInt8(ascii: "[") else { continue }
            var k = i + 1
            while k < bytes.count, bytes[k] == 0x20 || bytes[k] == 0x09 { k += 1 }
            guard k + word.count <= bytes.count else { continue }
            if zip(bytes[k..<k + word.count], word).allSatisfy({ $0 | 0x20 == $1 }) { return line }
        }
        return nil
    }

    public func string(_ key: String) -> String? {
        var buf = git_buf()
        defer { git_buf_dispose(&buf) }
        guard git_config_get_string_buf(&buf, handle, key) == 0 else { return nil }
        return String(cString: buf.ptr)
    }

    public func bool(_ key: String) -> Bool? {
        var v: Int32 = 0
        guard git_config_get_bool(&v, handle, key) == 0 else { return nil }
        return v != 0
    }

    /// Every (name, value) whose name matches `regex` (POSIX extended), names lower-cased by git's rules.
    public func entries(matching regex: String = ".*") -> [(String, String)] {
        var it: OpaquePointer?
        guard git_config_iterator_glob_new(&it, handle, regex) == 0 else { return [] }
        defer { git_config_iterator_free(it) }
        var out: [(String, String)] = []
        var entry: UnsafeMutablePointer<git_config_entry>?
        while git_config_next(&entry, it) == 0, let e = entry {
            // A key with no `= value` has no value (git reads it as boolean true, but as no string).
            guard let value = e.pointee.value else { continue }
            out.append((String(cString: e.pointee.name), String(cString: value)))
        }
        return out
    }

    public func set(_ key: String, _ value: String) throws {
        try check(git_config_set_string(handle, key, value), "git_config_set_string \(key)")
    }

    public func unset(_ key: String) throws {
        let rc = git_config_delete_entry(handle, key)
        if rc < 0 && rc != GIT_ENOTFOUND.rawValue { throw GitError.last("git_config_delete_entry \(key)", rc) }
    }

    /// Removes a whole `[section "sub"]`.
    public func removeSection(_ prefix: String) throws {
        for (k, _) in entries(matching: "^" + prefix.replacingOccurrences(of: ".", with: "\\.") + "\\.") {
            try unset(k)
        }
    }
}

extension GitRepository {
    /// The repository's own config (`.git/config` with global and system files behind it).
    public func config() throws -> GitConfigFile {
        try GitConfigFile(path: gitDir == commonDir ? commonDir + "/config" : commonDir + "/config")
    }
}

import Foundation
