import ArgumentParser
import Lineage
import MLOpsBasics
import Workspace

struct Fsck: ParsableCommand {
    static let configuration = CommandConfiguration(
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
        var repaired: Repo.RepairResult?
        let r: Repo.FsckResult
        if repair {
            let rep = try repo.repair(remote: remote, keeping: [RunRecordRoots()])
            repaired = rep
            r = rep.after!
        } else {
            r = try repo.fsck(keeping: [RunRecordRoots()])
        }
        if output.json {
            var o: [String: JSON] = [
                "objects": JSON(r.report.objects), "bytes": JSON(r.report.bytes),
                "problems": .array(r.report.problems.map { p in
                    ["kind": .string(p.kind.rawValue), "id": JSON(p.id?.hex), "pack": JSON(p.pack), "detail": .string(p.detail)]
                }),
                "affected": .array(r.affected.map { ["path": .string($0.path), "problem": .string($0.problem)] })]
            if let rep = repaired {
                o["repair"] = ["dropped_packs": .array(rep.dropped.map { .string($0) }), "salvaged": JSON(rep.salvaged),
                               "fetched": JSON(rep.fetched), "remote": JSON(rep.remote), "unneeded": JSON(rep.unneeded),
                               "unrecoverable": .array(rep.unrecoverable.map { .string($0.hex) })]
            }
            printJSON(.object(o))
        } else {
            if let rep = repaired {
                let from = rep.remote.map { " from \($0)" } ?? ""
                print("repair: dropped \(rep.dropped.count) damaged packs, kept \(rep.salvaged) objects that still verify, fetched \(rep.fetched) objects\(from)"
                      + (rep.unneeded > 0 ? "; \(rep.unneeded) objects that nothing known needs are gone" : ""))
                for id in rep.unrecoverable {
                    print("lost \(id.hex): " + (rep.remote.map { "not on \($0)" } ?? "no data remote to fetch it from"))
                }
            }
            for p in r.report.problems { print(p.description) }
            for a in r.affected { print("affected: \(a.path): \(a.problem)") }
            if r.report.problems.isEmpty && (repaired?.unrecoverable.isEmpty ?? true) {
                print("ok: \(r.report.objects) objects (\(formatBytes(r.report.bytes))) verified")
            }
        }
        if let rep = repaired, !rep.unrecoverable.isEmpty {
            if !output.json {
                Terminal.err("error: \(rep.unrecoverable.count) objects that the workspace or a kept version needs could not be recovered; push them from a clone that has them, then run `git mlops fsck --repair` again (or `--remote NAME` to fetch from another remote)")
            }
            throw ExitCode(1)
        }
        if !r.report.problems.isEmpty {
            if !output.json {
                Terminal.err("error: \(r.report.problems.count) problems found; run `git mlops fsck --repair` to drop damaged data and fetch it again from a remote")
            }
            throw ExitCode(1)
        }
    }
}
