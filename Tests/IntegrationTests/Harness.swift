import Foundation
import MLOpsBasics
@_exported import TestSupport
import Testing

/// A sealed sandbox for end-to-end tests: temporary HOME, no system or user git config, C locale,
/// and the built `git-mlops` first on PATH, so `git mlops ...` runs the binary under test.
final class Sandbox: @unchecked Sendable {
    let root: String
    let home: String
    var env: [String: String]

    /// The directory holding the built `git-mlops` (beside the test bundle), or `GIT_MLOPS_BIN`'s.
    static let binDir: String = {
        if let b = ProcessInfo.processInfo.environment["GIT_MLOPS_BIN"] { return dirname(b) }
        var dir = dirname(FS.realpath("/proc/self/exe") ?? CommandLine.arguments[0])
        while !dir.isEmpty && dir != "/" {
            if FS.exists(dir + "/git-mlops") { return dir }
            dir = dirname(dir)
        }
        return ".build/debug"
    }()

    init() throws {
        root = (FS.realpath(NSTemporaryDirectory()) ?? "/tmp") + "/mlops-e2e-" + UUID().uuidString.prefix(8)
        home = root + "/home"
        try FS.mkdirs(home)
        let inherited = ProcessInfo.processInfo.environment
        // python3 (with numpy) comes from wherever the caller's PATH finds it.
        let pythonDir = (try? ProcessRunner.resolve("python3")).map(dirname) ?? "/usr/bin"
        env = [
            "HOME": home,
            "PATH": "\(Sandbox.binDir):\(pythonDir):/usr/local/bin:/usr/bin:/bin",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": home + "/.gitconfig",
            "LC_ALL": "C",
            "NO_COLOR": "1",
            "TMPDIR": root,
            "GIT_MLOPS_THREADS": "2",
        ]
        for k in ["PYENV_ROOT", "PYENV_VERSION", "GIT_MLOPS_TEST_S3_ENDPOINT", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"] {
            if let v = inherited[k] { env[k] = v }
        }
        try FS.writeAtomic(home + "/.gitconfig", """
            [user]
            \tname = Test User
            \temail = test@example.com
            [init]
            \tdefaultBranch = main
            [advice]
            \tdetachedHead = false

            """, durable: false)
    }

    deinit { try? FS.removeTree(root) }

    struct Result: CustomStringConvertible {
        var status: Int32
        var stdout: String
        var stderr: String
        var description: String { "exit \(status)\n--- stdout\n\(stdout)--- stderr\n\(stderr)" }
    }

    @discardableResult
    func run(_ argv: [String], in dir: String? = nil, env extra: [String: String] = [:], stdin: String? = nil) throws -> Result {
        var e = env
        for (k, v) in extra { e[k] = v }
        let out = try ProcessRunner.capture(argv, cwd: dir ?? root, env: e, stdin: stdin)
        return Result(status: out.status, stdout: out.stdout, stderr: out.stderr)
    }

    /// Runs and expects exit 0, recording the whole output otherwise.
    @discardableResult
    func ok(_ argv: [String], in dir: String? = nil, env extra: [String: String] = [:],
            sourceLocation: SourceLocation = #_sourceLocation) throws -> Result {
        let r = try run(argv, in: dir, env: extra)
        #expect(r.status == 0, "\(argv.joined(separator: " ")) failed: \(r)", sourceLocation: sourceLocation)
        return r
    }

    /// Runs and expects a failure, returning it.
    @discardableResult
    func fails(_ argv: [String], in dir: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws -> Result {
        let r = try run(argv, in: dir)
        #expect(r.status != 0, "\(argv.joined(separator: " ")) should have failed: \(r)", sourceLocation: sourceLocation)
        return r
    }

    /// A new repository with git-mlops set up and one empty commit.
    func makeRepo(_ name: String = "repo") throws -> String {
        let dir = root + "/" + name
        try FS.mkdirs(dir)
        try ok(["git", "init", "-q"], in: dir)
        try ok(["git", "mlops", "init"], in: dir)
        try ok(["git", "add", ".gitmlops"], in: dir)
        try ok(["git", "commit", "-qm", "init"], in: dir)
        return dir
    }

    func write(_ path: String, _ bytes: [UInt8]) throws {
        try FS.mkdirs(dirname(path))
        try FS.writeAtomic(path, bytes, durable: false)
    }

    func write(_ path: String, _ text: String) throws { try write(path, Array(text.utf8)) }

    func read(_ path: String) throws -> [UInt8] { try FS.readFile(path) }

    /// sha256 and relative path of every file under `dir`, sorted: a whole-tree fingerprint.
    func fingerprint(_ dir: String, skipping: Set<String> = [".git"]) throws -> [String] {
        var out: [String] = []
        func walk(_ rel: String) throws {
            let abs = rel.isEmpty ? dir : dir + "/" + rel
            for e in try FS.listDirectory(abs) where !skipping.contains(e.name) {
                let r = rel.isEmpty ? e.name : rel + "/" + e.name
                if e.kind == .directory { try walk(r) } else {
                    out.append("\(ObjectID.hashing(try FS.readFile(dir + "/" + r)).hex)  \(r)")
                }
            }
        }
        try walk("")
        return out.sorted()
    }
}

