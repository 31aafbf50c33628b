import ArgumentParser
import Lineage
import MLOpsBasics
import Workspace

struct Push: ParsableCommand {
    static let configuration = CommandConfiguration(
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
        let r = try Repo.open().push(remote: remote, revs: revs, allCommits: allCommits, notes: notes, keeping: [RunRecordRoots()])
        if output.json {
            printJSON(["remote": .string(r.remote), "objects": JSON(r.report.objects), "bytes": JSON(r.report.bytes),
                       "packs": JSON(r.report.packs), "already_there": JSON(r.report.alreadyThere), "notes": JSON(r.notes)])
            return
        }
        print("pushed \(r.report.objects) objects (\(formatBytes(r.report.bytes)) in \(r.report.packs) packs) to \(r.remote); \(r.report.alreadyThere) already there")
        if let n = r.notes { print(n) }
    }
}

struct Fetch: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fetch run records from the git remote and the data of the workspace's pointers (or revisions) from a data remote.")

    @Argument(help: "Data remote (default: the default remote).") var remote: String?
    @Option(name: .customLong("rev"), help: "Fetch the data of this revision (repeatable).") var revs: [String] = []
    @Flag(inversion: .prefixedNo, help: "Also fetch and merge refs/notes/mlops from the git remote.") var notes = true
    @OptionGroup var output: JSONOption

    func run() throws {
        let r = try Repo.open().fetch(remote: remote, revs: revs, notes: notes, keeping: [RunRecordRoots()])
        printFetch(r, json: output.json)
    }
}

func printFetch(_ r: Repo.FetchResult, json: Bool) {
    if json {
        printJSON(["remote": .string(r.remote), "objects": JSON(r.report.objects), "bytes": JSON(r.report.bytes),
                   "whole_packs": JSON(r.report.wholePacks), "range_requests": JSON(r.report.rangeRequests), "notes": JSON(r.notes)])
        return
    }
    print("fetched \(r.report.objects) objects (\(formatBytes(r.report.bytes))) from \(r.remote)")
    if let n = r.notes { print(n) }
}

struct Pull: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fetch, then checkout. With paths, fetch only what those paths need.")

    @Argument(help: "Data remote name, then paths; a first argument that names no remote is taken as a path.")
    var arguments: [String] = []
    @Option(help: "Data remote (default: the default remote).") var remote: String?
    @Flag(name: .shortAndLong, help: "Overwrite workspace files whose content is not saved in the cache.") var force = false
    @OptionGroup var output: JSONOption

    func run() throws {
        let repo = try Repo.open()
        var name = remote
        var paths = arguments
        if name == nil, let first = paths.first, try repo.remotes().contains(where: { $0.name == first }) {
            name = first
            paths.removeFirst()
        }
        let (f, c) = try repo.pull(remote: name, paths: paths, force: force, keeping: [RunRecordRoots()])
        if output.json {
            printJSON(["remote": .string(f.remote), "objects": JSON(f.report.objects), "bytes": JSON(f.report.bytes),
                       "whole_packs": JSON(f.report.wholePacks), "range_requests": JSON(f.report.rangeRequests),
                       "written": JSON(c.filesWritten), "removed": JSON(c.filesRemoved), "notes": JSON(f.notes)])
            return
        }
        printFetch(f, json: false)
        print("\(c.filesWritten) files written (\(formatBytes(c.bytesWritten))), \(c.filesRemoved) removed, \(c.unchanged) unchanged")
    }
}
