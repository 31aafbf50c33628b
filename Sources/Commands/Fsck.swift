import ArgumentParser
import Lineage
import MLOpsBasics
import Workspace

struct Fsck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fsck",
        abstract: "Re-hash every object in the cache and name what is corrupt or missing.",
        discussion: """
            Missing objects are reported when the workspace or a version gc keeps needs them. With --repair, \
            damaged packs and bad indexes are removed from the cache (every object of theirs that still \
            verifies is kept), what is then missing is fetched again from the remote, and the cache is \
            checked again; exit 1 if anything needed could not be recovered.
            """)

    @Flag(help: "Drop damaged packs, keep what still verifies, fetch the rest again from a remote.")
    var repair = false

    @Option(help: "With --repair: the data remote to fetch from (default: the default remote).")
    var remote: String?

    @OptionGroup var output: JSONOption

    func validate() throws {
        if remote != nil && !repair { throw ValidationError("--remote applies to --repair only") }
    }

    func run() throws {
        let repo = try Repo.open()
        let outcome: FsckOutcome
        if repair {
            let r = try repo.repair(remote: remote, keeping: [RunRecordRoots()])
            outcome = FsckOutcome(check: r.after!, repair: r)
        } else {
            outcome = FsckOutcome(check: try repo.fsck(keeping: [RunRecordRoots()]), repair: nil)
        }
        output.emit(outcome, text: text)
        if let failure = outcome.failure {
            if output.json { throw ExitCode(1) }
            throw failure
        }
    }

    func text(_ o: FsckOutcome) -> String {
        var out: [String] = []
        let r = o.check
        if let rep = o.repair {
            let from = rep.remote.map { " from \($0)" } ?? ""
            out.append("repair: dropped \(counted(rep.dropped.count, "damaged pack")), kept \(counted(rep.salvaged, "object")) that still verif\(rep.salvaged == 1 ? "ies" : "y"), fetched \(counted(rep.fetched, "object"))\(from)"
                       + (rep.unneeded > 0 ? "; \(counted(rep.unneeded, "object")) that nothing known needs \(rep.unneeded == 1 ? "is" : "are") gone" : ""))
            for id in rep.unrecoverable {
                out.append("lost \(id.hex): " + (rep.remote.map { "not on \($0)" } ?? "no data remote to fetch it from"))
            }
        }
        out += r.report.problems.map(\.description)
        out += r.affected.map { "affected: \($0.path): \($0.problem)" }
        if r.report.problems.isEmpty && (o.repair?.unrecoverable.isEmpty ?? true) {
            out.append("ok: \(counted(r.report.objects, "object")) (\(formatBytes(r.report.bytes))) verified")
        }
        return lines(out)
    }
}
