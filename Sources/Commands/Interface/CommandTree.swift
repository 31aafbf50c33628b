import ArgumentParser
import MLOpsBasics

/// The command tree as ArgumentParser describes it (ToolInfo v0, what `--experimental-dump-help`
/// prints), so that what is written from it can never disagree with `-h`. Hidden commands and
/// arguments, and ArgumentParser's own `help` command, are left out.
struct CommandInfo: Equatable {
    /// `["git mlops", "remote", "add"]`.
    var path: [String]
    var abstract: String
    var discussion: String
    var arguments: [ArgumentInfo]
    var subcommands: [CommandInfo]

    var name: String { path.last ?? "" }
    /// `git mlops remote add`.
    var fullName: String { path.joined(separator: " ") }
    /// `git-mlops-remote-add`: the man page's name (`git help mlops` opens `git-mlops`).
    var pageName: String { (["git-mlops"] + path.dropFirst()).joined(separator: "-") }
    var options: [ArgumentInfo] { arguments.filter { $0.kind != .positional } }
    var positionals: [ArgumentInfo] { arguments.filter { $0.kind == .positional } }

    /// Every command under this one (itself first), depth first.
    var all: [CommandInfo] { [self] + subcommands.flatMap(\.all) }

    /// The tree of `git mlops`, from ArgumentParser's own description of it.
    static func root() throws -> CommandInfo {
        var dump = ""
        do { _ = try GitMLOps.parseAsRoot(["--experimental-dump-help"]) } catch { dump = GitMLOps.fullMessage(for: error) }
        guard let command = try JSON.parse(dump)["command"], let info = CommandInfo(command, parent: []) else {
            throw MLOpsError("ArgumentParser described the commands in an unknown form", hint: "report this as a bug")
        }
        return info
    }

    init?(_ j: JSON, parent: [String]) {
        guard let name = j["commandName"]?.string, j["shouldDisplay"]?.bool != false, !(name == "help" && !parent.isEmpty) else { return nil }
        path = parent + [name]
        abstract = j["abstract"]?.string ?? ""
        discussion = j["discussion"]?.string ?? ""
        arguments = (j["arguments"]?.array ?? []).compactMap(ArgumentInfo.init)
        subcommands = (j["subcommands"]?.array ?? []).compactMap { CommandInfo($0, parent: parent + [name]) }
    }

    init(path: [String], abstract: String, discussion: String = "", arguments: [ArgumentInfo] = [], subcommands: [CommandInfo] = []) {
        self.path = path; self.abstract = abstract; self.discussion = discussion; self.arguments = arguments; self.subcommands = subcommands
    }
}

struct ArgumentInfo: Equatable {
    enum Kind: String { case positional, option, flag }
    var kind: Kind
    /// `-n`, `--name`.
    var names: [String]
    var valueName: String
    var abstract: String
    var isOptional: Bool
    var isRepeating: Bool
    /// The values an option accepts, when it lists them.
    var values: [String]

    init?(_ j: JSON) {
        guard let k = j["kind"]?.string, let kind = Kind(rawValue: k), j["shouldDisplay"]?.bool != false else { return nil }
        self.kind = kind
        let all: [String] = (j["names"]?.array ?? []).compactMap { n in
            guard let name = n["name"]?.string else { return nil }
            switch n["kind"]?.string {
            case "short": return "-" + name
            case "long": return "--" + name
            case "longWithSingleDash": return "-" + name
            default: return nil
            }
        }
        // As help lists them: short names first (`-n, --name`), otherwise in the given order.
        names = all.filter { !$0.hasPrefix("--") } + all.filter { $0.hasPrefix("--") }
        valueName = j["valueName"]?.string ?? ""
        abstract = j["abstract"]?.string ?? ""
        isOptional = j["isOptional"]?.bool ?? true
        isRepeating = j["isRepeating"]?.bool ?? false
        values = (j["allValues"]?.array ?? []).compactMap(\.string)
    }

    init(kind: Kind, names: [String] = [], valueName: String = "", abstract: String = "", isOptional: Bool = true, isRepeating: Bool = false, values: [String] = []) {
        self.kind = kind; self.names = names; self.valueName = valueName; self.abstract = abstract
        self.isOptional = isOptional; self.isRepeating = isRepeating; self.values = values
    }

    /// `--rev <rev>`, `<paths> ...`, `--json`: as usage lines show it.
    var synopsis: String {
        let value = "<\(valueName)>"
        switch kind {
        case .positional: return value + (isRepeating ? " ..." : "")
        case .flag: return names.last ?? ""
        case .option: return "\(names.last ?? "") \(value)" + (isRepeating ? " ..." : "")
        }
    }
}
