import ArgumentParser
import MLOpsBasics
import Workspace

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show tracked paths that are modified, missing from the workspace, or missing from or damaged in the cache.",
        discussion: "Prints nothing when everything matches its pointer. Exit status is 0 either way.")

    @Argument(help: "Limit to these paths.")
    var paths: [String] = []

    @OptionGroup var output: JSONOption

    func run() throws {
        output.emit(try Repo.open().status(paths)) { entries in
            lines(entries.map(line) + StatusEntry.hints(for: entries))
        }
    }

    func line(_ e: StatusEntry) -> String {
        switch e.state {
        case .modified:
            let counts = e.added + e.removed + e.changed > 0 ? " (\(e.added) added, \(e.removed) removed, \(e.changed) changed)" : ""
            return "\(Terminal.color("modified:", "31"))                \(e.path)\(counts)"
        case .missing: return "\(Terminal.color("missing from workspace:", "33"))  \(e.path)"
        case .notInCache: return "\(Terminal.color("missing from cache:", "33"))      \(e.path)"
        case .damaged: return "\(Terminal.color("damaged in cache:", "31"))        \(e.path)"
        case .interrupted: return "\(Terminal.color("checkout interrupted:", "31"))    \(e.path)"
        }
    }
}
