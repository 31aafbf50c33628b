import GitBridge
import MLOpsBasics

/// Objects that a layer above Workspace keeps alive, such as Lineage's run records. Workspace knows
/// where pointers are; where others keep the ids they need is theirs to say. gc, fsck, repair and
/// remote gc keep everything `liveRoots` names; push and fetch also move what `roots(onCommits:)`
/// names for the commits they move. Commands pass the providers (`keeping:`), so no layer reaches up.
public protocol RootsProvider: Sendable {
    /// Every object id this provider needs kept, in any commit or not yet committed.
    func liveRoots(in repo: Repo) throws -> Set<ObjectID>
    /// The ids its records of these commits name.
    func roots(in repo: Repo, onCommits commits: [GitOID]) throws -> Set<ObjectID>
}
