import MLOpsBasics

extension FsckOutcome {
    /// Why `fsck` fails (exit 1), with the fix; nil when the cache holds everything it should.
    public var failure: MLOpsError? {
        if let lost = repair?.unrecoverable, !lost.isEmpty {
            return MLOpsError("\(counted(lost.count, "object")) that the workspace or a kept version needs could not be recovered",
                              hint: "push \(lost.count == 1 ? "it" : "them") from a clone that has \(lost.count == 1 ? "it" : "them"), then run `git mlops fsck --repair` again (or `--remote NAME` to fetch from another remote)")
        }
        let problems = check.report.problems.count
        if problems > 0 {
            return MLOpsError("\(counted(problems, "problem")) found",
                              hint: "run `git mlops fsck --repair` to drop damaged data and fetch it again from a remote")
        }
        return nil
    }
}
