import Foundation
import MLOpsBasics

/// Man pages in roff (man(7) macros) from the command tree: `git-mlops(1)` and one per subcommand,
/// named as git looks them up (`git mlops --help` and `git help mlops` run `man git-mlops`). Written
/// from `CommandInfo`, so a page can never say other than `-h`. No date: the same tree makes the
/// same bytes.
enum Manual {
    /// Every page of `root` and below: file name (`git-mlops-remote-add.1`) and text.
    static func pages(_ root: CommandInfo) -> [(name: String, text: String)] {
        root.all.map { ($0.pageName + ".1", page($0, root: root)) }
    }

    static func page(_ c: CommandInfo, root: CommandInfo) -> String {
        // Left-aligned and unhyphenated, so that option names and paths stay whole.
        var out = [".TH \(c.pageName.uppercased()) 1 \"\" \"git-mlops \(GitMLOps.version)\" \"git-mlops Manual\"", ".ad l", ".nh"]
        out += [".SH NAME", "\(c.pageName) \\- \(escape(c.abstract))"]
        out += [".SH SYNOPSIS", escape(synopsis(c))]
        let isRoot = c.path.count == 1
        let description = isRoot ? GitMLOps.description : c.discussion
        if !description.isEmpty {
            out.append(".SH DESCRIPTION")
            out += paragraphs(description)
        }
        if !c.positionals.isEmpty {
            out.append(".SH ARGUMENTS")
            for a in c.positionals { out += [".TP", "\\fI\(escape(a.synopsis))\\fR", escape(a.abstract)] }
        }
        let options = (isRoot ? [ArgumentInfo(kind: .flag, names: ["--version"], abstract: "Print the version of git-mlops and exit.")] : []) + c.options
        if !options.isEmpty {
            out.append(".SH OPTIONS")
            for a in options {
                let value = a.kind == .option ? " \\fI<\(escape(a.valueName))>\\fR" : ""
                let values = a.values.isEmpty ? "" : " One of: \(a.values.joined(separator: ", "))."
                out += [".TP", a.names.map { "\\fB\(escape($0))\\fR" }.joined(separator: ", ") + value, escape(a.abstract + values)]
            }
        }
        if !c.subcommands.isEmpty {
            out.append(".SH COMMANDS")
            for s in c.subcommands { out += [".TP", "\\fB\(escape(s.pageName))\\fR(1)", escape(s.abstract)] }
        }
        if isRoot {
            out.append(".SH EXAMPLES")
            for e in GitMLOps.examples { out += [".TP", "\\fB\(escape(e.command))\\fR", escape(e.what)] }
        }
        var seeAlso = ["git(1)"]
        if !isRoot { seeAlso.insert(c.path.count == 2 ? "git-mlops(1)" : "\(CommandInfo(path: Array(c.path.dropLast()), abstract: "").pageName)(1)", at: 0) }
        out += [".SH SEE ALSO", seeAlso.map { "\\fB\($0.replacingOccurrences(of: "(1)", with: "\\fR(1)"))" }.joined(separator: ", ")]
        return out.joined(separator: "\n") + "\n"
    }

    /// `git mlops remote add <name> <url> [--default] [--endpoint <endpoint>]`: in the order `-h` shows.
    static func synopsis(_ c: CommandInfo) -> String {
        var words = [c.fullName] + (c.path.count == 1 ? ["[--version]"] : [])
        for a in c.arguments where !a.names.contains("--help") {
            words.append(a.isOptional ? "[\(a.synopsis)]" : a.synopsis)
        }
        if !c.subcommands.isEmpty { words.append("<command> [<args>]") }
        return words.joined(separator: " ")
    }

    /// Paragraphs separated by blank lines; lines inside one are joined (roff fills them).
    static func paragraphs(_ text: String) -> [String] {
        text.components(separatedBy: "\n\n").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
            .flatMap { [".PP", escape($0.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " "))] }
    }

    /// Text as roff reads it literally: backslashes escaped, hyphens as minus signs (so that options
    /// can be searched and copied), and no line taken for a request.
    static func escape(_ s: String) -> String {
        let body = s.replacingOccurrences(of: "\\", with: "\\e").replacingOccurrences(of: "-", with: "\\-")
        return body.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.hasPrefix(".") || line.hasPrefix("'") ? "\\&" + line : String(line)
        }.joined(separator: "\n")
    }
}
