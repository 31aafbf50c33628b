import Foundation
import MLOpsBasics
import Workspace

/// `git mlops hook pre-push REMOTE URL` with git's ref lines on stdin.
func prePushHook(_ args: [String]) throws {
    let input = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
    let repo = try Repo.open()
    do {
        if let r = try repo.prePush(gitRemote: args.first ?? "origin", input: input), r.report.objects > 0 {
            Terminal.err("git-mlops: uploaded \(r.report.objects) objects (\(formatBytes(r.report.bytes))) to data remote \(r.remote)")
        }
    } catch {
        throw MLOpsError("pre-push: the data of the commits being pushed could not be uploaded, so nothing was pushed (\(error))",
                         hint: "fix the data remote and push again, or `git push --no-verify` to push without data")
    }
}
