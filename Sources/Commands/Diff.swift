import ArgumentParser
import MLOpsBasics
import Workspace

struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show tracked files added, removed and modified between two revisions.",
        discussion: "No revision: HEAD against the workspace. One: that revision against the workspace. Two: the first against the second.")

    @Argument(help: "Up to two revisions.")
    var revisions: [String] = []

    @OptionGroup var output: JSONOption

    func validate() throws {
        if revisions.count > 2 { throw ValidationError("give at most two revisions") }
    }

    func run() throws {
        let a = revisions.first ?? "HEAD"
        let b: String? = revisions.count == 2 ? revisions[1] : nil
        let entries = try Repo.open().diff(from: a, to: b)
        if output.json {
            printJSON(.array(entries.map(\.json)))
            return
        }
        for e in entries {
            switch e.change {
            case .added: print("\(Terminal.color("added:   ", "32")) \(e.path) (\(formatBytes(e.newSize ?? 0)))")
            case .removed: print("\(Terminal.color("removed: ", "31")) \(e.path) (\(formatBytes(e.oldSize ?? 0)))")
            case .modified: print("\(Terminal.color("modified:", "33")) \(e.path) (\(formatBytes(e.oldSize ?? 0)) -> \(formatBytes(e.newSize ?? 0)))")
            }
        }
    }
}
