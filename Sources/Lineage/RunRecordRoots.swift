import GitBridge
import MLOpsBasics
import Workspace

/// The objects run records name, for Workspace's gc, fsck, repair and remote gc (which keep them)
/// and push and fetch (which move those of the commits they move). Records live in notes on
/// `refs/notes/mlops` and, until a commit holds what ran, in `.git/mlops/runs/`; commands hand this
/// provider to Workspace (`keeping:`), which does not know where Lineage keeps anything.
public struct RunRecordRoots: RootsProvider {
    public init() {}

    /// Every id any note or pending record names.
    public func liveRoots(in repo: Repo) throws -> Set<ObjectID> {
        var roots = Set<ObjectID>()
        for (_, text) in try repo.git.notes(ref: Journal.ref) { roots.formUnion(RunRecordRoots.objectIDs(in: text)) }
        let runs = Journal.runsDirectory(of: repo)
        if FS.isDirectory(runs) {
            for e in try FileWalk.files(under: runs) {
                if let text = try? FS.readText(e.absPath) { roots.formUnion(RunRecordRoots.objectIDs(in: text)) }
            }
        }
        return roots
    }

    /// The ids the notes of these commits name.
    public func roots(in repo: Repo, onCommits commits: [GitOID]) throws -> Set<ObjectID> {
        var ids = Set<ObjectID>()
        for c in commits {
            if let note = repo.git.note(ref: Journal.ref, on: c) { ids.formUnion(RunRecordRoots.objectIDs(in: note)) }
        }
        return ids
    }

    /// Every object id mentioned in a text (`sha256:<hex>`): records name data that way, whatever
    /// field holds it, so records of newer versions keep their objects too.
    static func objectIDs(in text: String) -> [ObjectID] {
        var out: [ObjectID] = []
        var rest = Substring(text)
        while let r = rest.range(of: "sha256:") {
            let after = rest[r.upperBound...]
            if let id = ObjectID(hex: after.prefix(64)) { out.append(id) }
            rest = after
        }
        return out
    }
}
