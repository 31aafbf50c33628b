import ArgumentParser
import MLOpsBasics
import Transfer
import Workspace

struct Remote: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage data remotes: directories or S3-compatible object storage.",
        subcommands: [AddRemote.self, ListRemotes.self, RemoveRemote.self, TrustRemote.self])

    struct AddRemote: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add",
            abstract: "Add a data remote (settings go to .gitmlops; credentials never do).",
            discussion: """
                URL is a directory path, file:///path, or s3://BUCKET/PREFIX. S3 credentials come from \
                AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN or a profile in ~/.aws/credentials (AWS_PROFILE). \
                An --endpoint given here is recorded as trusted with those credentials (see `git mlops remote trust`).
                """)
        @Argument(help: "Remote name.") var name: String
        @Argument(help: "Directory path, file:// URL or s3://BUCKET/PREFIX.") var url: String
        @Flag(help: "Make it the default data remote.") var `default` = false
        @Option(help: "S3 endpoint for non-AWS stores, e.g. http://127.0.0.1:8333 (path-style requests).") var endpoint: String?
        @Option(help: "S3 region (default us-east-1).") var region: String?
        @Flag(help: "Write to .git/config instead of .gitmlops (a path only valid on this machine).") var local = false

        func run() throws {
            let repo = try Repo.open()
            let trusted = try repo.addRemote(RemoteSpec(name: name, url: url, endpoint: endpoint, region: region), makeDefault: `default`, local: local)
            let isDefault = repo.defaultRemoteName == name
            print("added remote \(name) (\(url))\(isDefault ? ", the default" : "")")
            if let t = trusted { print("trusted endpoint \(t.origin) with your AWS credentials (in \(t.file))") }
        }
    }

    struct ListRemotes: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List data remotes.")
        @OptionGroup var output: JSONOption
        func run() throws {
            let repo = try Repo.open()
            let d = repo.defaultRemoteName
            if output.json {
                printJSON(.array(try repo.remotes().map { r in
                    ["name": .string(r.name), "url": .string(r.url), "endpoint": JSON(r.endpoint), "region": JSON(r.region),
                     "default": .bool(r.name == d)]
                }))
                return
            }
            for r in try repo.remotes() {
                var extra = ""
                if let e = r.endpoint { extra += " endpoint=\(e)" }
                if let g = r.region { extra += " region=\(g)" }
                print("\(r.name == d ? "*" : " ") \(r.name)\t\(r.url)\(extra)")
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
            print("trusted endpoint \(t.origin) of remote \(name) with your AWS credentials (in \(t.file))")
        }
    }

    struct RemoveRemote: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove a data remote (its data stays where it is).")
        @Argument(help: "Remote name.") var name: String
        func run() throws {
            try Repo.open().removeRemote(name)
            print("removed remote \(name)")
        }
    }
}
