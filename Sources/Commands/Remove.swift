import ArgumentParser
import MLOpsBasics
import Workspace

struct Remove: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove",
        abstract: "Stop tracking paths: remove their pointers and .gitignore entries, keeping or deleting the data.",
        discussion: "The cache keeps the data until gc finds that nothing needs it. Commit the removed pointers and the .gitignore files.")

    enum DataChoice: EnumerableFlag {
        case keep, delete

        static func help(for value: DataChoice) -> ArgumentHelp? {
            switch value {
            case .keep: return "Keep the data in the workspace, untracked."
            case .delete: return "Delete the data from the workspace too."
            }
        }
    }

    @Argument(help: "Tracked paths (the data or its .mlops pointer).")
    var paths: [String]

    @Flag var data: DataChoice = .keep

    @Flag(name: .shortAndLong, help: "With --delete: delete data even if the cache does not hold its content.")
    var force = false

    @OptionGroup var output: JSONOption

    func validate() throws {
        if paths.isEmpty { throw ValidationError("name at least one tracked path") }
        if force && data != .delete { throw ValidationError("--force applies to --delete only") }
    }

    func run() throws {
        let removed = try Repo.open().untrack(paths, deleteData: data == .delete, force: force)
        output.emit(removed) { removed in
            lines(removed.map { "stopped tracking \($0.path)\($0.dataDeleted ? " and deleted its data" : "")" }
                  + ["hint: git add \(ShellQuoting.join(Untracked.filesToCommit(removed))) && git commit"])
        }
    }
}
