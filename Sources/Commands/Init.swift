import ArgumentParser
import Workspace

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Set up git-mlops in this repository (creates .git/mlops and .gitmlops).")

    func run() throws {
        let (repo, created) = try Repo.initialize()
        if created {
            print("Initialized git-mlops in \(repo.storeRoot)")
            print("hint: commit \(Repo.configFileName) (`git add \(Repo.configFileName) && git commit`)")
        } else {
            print("git-mlops is already set up in \(repo.storeRoot)")
        }
    }
}
