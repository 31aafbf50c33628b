import Foundation
import MLOpsBasics
import Transfer

/// An S3 endpoint recorded as trusted, and where.
public struct TrustedEndpoint: Sendable, Equatable {
    /// `scheme://host:port`.
    public var origin: String
    /// `~/.gitconfig` (or whatever `git config --global` writes) or `.git/config`.
    public var file: String
}

/// Which servers may receive the user's AWS credentials.
///
/// The endpoint of an S3 remote usually comes from the committed `.gitmlops`, so a repository could
/// make its users sign requests with their own keys for a host of its choosing. Requests are signed
/// only for: AWS itself (no endpoint; the region and bucket are checked, so the host stays
/// `*.amazonaws.com`); an endpoint set in the user's own `.git/config` (`mlops.remote.NAME.endpoint`,
/// as `remote add --local` writes it); `AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL`; or an origin listed
/// in `mlops.trustedEndpoint` of the user's git config, which `remote add --endpoint` and
/// `remote trust NAME` record. Endpoints compare by scheme, host and port.
extension Repo {
    static let trustKey = "mlops.trustedEndpoint"

    /// Throws, before anything is sent, when `spec`'s endpoint is not one the user trusts.
    func checkEndpointTrust(_ spec: RemoteSpec) throws {
        guard spec.isS3, let endpoint = spec.endpoint, !endpoint.isEmpty else { return }
        if config.isLocal("remote.\(spec.name).endpoint") { return }
        guard let origin = RemoteSpec.origin(ofEndpoint: endpoint) else { return }  // checkSettings refuses it
        for key in ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"] {
            if let v = environment[key], RemoteSpec.origin(ofEndpoint: v) == origin { return }
        }
        if try trustedOrigins().contains(origin) { return }
        throw MLOpsError.malformed(".gitmlops", "remote '\(spec.name)' would send your AWS credentials to \(endpoint), an endpoint the repository chose and you have not trusted",
                                  fix: "if you trust that server, run `git mlops remote trust \(spec.name)`; nothing was sent")
    }

    /// Origins listed in `mlops.trustedEndpoint` of the user's git config (system, global, local).
    func trustedOrigins() throws -> Set<String> {
        let r = try gitCommand.output(["config", "--get-all", Repo.trustKey])
        return Set(r.stdout.split(separator: "\n").compactMap { RemoteSpec.origin(ofEndpoint: String($0)) })
    }

    /// Records remote `name`'s endpoint as trusted: for every repository of this user (`global`), or
    /// for this one (`.git/config`).
    public func trustRemote(_ name: String, global: Bool) throws -> TrustedEndpoint {
        let spec = try remote(name)
        try checkSettings(of: spec)
        guard spec.isS3 else {
            throw MLOpsError("remote '\(name)' is a directory, not S3", hint: "only S3 endpoints receive credentials; nothing to trust")
        }
        guard let endpoint = spec.endpoint, !endpoint.isEmpty else {
            throw MLOpsError("remote '\(name)' has no endpoint: its requests go to AWS itself", hint: "nothing to trust")
        }
        return try trustEndpoint(endpoint, global: global)
    }

    /// Adds `endpoint`'s origin to `mlops.trustedEndpoint` unless it is there already.
    func trustEndpoint(_ endpoint: String, global: Bool) throws -> TrustedEndpoint {
        guard let origin = RemoteSpec.origin(ofEndpoint: endpoint) else {
            throw MLOpsError("'\(endpoint)' is not a usable S3 endpoint", hint: "write it as http://HOST:PORT or https://HOST")
        }
        let scope = global ? "--global" : "--local"
        let file = global ? "your global git config" : ".git/config"
        let listed = try gitCommand.output(["config", scope, "--get-all", Repo.trustKey])
        if listed.stdout.split(separator: "\n").contains(where: { RemoteSpec.origin(ofEndpoint: String($0)) == origin }) {
            return TrustedEndpoint(origin: origin, file: file)
        }
        try gitCommand.run(["config", scope, "--add", Repo.trustKey, origin],
                           hint: global ? "fix your global git config, or trust it for this repository only with `git mlops remote trust NAME --local`" : "check .git/config")
        return TrustedEndpoint(origin: origin, file: file)
    }
}
