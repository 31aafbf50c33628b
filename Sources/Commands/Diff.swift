import ArgumentParser
import MLOpsBasics
import Workspace

struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Show tracked files added, removed and modified between two revisions.",
        discussion: "No revision: HEAD against the workspace. One: that revision against the workspace. Two: the first against the second.")

    @OptionGroup var revisions: TwoRevisions

    @OptionGroup var output: JSONOption

    func run() throws {
        output.emit(try Repo.open().diff(from: revisions.from, to: revisions.to)) { entries in
            lines(entries.map { e in
                switch e.change {
                case .added: return "\(Terminal.color("added:   ", "32")) \(e.path) (\(formatBytes(e.newSize ?? 0)))"
                case .removed: return "\(Terminal.color("removed: ", "31")) \(e.path) (\(formatBytes(e.oldSize ?? 0)))"
                case .modified: return "\(Terminal.color("modified:", "33")) \(e.path) (\(formatBytes(e.oldSize ?? 0)) -> \(formatBytes(e.newSize ?? 0)))"
                }
            })
        }
    }
}
