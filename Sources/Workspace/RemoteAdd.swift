import Transfer

extension Repo {
    /// `remote add` from its parts, so that commands need not know Transfer's `RemoteSpec`.
    @discardableResult
    public func addRemote(name: String, url: String, endpoint: String?, region: String?, makeDefault: Bool, local: Bool) throws -> TrustedEndpoint? {
        try addRemote(RemoteSpec(name: name, url: url, endpoint: endpoint, region: region), makeDefault: makeDefault, local: local)
    }
}
