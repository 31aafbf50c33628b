import ArgumentParser
import MLOpsBasics
import Workspace

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show tracked paths that are modified, missing from the workspace, or missing from or damaged in the cache.",
        discussion: "Prints nothing when everything matches its pointer. Exit status is 0 either way.")

    @Argument(help: "Limit to these paths.")
    var paths: [String] = []

    @OptionGroup var output: JSONOption

    func run() throws {
        let entries = try Repo.open().status(paths)
        if output.json {
            printJSON(.array(entries.map(\.json)))
            return
        }
        for e in entries {
            switch e.state {
            case .modified:
                let counts = e.added + e.removed + e.changed > 0 ? " (\(e.added) added, \(e.removed) removed, \(e.changed) changed)" : ""
                print("\(Terminal.color("modified:", "31"))                \(e.path)\(counts)")
            case .missing:
                print("\(Terminal.color("missing from workspace:", "33"))  \(e.path)")
            case .notInCache:
                print("\(Terminal.color("missing from cache:", "33"))      \(e.path)")
            case .damaged:
                print("\(Terminal.color("damaged in cache:", "31"))        \(e.path)")
            case .interrupted:
                print("\(Terminal.color("checkout interrupted:", "31"))    \(e.path)")
            }
        }
        if entries.contains(where: { $0.state == .modified }) { print("hint: `git mlops add PATH` records changes") }
        if entries.contains(where: { $0.state == .missing }) { print("hint: `git mlops checkout` restores the workspace") }
        if entries.contains(where: { $0.state == .notInCache }) { print("hint: `git mlops pull` fetches missing data") }
        if entries.contains(where: { $0.state == .damaged }) { print("hint: `git mlops fsck --repair` restores damaged data from a remote") }
        if entries.contains(where: { $0.state == .interrupted }) {
            print("hint: a checkout stopped half-way; `git mlops checkout` finishes it (`git mlops add` would record the old data)")
        }
    }
}
