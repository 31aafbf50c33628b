import ArgumentParser
import Lineage
import MLOpsBasics
import Workspace

struct Push: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Upload the data the remote lacks, then push run records (refs/notes/mlops) to the git remote.",
        discussion: "Default: the data of the workspace's pointers and of HEAD.")

    @Argument(help: "Data remote (default: the default remote).") var remote: String?
    @Option(name: .customLong("rev"), help: "Push the data of this revision (repeatable).") var revs: [String] = []
    @Flag(help: "Push the data of every commit reachable from a branch or tag.") var allCommits = false
    @Flag(inversion: .prefixedNo, help: "Also push refs/notes/mlops to the git remote.") var notes = true
    @OptionGroup var output: JSONOption

    func validate() throws {
        if allCommits && !revs.isEmpty { throw ValidationError("use either --rev or --all-commits") }
    }

    func run() throws {
        output.emit(try Repo.open().push(remote: remote, revs: revs, allCommits: allCommits, notes: notes, keeping: [RunRecordRoots()])) { r in
            lines(["pushed \(counted(r.report.objects, "object")) (\(formatBytes(r.report.bytes)) in \(counted(r.report.packs, "pack"))) to \(r.remote); \(r.report.alreadyThere) already there"]
                  + (r.notes.map { [$0] } ?? []))
        }
    }
}

struct Fetch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Fetch run records from the git remote and the data of the workspace's pointers (or revisions) from a data remote.")

    @Argument(help: "Data remote (default: the default remote).") var remote: String?
    @Option(name: .customLong("rev"), help: "Fetch the data of this revision (repeatable).") var revs: [String] = []
    @Flag(inversion: .prefixedNo, help: "Also fetch and merge refs/notes/mlops from the git remote.") var notes = true
    @OptionGroup var output: JSONOption

    func run() throws {
        output.emit(try Repo.open().fetch(remote: remote, revs: revs, notes: notes, keeping: [RunRecordRoots()]), text: fetchText)
    }
}

/// `fetched 3 objects (1.0 MiB) from storage`, and what happened to the run records.
func fetchText(_ r: Repo.FetchResult) -> String {
    lines(["fetched \(counted(r.report.objects, "object")) (\(formatBytes(r.report.bytes))) from \(r.remote)"] + (r.notes.map { [$0] } ?? []))
}

struct Pull: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Fetch, then checkout. With paths, fetch only what those paths need.")

    @Argument(help: "Data remote name, then paths; a first argument that names no remote is taken as a path.")
    var arguments: [String] = []
    @Option(help: "Data remote (default: the default remote).") var remote: String?
    @Flag(name: .shortAndLong, help: "Overwrite workspace files whose content is not saved in the cache.") var force = false
    @OptionGroup var output: JSONOption

    func run() throws {
        let repo = try Repo.open()
        let (name, paths) = try repo.remoteAndPaths(arguments, remote: remote)
        let (f, c) = try repo.pull(remote: name, paths: paths, force: force, keeping: [RunRecordRoots()])
        output.emit(PullOutcome(fetch: f, checkout: c)) { o in
            lines([fetchText(o.fetch), checkoutLine(o.checkout)])
        }
    }
}
