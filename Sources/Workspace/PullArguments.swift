import MLOpsBasics

extension Repo {
    /// `pull [REMOTE] [PATH...]`: a first argument that names a configured remote is the remote (unless
    /// `--remote` named one); everything else is a path.
    public func remoteAndPaths(_ arguments: [String], remote: String?) throws -> (remote: String?, paths: [String]) {
        guard remote == nil, let first = arguments.first, try remotes().contains(where: { $0.name == first }) else {
            return (remote, arguments)
        }
        return (first, Array(arguments.dropFirst()))
    }
}
