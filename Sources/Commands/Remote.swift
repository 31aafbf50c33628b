import ArgumentParser
import MLOpsBasics
import Workspace

struct Remote: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remote",
        abstract: "Manage data remotes: directories or S3-compatible object storage.",
        subcommands: [AddRemote.self, ListRemotes.self, RemoveRemote.self, TrustRemote.self])

    struct AddRemote: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add",
            abstract: "Add a data remote (settings go to .gitmlops; credentials never do).",
            discussion: """
                URL is a directory path, file:///path, or s3://BUCKET/PREFIX. S3 credentials come from \
                AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN or a profile in ~/.aws/credentials (AWS_PROFILE). \
                An --endpoint given here is recorded as trusted with those credentials (see `git mlops remote trust`). \
                Clones see the remote once .gitmlops is committed.
                """)
        @Argument(help: "Remote name.") var name: String
        @Argument(help: "Directory path, file:// URL or s3://BUCKET/PREFIX.") var url: String
        @Flag(help: "Make it the default data remote.") var `default` = false
        @Option(help: "S3 endpoint for non-AWS stores, e.g. http://127.0.0.1:8333 (path-style requests).") var endpoint: String?
        @Option(help: "S3 region (default us-east-1).") var region: String?
        @Flag(help: "Write to .git/config instead of .gitmlops (a path only valid on this machine).") var local = false

        func run() throws {
            let repo = try Repo.open()
            let trusted = try repo.addRemote(name: name, url: url, endpoint: endpoint, region: region, makeDefault: `default`, local: local)
            var out = ["added remote \(name) (\(url))\(repo.defaultRemoteName == name ? ", the default" : "")"]
            if let t = trusted { out.append("trusted endpoint \(t.origin) with your AWS credentials (in \(t.file))") }
            if !local {
                out.append("hint: commit \(Repo.configFileName) so that clones see the remote (`git add \(Repo.configFileName) && git commit`)")
            }
            emitText(lines(out))
        }
    }

    struct ListRemotes: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List data remotes.")
        @OptionGroup var output: JSONOption
        func run() throws {
            let repo = try Repo.open()
            output.emit(RemoteListing(try repo.remotes(), defaultName: repo.defaultRemoteName)) { l in
                lines(l.remotes.map { r in
                    var extra = ""
                    if let e = r.endpoint { extra += " endpoint=\(e)" }
                    if let g = r.region { extra += " region=\(g)" }
                    return "\(r.name == l.defaultName ? "*" : " ") \(r.name)\t\(r.url)\(extra)"
                })
            }
        }
    }

    struct TrustRemote: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "trust",
            abstract: "Trust a remote's S3 endpoint with your AWS credentials.",
            discussion: """
                The endpoint of an S3 remote usually comes from the committed .gitmlops, so git-mlops signs requests \
                only for AWS itself, endpoints in your own .git/config, AWS_ENDPOINT_URL(_S3), and endpoints you trusted. \
                This records the remote's endpoint (scheme, host and port) as mlops.trustedEndpoint in your global git config.
                """)
        @Argument(help: "Remote name.") var name: String
        @Flag(help: "Trust it for this repository only (.git/config).") var local = false
        func run() throws {
            let t = try Repo.open().trustRemote(name, global: !local)
            emitText("trusted endpoint \(t.origin) of remote \(name) with your AWS credentials (in \(t.file))")
        }
    }

    struct RemoveRemote: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove a data remote (its data stays where it is).")
        @Argument(help: "Remote name.") var name: String
        func run() throws {
            try Repo.open().removeRemote(name)
            emitText("removed remote \(name)")
        }
    }
}
