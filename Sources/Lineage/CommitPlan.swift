import GitBridge
import MLOpsBasics
import Workspace

/// What to commit so that pending run records attach: every file a record names (the files that
/// `CommitView.mismatch` compares, and the `.gitignore` beside each output) whose workspace content is
/// not what HEAD holds. `run`'s hint lists them, so that following it leaves no run pending.
public enum CommitPlan {
    public static func files(for records: [RunRecord], repo: Repo) -> [String] {
        guard !records.isEmpty else { return [] }
        let view = repo.git.head.map { CommitView(repo: repo, commit: $0) }
        let pointers = (try? repo.workspacePointers()) ?? []
        // Grouped as people read them: the data and metrics, .gitignore files, inputs, code, params, the pipeline.
        var groups = [[String]](repeating: [], count: 6)
        for r in records {
            groups[0] += r.outputs.map { Pointer.pointerPath(forData: $0.path) } + r.metricFiles.map(\.path)
            groups[1] += r.outputs.map { Repo.gitignore(beside: $0.path) }
            for i in r.inputs {
                let cover = pointers.first { i.path == $0.path || i.path.hasPrefix($0.path + "/") }
                groups[2].append(cover?.pointerPath ?? i.path)
            }
            groups[3] += r.codeDeps.map(\.path)
            groups[4] += r.params.keys.sorted().map { ParamRef(name: $0).file }
            groups[5].append(Pipeline.fileName)
        }
        let candidates = groups.flatMap { $0 }
        var seen = Set<String>()
        return candidates.filter { seen.insert($0).inserted && differs($0, repo: repo, head: view) }
    }

    /// Whether the workspace's `path` (a file, or a directory of code) differs from HEAD's.
    static func differs(_ path: String, repo: Repo, head: CommitView?) -> Bool {
        let abs = repo.absolute(path)
        guard let st = FS.lstat(abs) else { return head?.bytes(path) != nil }
        guard let head else { return true }
        if st.isDirectory {
            return (try? CodeHasher.directory(repo, path).digest) != head.digest(path).0
        }
        guard let then = head.bytes(path), Int64(then.count) == st.size else { return true }
        return (try? FS.readFile(abs)) != then
    }
}
