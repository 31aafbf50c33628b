import Foundation
import GitBridge
import MLOpsBasics

// Notes on `refs/notes/mlops` hold run records and lines of other schemas (monitoring snapshots,
// `https://git-mlops.dev/spec/monitor/v1`): one canonical JSON object a line, each with a `schema`.
// Run-record readers pass over the other lines quietly; these read and add them.

extension Journal {
    /// Every note line whose `schema` starts with `schemaPrefix`, with the commit it is attached to.
    /// Only notes whose text holds the prefix are split.
    public func lines(schemaPrefix: String) throws -> [(commit: GitOID, line: String)] {
        let needle = "\"schema\":" + JSON.string(schemaPrefix).canonical.dropLast()
        var out: [(GitOID, String)] = []
        for (c, text) in try noteTexts() where fastContains(text, needle) {
            for l in text.split(separator: "\n") where fastContains(String(l), needle) { out.append((c, String(l))) }
        }
        return out
    }

    /// Adds lines to the note of `commit`, kept sorted and free of duplicates as run records are.
    public func appendLines(_ lines: [String], to commit: GitOID) throws {
        let l = try lock()
        defer { l.release() }
        try appendLinesLocked(lines, to: commit)
    }
}

extension RunRecord {
    /// A JSON object whose `schema` is not a run record's: a line another feature keeps in the notes.
    static func isOtherSchema(_ line: String) -> Bool {
        guard fastContains(line, "\"schema\":"), let j = try? JSON.parse(line), let s = j["schema"]?.string else { return false }
        return !s.hasPrefix(schemaPrefix)
    }
}

/// Who writes a note line: `user@host`, as run records name them.
public enum NoteAuthor {
    public static var current: String { RunEnvironment.user + "@" + RunEnvironment.host }
}
