import MLOpsBasics
import Yams

extension PipelineEditor {
    /// `git mlops stage remove`: takes stage `name` out of the pipeline file at `root`, keeping the
    /// other stages, their order and comments. Returns the stages left that read what it wrote (they
    /// now read it as a source). Its outputs stay tracked: `git mlops remove PATH` stops that.
    @discardableResult
    public static func removeStage(_ name: String, root: String) throws -> [String] {
        let path = root + "/" + Pipeline.fileName
        guard FS.exists(path) else {
            throw MLOpsError("no \(Pipeline.fileName) in \(root)", hint: "there are no stages to remove")
        }
        let old = try FS.readText(path)
        let removed = try Pipeline.parse(old).stage(name)
        let text = try removing(name, from: old)
        try FS.writeAtomic(path, text)
        let writes = removed?.writes ?? []
        return try Pipeline.parse(text).stages.filter { s in s.deps.contains { d in writes.contains { Pipeline.overlaps($0, d) } } }.map(\.name)
    }

    /// The pipeline file's text without stage `name`. Pure, for tests.
    public static func removing(_ name: String, from text: String) throws -> String {
        let current = try Pipeline.parse(text)
        guard current.stage(name) != nil else {
            let similar = Suggest.nearest(to: name, among: current.stages.map(\.name))
            throw MLOpsError("no stage '\(name)' in \(Pipeline.fileName)",
                             hint: similar.isEmpty ? (current.stages.isEmpty ? "it declares no stages" : "stages: \(current.stages.map(\.name).joined(separator: ", "))")
                                 : "did you mean \(similar.map { "'\($0)'" }.joined(separator: " or "))?")
        }
        let result = try cutBlock(of: name, from: text) ?? rewritten(current, without: name)
        _ = try Pipeline.parse(result)
        return result
    }

    /// The text with the stage's block cut out, when the file is plain block style; nil otherwise.
    /// Lines are split at `\n` bytes (a CRLF file keeps its `\r`s); other line breaks that YAML
    /// counts (a lone CR, NEL, LS, PS) would put its line numbers off, so such a file is rewritten.
    static func cutBlock(of name: String, from text: String) throws -> String? {
        let scalars = Array(text.unicodeScalars)
        for (i, u) in scalars.enumerated() where u == "\u{85}" || u == "\u{2028}" || u == "\u{2029}" || (u == "\r" && (i + 1 == scalars.count || scalars[i + 1] != "\n")) {
            return nil
        }
        var lines = text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        let endsWithNewline = lines.last == ""
        if endsWithNewline { lines.removeLast() }
        guard let top = try Values.composeYAML(text, path: Pipeline.fileName, fix: "fix its syntax first")?.mapping,
              let stagesKey = top.first(where: { $0.key.string == "stages" })?.key,
              let m = top.first(where: { $0.key.string == "stages" })?.value.mapping, m.style != .flow,
              let keyLine = stagesKey.mark?.line else { return nil }
        let keys = m.map(\.key)
        guard let column = keys.first?.mark?.column,
              keys.allSatisfy({ ($0.mark?.line ?? 0) > keyLine && $0.mark?.column == column }),
              let k = keys.firstIndex(where: { $0.string == name }) else { return nil }
        func indent(_ l: String) -> Int { l.prefix { $0 == " " }.count }
        func isBlankOrComment(_ l: String) -> Bool {
            let t = l.trimmingCharacters(in: .whitespacesAndNewlines)
            return t.isEmpty || t.hasPrefix("#")
        }
        // The stages block ends before the next line indented at or left of `stages:`.
        let stagesIndent = (stagesKey.mark?.column ?? 1) - 1
        let end = (keyLine..<lines.count).first { !isBlankOrComment(lines[$0]) && indent(lines[$0]) <= stagesIndent } ?? lines.count
        let start = keys[k].mark!.line - 1
        var stop = k + 1 < keys.count ? keys[k + 1].mark!.line - 1 : end
        // Trailing blank lines and comments at the stage's indentation or less belong to what follows.
        while stop > start + 1, isBlankOrComment(lines[stop - 1]), lines[stop - 1].trimmingCharacters(in: .whitespaces).isEmpty || indent(lines[stop - 1]) <= column - 1 {
            stop -= 1
        }
        lines.removeSubrange(start..<stop)
        return lines.joined(separator: "\n") + (endsWithNewline ? "\n" : "")
    }

    /// The whole file written again from the parsed stages (comments are lost; unusual layouts only).
    static func rewritten(_ pipeline: Pipeline, without name: String) -> String {
        (["stages:"] + pipeline.stages.filter { $0.name != name }.flatMap { emit($0.spec, indent: 2) }).joined(separator: "\n") + "\n"
    }
}
