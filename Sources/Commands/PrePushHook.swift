import Catalog
import Foundation
import MLOpsBasics
import Workspace

/// `git mlops hook pre-push REMOTE URL` with git's ref lines on stdin. Under the pre-commit framework,
/// which passes no stdin, the refs come from its `PRE_COMMIT_*` variables.
func prePushHook(_ args: [String]) throws {
    var input = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
    let env = ProcessInfo.processInfo.environment
    var arguments = args
    if input.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, let to = env["PRE_COMMIT_TO_REF"] {
        let from = env["PRE_COMMIT_FROM_REF"] ?? String(repeating: "0", count: 40)
        let local = env["PRE_COMMIT_LOCAL_BRANCH"] ?? "HEAD"
        let remoteBranch = env["PRE_COMMIT_REMOTE_BRANCH"] ?? local
        input = "\(local) \(to) \(remoteBranch) \(from)\n"
        if arguments.isEmpty, let name = env["PRE_COMMIT_REMOTE_NAME"] { arguments = [name] }
    }
    let args = arguments
    let repo = try Repo.open()
    for line in CatalogPush.conflicts(input, git: repo.git, remote: args.first ?? "origin") { Terminal.err(line) }
    try gatePush(repo, gitRemote: args.first ?? "origin", input: input)
    do {
        if let r = try repo.prePush(gitRemote: args.first ?? "origin", input: input), r.report.objects > 0 {
            Terminal.err("git-mlops: uploaded \(r.report.objects) objects (\(formatBytes(r.report.bytes))) to data remote \(r.remote)")
        }
    } catch {
        throw MLOpsError("pre-push: the data of the commits being pushed could not be uploaded, so nothing was pushed (\(error))",
                         hint: "fix the data remote and push again, or `git push --no-verify` to push without data")
    }
}
