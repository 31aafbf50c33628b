import ArgumentParser
import Catalog
import MLOpsBasics

struct ModelRegister: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "register",
        abstract: "Register a model version: an annotated tag NAME@vX.Y.Z on a commit (default HEAD).",
        discussion: """
            Without --version or --bump the latest version's patch is bumped (v0.0.1 for the first). \
            With --path, the model's path and type are declared in artifacts.yaml (where GTO reads them) \
            when the commit does not declare them yet: a commit on HEAD holding only that change.
            """)

    @Argument(help: "Model name (letters, digits, '-', '_', '/').") var name: String
    @Argument(help: "The commit holding the weights (default HEAD).") var rev: String?
    @Option(help: "The version, vX.Y.Z (semver).") var version: String?
    @Option(help: "Bump the latest version: major, minor or patch.") var bump: SemVer.Part?
    @Option(help: "Where the weights are, relative to the repository root (a path git-mlops or git tracks).") var path: String?
    @Option(help: "The artifact type recorded with --path.") var type = "model"
    @Option(name: .shortAndLong, help: "Tag message.") var message: String?
    @Flag(help: "Sign the tag (git's signing: gpg.format, user.signingkey).") var sign = false

    func validate() throws {
        if version != nil && bump != nil { throw ValidationError("give either --version or --bump, not both") }
    }

    func run() throws {
        let registry = try ModelRegistry()
        let v = try version.map(CatalogNames.version)
        let r = try registry.register(name, version: v, bump: bump, path: path, type: type, rev: rev, message: message, sign: sign)
        emitText(lines((r.annotation.map { ["declared \(name) in artifacts.yaml: commit \($0.short)"] } ?? [])
            + ["registered \(name) \(r.version) at \(r.commit.short) (tag \(r.tag))", "hint: share it with `git push origin \(r.tag)`"]))
    }
}

extension SemVer.Part: ExpressibleByArgument {}
