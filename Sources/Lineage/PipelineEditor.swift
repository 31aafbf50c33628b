import MLOpsBasics
import Yams

/// Writes stages into `mlops.yaml` as text, so that the other stages keep their order, comments and layout.
public enum PipelineEditor {
    public enum Outcome: String, Sendable { case added, replaced }

    /// `git mlops stage add`: adds `spec` to the pipeline file at `root` (or replaces a stage of that
    /// name when `force`). The result is validated as a whole before anything is written.
    @discardableResult
    public static func addStage(_ spec: StageSpec, root: String, force: Bool) throws -> Outcome {
        let path = root + "/" + Pipeline.fileName
        let old = FS.exists(path) ? try Values.readDocument(root: root, path: Pipeline.fileName) : nil
        let (text, outcome) = try adding(spec, to: old, force: force)
        try FS.writeAtomic(path, text)
        return outcome
    }

    /// The new text of the pipeline file with `spec` added or replaced. Pure, for tests.
    public static func adding(_ spec: StageSpec, to old: String?, force: Bool) throws -> (String, Outcome) {
        guard Pipeline.isValidName(spec.name) else {
            throw MLOpsError("'\(spec.name)' is not a valid stage name", hint: "use letters, digits, `_`, `-` and `.` only")
        }
        let current = try Pipeline.parse(old ?? "")
        let exists = current.stage(spec.name) != nil
        if exists && !force {
            throw MLOpsError("stage '\(spec.name)' already exists in \(Pipeline.fileName)", hint: "pass --force to replace it, or choose another name")
        }
        // Check the stage on its own first, for an error that names it.
        _ = try Pipeline.resolve(spec, path: Pipeline.fileName)
        let text = try splice(spec, into: old ?? "", replacing: exists)
        _ = try Pipeline.parse(text)
        return (text, exists ? .replaced : .added)
    }

    /// Inserts or replaces the stage's block. Falls back to writing the whole file from the parsed
    /// stages when the existing layout is not plain block style.
    static func splice(_ spec: StageSpec, into text: String, replacing: Bool) throws -> String {
        // Split at `\n` bytes: as Characters, `\r\n` is one that is not `\n`. Lines of a CRLF file keep
        // their `\r`, and the new stage's lines get one too.
        var lines = text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        if lines.last == "" { lines.removeLast() }
        let cr = lines.first?.hasSuffix("\r") == true ? "\r" : ""
        func emit(_ spec: StageSpec, indent: Int) -> [String] { PipelineEditor.emit(spec, indent: indent).map { $0 + cr } }
        guard let root = try Values.composeYAML(text, path: Pipeline.fileName, fix: "fix its syntax first"),
              let top = root.mapping else {
            // Empty (or only comments): append a fresh `stages:` block.
            return joined(lines + ["stages:" + cr] + emit(spec, indent: 2))
        }
        // Marks count lines as libyaml does; the text is edited as `\n`-separated lines.
        guard breaksOnlyAtNewlines(text) else { return try rewrite(spec, text: text, replacing: replacing) }
        guard let (stagesKey, stagesNode) = top.first(where: { $0.key.string == "stages" }).map({ ($0.key, $0.value) }),
              let keyLine = stagesKey.mark?.line else {
            return joined(lines + ["stages:" + cr] + emit(spec, indent: 2))
        }
        let stageKeys = stagesNode.mapping.map { m in m.map(\.key) } ?? []
        // `stages:` with nothing below it.
        if stageKeys.isEmpty {
            if case .scalar = stagesNode, lines[keyLine - 1].trimmingCharacters(in: .whitespacesAndNewlines) == "stages:" {
                lines.insert(contentsOf: emit(spec, indent: 2), at: keyLine)
                return joined(lines)
            }
            return try rewrite(spec, text: text, replacing: replacing)
        }
        guard let m = stagesNode.mapping, m.style != .flow,
              stageKeys.allSatisfy({ ($0.mark?.line ?? 0) > keyLine }),
              let indentCol = stageKeys.first?.mark?.column,
              stageKeys.allSatisfy({ $0.mark?.column == indentCol }) else {
            return try rewrite(spec, text: text, replacing: replacing)
        }
        let indent = indentCol - 1
        // The block of the `stages` mapping ends before the next line indented at or left of `stages:`.
        let stagesIndent = (stagesKey.mark?.column ?? 1) - 1
        var end = lines.count
        for i in keyLine..<lines.count {
            let l = lines[i]
            let t = l.trimmingCharacters(in: .whitespacesAndNewlines)
            if t.isEmpty || t.hasPrefix("#") { continue }
            if leadingSpaces(l) <= stagesIndent { end = i; break }
        }
        let starts = stageKeys.map { $0.mark!.line - 1 }
        guard zip(starts, starts.dropFirst()).allSatisfy({ $0 < $1 }), let last = starts.last, last < end else {
            return try rewrite(spec, text: text, replacing: replacing)
        }
        func span(_ k: Int) -> Range<Int> {
            var hi = k + 1 < starts.count ? starts[k + 1] : end
            // Leave trailing blank lines and comments at the stage's indentation or less to what follows.
            while hi > starts[k] + 1 {
                let t = lines[hi - 1].trimmingCharacters(in: .whitespacesAndNewlines)
                if t.isEmpty || (t.hasPrefix("#") && leadingSpaces(lines[hi - 1]) <= indent) { hi -= 1 } else { break }
            }
            return starts[k]..<hi
        }
        let block = emit(spec, indent: indent)
        if replacing, let k = stageKeys.firstIndex(where: { $0.string == spec.name }) {
            lines.replaceSubrange(span(k), with: block)
        } else {
            lines.insert(contentsOf: block, at: span(stageKeys.count - 1).upperBound)
        }
        return joined(lines)
    }

    /// Writes the whole file from the parsed stages (comments are lost; used only for unusual layouts).
    private static func rewrite(_ spec: StageSpec, text: String, replacing: Bool) throws -> String {
        var specs = try Pipeline.parse(text).stages.map(\.spec)
        if replacing, let i = specs.firstIndex(where: { $0.name == spec.name }) { specs[i] = spec } else { specs.append(spec) }
        return joined(["stages:"] + specs.flatMap { emit($0, indent: 2) })
    }

    private static func joined(_ lines: [String]) -> String { lines.joined(separator: "\n") + "\n" }

    /// Whether every line break is `\n` or `\r\n`: libyaml also breaks lines at a lone `\r`, NEL, LS
    /// and PS, and then its line numbers are not those of the `\n`-separated lines.
    static func breaksOnlyAtNewlines(_ text: String) -> Bool {
        var previous: Unicode.Scalar = "\0"
        for u in text.unicodeScalars {
            if previous == "\r" && u != "\n" { return false }
            if u == "\u{85}" || u == "\u{2028}" || u == "\u{2029}" { return false }
            previous = u
        }
        return previous != "\r"
    }

    private static func leadingSpaces(_ s: String) -> Int { s.prefix { $0 == " " }.count }

    /// A stage as block YAML at `indent` spaces.
    static func emit(_ spec: StageSpec, indent: Int) -> [String] {
        let pad = String(repeating: " ", count: indent)
        var out = ["\(pad)\(scalar(spec.name)):", "\(pad)  cmd: \(scalar(spec.cmd))"]
        if let w = spec.wdir { out.append("\(pad)  wdir: \(scalar(w))") }
        for (key, list) in [("deps", spec.deps), ("params", spec.params), ("outs", spec.outs), ("metrics", spec.metrics)] where !list.isEmpty {
            out.append("\(pad)  \(key):")
            out += list.map { "\(pad)    - \(scalar($0))" }
        }
        return out
    }

    /// A string as a YAML scalar: plain when it reads back as the same string, double-quoted otherwise.
    static func scalar(_ s: String) -> String {
        let unsafeStart = "-?:,[]{}#&*!|>'\"%@` "
        if !s.isEmpty, let f = s.unicodeScalars.first, !unsafeStart.unicodeScalars.contains(f),
           !s.contains(": "), !s.contains(" #"), !s.hasSuffix(":"), !s.hasSuffix(" "),
           s.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7f }),
           let n = try? Values.composeYAML("k: " + s, path: "", fix: ""), let v = n.mapping?.first?.value,
           v.tagName == .str, v.string == s {
            return s
        }
        return JSON.string(s).canonical
    }
}
