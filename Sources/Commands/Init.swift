import ArgumentParser
import Workspace

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Set up git-mlops in this repository (creates .git/mlops and .gitmlops).")

    func run() throws {
        let (repo, created) = try Repo.initialize()
        emitText(created
            ? lines(["Initialized git-mlops in \(repo.storeRoot)",
                     "hint: commit \(Repo.configFileName) (`git add \(Repo.configFileName) && git commit`)"])
            : "git-mlops is already set up in \(repo.storeRoot)")
    }
}
