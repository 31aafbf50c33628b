import MLOpsBasics
import Workspace

/// `git mlops hook post-checkout PREV NEW FLAG`: after a branch switch, make the data match the new
/// pointers. Never overwrites unsaved work and never fails the checkout: problems become warnings.
func postCheckoutHook(_ args: [String]) throws {
    guard args.count >= 3, args[2] == "1", args[0] != args[1] else { return }
    guard let repo = try? Repo.open() else { return }
    do {
        let r = try repo.checkout([], force: false, cwd: repo.root, progress: Terminal.stderrIsTTY)
        if r.filesWritten + r.filesRemoved > 0 {
            Terminal.err("git-mlops: \(counted(r.filesWritten, "file")) written (\(formatBytes(r.bytesWritten))), \(r.filesRemoved) removed")
        }
    } catch {
        Terminal.warn("git-mlops could not update the data: \(error)")
    }
}
