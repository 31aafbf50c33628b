import MLOpsBasics
import Validation
import Workspace

/// `git mlops hook pre-commit`: refuses the commit when tracked data was modified but not added, or
/// when a staged dataset or metrics file fails its checks; `git commit --no-verify` skips it.
func preCommitHook(_ args: [String]) throws {
    let repo = try Repo.open()
    let r = try ValidationHooks.preCommit(repo: repo)
    if !r.modified.isEmpty {
        throw MLOpsError("pre-commit: tracked data was modified but not added: \(r.modified.joined(separator: ", ")); the commit would record the old version",
                         hint: "run `git mlops add \(r.modified.joined(separator: " "))` and stage the pointer\(r.modified.count == 1 ? "" : "s"), or `git commit --no-verify` to commit anyway")
    }
    for f in r.report.warnings { Terminal.warn(f.line) }
    guard r.report.passed else {
        for f in r.report.failures { Terminal.err("error: " + f.line) }
        throw MLOpsError("pre-commit: \(r.report.failures.count) check\(r.report.failures.count == 1 ? "" : "s") failed, so nothing was committed",
                         hint: "fix the data or the thresholds in mlops.yaml; `git mlops validate --staged` shows every check; `git commit --no-verify` commits anyway (and is recorded)")
    }
}

/// The pre-push hook's gates: a pushed commit whose metrics fail their gates stops the push.
func gatePush(_ repo: Repo, gitRemote: String, input: String) throws {
    let report = try ValidationHooks.prePush(repo: repo, gitRemote: gitRemote, input: input)
    for f in report.warnings { Terminal.warn(f.line) }
    guard report.passed else {
        for f in report.failures { Terminal.err("error: " + f.line) }
        throw MLOpsError("pre-push: the metrics of the commits being pushed fail their gates, so nothing was pushed",
                         hint: "fix the model or the gates in mlops.yaml; `git mlops validate --rev COMMIT` shows every gate; `git push --no-verify` pushes anyway")
    }
}
