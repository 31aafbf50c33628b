import GitBridge
import MLOpsBasics
import Store
import Workspace

/// Ids of code dependencies as git sees them: a file's blob id, a directory's digest of blob ids.
enum CodeHasher {
    /// SHA-256 (hex) of `"<blob> <path>\n"` lines sorted by path (bytewise): equal for a workspace
    /// directory and a commit's tree exactly when they hold the same files with the same contents.
    static func digest(_ entries: [(path: String, blob: String)]) -> String {
        let text = entries.sorted { pathLess($0.path, $1.path) }.map { "\($0.blob) \($0.path)\n" }.joined()
        return ObjectID.hashing(text).hex
    }

    /// The git blob id of a workspace file (of its target text for a symlink, as git stores it).
    static func blob(_ abs: String) throws -> String {
        if let st = FS.lstat(abs), st.isSymlink, let target = FS.readlink(abs) {
            return GitRepository.blobID(Array(target.utf8)).hex
        }
        return GitRepository.blobID(try FS.readFile(abs)).hex
    }

    /// Interpreter caches and editor droppings that are never code, even when .gitignore forgets them
    /// (Python writes `__pycache__` next to the modules a stage imports).
    static let neverCode: Set<String> = ["__pycache__", ".ipynb_checkpoints", ".DS_Store", ".git"]

    static func isNeverCode(_ path: String) -> Bool {
        path.split(separator: "/").contains { neverCode.contains(String($0)) }
    }

    /// Files under a workspace directory that git does not ignore, with their blob ids.
    static func directory(_ repo: Repo, _ rel: String) throws -> (digest: String, files: Int) {
        var entries: [(String, String)] = []
        func walk(_ r: String) throws {
            for e in try FS.listDirectory(repo.absolute(r)) where !neverCode.contains(e.name) {
                let child = r + "/" + e.name
                if repo.git.isIgnored(child) { continue }
                switch e.kind {
                case .directory: try walk(child)
                case .file, .symlink: entries.append((String(child.dropFirst(rel.count + 1)), try blob(repo.absolute(child))))
                case .other: continue
                }
            }
        }
        try walk(rel)
        return (digest(entries), entries.count)
    }
}

/// A stage's inputs as they are now in a working tree: what its run-cache key is made of.
struct StageInputs: Sendable {
    var codeDeps: [CodeDep]
    var inputs: [Artifact]
    var params: [String: JSON]
    var key: String
}

/// Reads the current state of stages in one working tree.
final class Probe {
    let repo: Repo
    let pipeline: Pipeline
    private var tracked: [String]

    init(repo: Repo, pipeline: Pipeline) throws {
        self.repo = repo
        self.pipeline = pipeline
        tracked = try repo.workspacePointers().map(\.path)
    }

    /// Re-reads the pointers after a stage wrote some.
    func refresh() throws { tracked = try repo.workspacePointers().map(\.path) }

    /// Data is what git-mlops tracks or a stage writes; everything else is code, identified by git blob ids.
    func isData(_ dep: String) -> Bool {
        tracked.contains { Pipeline.overlaps($0, dep) } || pipeline.stages.contains { $0.writes.contains { Pipeline.overlaps($0, dep) } }
    }

    /// Deps that do not exist in the working tree.
    func missingDeps(_ stage: Stage) -> [String] {
        stage.deps.filter { FS.lstat(repo.absolute($0)) == nil }
    }

    func params(_ stage: Stage) throws -> [String: JSON] {
        var docs: [String: JSON] = [:]
        var out: [String: JSON] = [:]
        for p in stage.params {
            if docs[p.file] == nil {
                let abs = repo.absolute(p.file)
                guard FS.exists(abs) else {
                    throw MLOpsError("stage '\(stage.name)': params file \(p.file) does not exist",
                                     hint: "create it with the key \(p.key.isEmpty ? "" : "`\(p.key)` ")or remove `\(p.name)` from the stage's params in \(Pipeline.fileName)")
                }
                docs[p.file] = try Values.parseDocument(try Values.readDocument(root: repo.root, path: p.file), path: p.file)
            }
            guard let v = Values.lookup(docs[p.file]!, p.key) else {
                throw MLOpsError("stage '\(stage.name)': \(p.file) has no key '\(p.key)'",
                                 hint: "add it to \(p.file), or remove `\(p.name)` from the stage's params in \(Pipeline.fileName)")
            }
            out[p.name] = v
        }
        return out
    }

    /// Hashes the stage's deps and reads its params. Every dep must exist.
    func inputs(_ stage: Stage) throws -> StageInputs {
        if let m = missingDeps(stage).first {
            let maker = pipeline.producer(of: m).map { "run stage '\($0.name)', which writes it" }
            throw MLOpsError("stage '\(stage.name)': dependency \(m) does not exist",
                             hint: maker ?? "create it, or restore it with `git mlops checkout \(m)`")
        }
        var code: [CodeDep] = []
        var inputs: [Artifact] = []
        var keyDeps: [String: String] = [:]
        let data = stage.deps.filter(isData)
        let states = try repo.hash(data)
        for d in stage.deps {
            if data.contains(d) {
                guard let st = states[d] ?? nil else { throw MLOpsError("stage '\(stage.name)': dependency \(d) does not exist", hint: "create it") }
                inputs.append(Artifact(path: d, oid: st.id, size: st.size, type: st.isDirectory ? "dir" : "file", files: st.files))
                keyDeps[d] = "sha256:" + st.id.hex
            } else {
                let abs = repo.absolute(d)
                let dep: CodeDep
                if FS.stat(abs)?.isDirectory == true {
                    let (digest, n) = try CodeHasher.directory(repo, d)
                    dep = CodeDep(path: d, digest: digest, files: n)
                } else {
                    dep = CodeDep(path: d, blob: try CodeHasher.blob(abs))
                }
                code.append(dep)
                keyDeps[d] = dep.keyValue
            }
        }
        let params = try params(stage)
        let key = RunRecord.cacheKey(cmd: stage.cmd, wdir: stage.wdir, deps: keyDeps, params: params,
                                     outs: stage.outs, metrics: stage.metrics)
        return StageInputs(codeDeps: code, inputs: inputs, params: params, key: key)
    }

    /// The stage's outputs as they are now (nil entries for absent ones).
    func outputs(_ stage: Stage) throws -> (outs: [String: Artifact?], metrics: [String: Artifact?]) {
        var outs: [String: Artifact?] = [:]
        for (p, st) in try repo.hash(stage.outs) {
            outs[p] = st.map { Artifact(path: p, oid: $0.id, size: $0.size, type: $0.isDirectory ? "dir" : "file", files: $0.files) }
        }
        var metrics: [String: Artifact?] = [:]
        for m in stage.metrics {
            let abs = repo.absolute(m)
            if FS.stat(abs)?.isRegular == true, let b = try? FS.readFile(abs) {
                metrics[m] = Artifact(path: m, oid: ObjectID.hashing(b), size: Int64(b.count), type: "file",
                                      blob: GitRepository.blobID(b).hex)
            } else {
                metrics[m] = .some(nil)
            }
        }
        return (outs, metrics)
    }

    /// Whether `current` (from `outputs`) is exactly what `record` wrote.
    static func outputsMatch(_ stage: Stage, _ current: (outs: [String: Artifact?], metrics: [String: Artifact?]), _ record: RunRecord) -> Bool {
        let recOuts = Dictionary(record.outputs.map { ($0.path, $0.oid) }, uniquingKeysWith: { a, _ in a })
        let recMetrics = Dictionary(record.metricFiles.map { ($0.path, $0.oid) }, uniquingKeysWith: { a, _ in a })
        for o in stage.outs {
            guard let cur = current.outs[o] ?? nil, let want = recOuts[o] ?? nil, cur.oid == want else { return false }
        }
        for m in stage.metrics {
            guard let cur = current.metrics[m] ?? nil, let want = recMetrics[m] ?? nil, cur.oid == want else { return false }
        }
        return true
    }

    /// Parsed metrics files of the stage.
    func metricValues(_ stage: Stage) throws -> [String: JSON] {
        var out: [String: JSON] = [:]
        for m in stage.metrics {
            let abs = repo.absolute(m)
            guard FS.exists(abs) else { continue }
            out[m] = try Values.parseDocument(try Values.readDocument(root: repo.root, path: m), path: m)
        }
        return out
    }
}
