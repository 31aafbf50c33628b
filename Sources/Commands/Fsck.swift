import ArgumentParser
import MLOpsBasics
import Workspace

struct Fsck: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Re-hash every object in the cache and name what is corrupt or missing.")

    @OptionGroup var output: JSONOption

    func run() throws {
        let r = try Repo.open().fsck()
        if output.json {
            printJSON(["objects": JSON(r.report.objects), "bytes": JSON(r.report.bytes),
                       "problems": .array(r.report.problems.map { p in
                           ["kind": .string(p.kind.rawValue), "id": JSON(p.id?.hex), "pack": JSON(p.pack), "detail": .string(p.detail)]
                       }),
                       "affected": .array(r.affected.map { ["path": .string($0.path), "problem": .string($0.problem)] })])
        } else {
            for p in r.report.problems { print(p.description) }
            for a in r.affected { print("affected: \(a.path): \(a.problem)") }
            if r.report.problems.isEmpty {
                print("ok: \(r.report.objects) objects (\(formatBytes(r.report.bytes))) verified")
            }
        }
        if !r.report.problems.isEmpty {
            if !output.json {
                Terminal.err("error: \(r.report.problems.count) problems found; restore the data with `git mlops fetch` from a remote that has it, then run `git mlops gc`")
            }
            throw ExitCode(1)
        }
    }
}
