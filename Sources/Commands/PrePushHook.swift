import Catalog
import Foundation
import MLOpsBasics
import Workspace

/// `git mlops hook pre-push REMOTE URL` with git's ref lines on stdin (or the pre-commit framework's
/// variables: see `PrePushInput`).
func prePushHook(_ args: [String]) throws {
    let input = PrePushInput.resolve(stdin: String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self),
                                     arguments: args, environment: ProcessInfo.processInfo.environment)
    let repo = try Repo.open()
    for line in CatalogPush.conflicts(input.refLines, git: repo.git, remote: input.gitRemote) { Terminal.err(line) }
    try gatePush(repo, gitRemote: input.gitRemote, input: input.refLines)
    do {
        if let r = try repo.prePush(gitRemote: input.gitRemote, input: input.refLines), r.report.objects > 0 {
            Terminal.err("git-mlops: uploaded \(counted(r.report.objects, "object")) (\(formatBytes(r.report.bytes))) to data remote \(r.remote)")
        }
    } catch {
        throw MLOpsError("pre-push: the data of the commits being pushed could not be uploaded, so nothing was pushed (\(error))",
                         hint: "fix the data remote and push again, or `git push --no-verify` to push without data")
    }
}
