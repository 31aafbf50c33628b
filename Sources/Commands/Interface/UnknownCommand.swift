import ArgumentParser
import MLOpsBasics

/// A word where a subcommand belongs that names none, found before parsing so that it gets git's
/// answer instead of "unexpected argument": the nearest commands (see `Suggest`), and exit 1 at the
/// top (`git mlops stauts`, `git mlops help stauts`, as git does) or a usage error (129) below it
/// (`git mlops remote ad`, as `git remote ad`).
enum UnknownCommand {
    struct Finding: Equatable {
        var message: String
        var status: Int32
    }

    static func find(in arguments: [String]) -> Finding? {
        var words = arguments[...]
        if words.first == "help" { words = words.dropFirst() }
        var command: ParsableCommand.Type = GitMLOps.self
        var path = [GitMLOps._commandName]
        for word in words {
            let config = command.configuration
            // Options, `--`, and the arguments of commands that have their own go to the parser.
            guard !word.hasPrefix("-"), config.defaultSubcommand == nil else { return nil }
            var names: [(name: String, type: ParsableCommand.Type, visible: Bool)] = []
            for sub in config.subcommands + config.groupedSubcommands.flatMap({ $0.subcommands }) {
                let c = sub.configuration
                names.append((sub._commandName, sub, c.shouldDisplay))
                for alias in c.aliases { names.append((alias, sub, false)) }
            }
            guard !names.isEmpty else { return nil }
            if let next = names.first(where: { $0.name == word }) {
                command = next.type
                path.append(word)
                continue
            }
            let top = path.count == 1
            if top && word == "help" { return nil }
            let similar = Suggest.nearest(to: word, among: names.filter { $0.visible }.map { $0.name } + (top ? ["help"] : []))
            var suggestion = ""
            if !similar.isEmpty {
                suggestion = "\n\nThe most similar command\(similar.count == 1 ? " is" : "s are")\n" + similar.map { "\t" + $0 }.joined(separator: "\n")
            }
            let name = path.joined(separator: " ")
            if top {
                return Finding(message: "\(name): '\(word)' is not a \(name) command. See '\(name) --help'.\(suggestion)", status: 1)
            }
            let usage = "Usage: \(GitMLOps.usageString(for: command))\n  See '\(name) --help' for more information."
            return Finding(message: "error: '\(word)' is not a \(name) command\(suggestion)\n\n\(usage)", status: 129)
        }
        return nil
    }

    /// ArgumentParser's messages begin with a capital (`error: Unexpected argument`); git's do not.
    static func lowercased(_ message: String) -> String {
        let prefix = GitMLOps._errorPrefix
        guard message.hasPrefix(prefix) else { return message }
        let rest = message.dropFirst(prefix.count)
        guard let first = rest.first, first.isUppercase, let second = rest.dropFirst().first, second.isLowercase else { return message }
        return prefix + first.lowercased() + rest.dropFirst()
    }
}
