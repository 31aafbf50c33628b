import MLOpsBasics
import Workspace

extension Runner {
    /// Tracked data that the stages `run` would bring up to date read, and that was edited since its
    /// pointer was written (not added again). A run on it records the edited data, and its record stays
    /// pending until the data is added and committed; `run` refuses unless told to go on. Data that a
    /// stage writes is left out: the run stores it itself.
    public func editedInputs(targets: [String]) throws -> [String] {
        let pipeline = try Pipeline.require(root: repo.root)
        let written = pipeline.stages.flatMap(\.writes)
        let deps = try pipeline.order(targets).flatMap(\.deps).filter { d in !written.contains { Pipeline.overlaps($0, d) } }
        let tracked = try repo.workspacePointers().filter { t in deps.contains { Pipeline.overlaps($0, t.path) } }
        guard !tracked.isEmpty else { return [] }
        return try repo.status(tracked.map(\.path), cwd: repo.root).filter { $0.state == .modified }.map(\.path)
    }

    /// The refusal for `editedInputs`, naming them and both ways on.
    public static func editedInputsError(_ paths: [String]) -> MLOpsError {
        let named = paths.prefix(5).joined(separator: ", ") + (paths.count > 5 ? " and \(paths.count - 5) more" : "")
        return MLOpsError("\(named) \(paths.count == 1 ? "was" : "were") changed since `git mlops add`: a run would read data that no commit can hold, and its record would stay pending",
                          hint: "run `git mlops add \(ShellQuoting.join(Array(paths.prefix(5))))` first, or `git mlops run --allow-edited-inputs` to run anyway")
    }
}
