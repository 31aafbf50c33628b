import ArgumentParser
import MLOpsBasics
import Workspace

struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show tracked files added, removed and modified between two revisions.",
        discussion: "No revision: HEAD against the workspace. One: that revision against the workspace. Two: the first against the second.")

    @OptionGroup var revisions: TwoRevisions

    @OptionGroup var output: JSONOption

    func run() throws {
        let entries = try Repo.open().diff(from: revisions.from, to: revisions.to)
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
