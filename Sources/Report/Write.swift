import Foundation
import MLOpsBasics
import Workspace

/// Where a report goes, and writing it there all at once: the pages go into a temporary directory
/// beside the destination, which then takes the destination's place (exchanged in one step where the
/// system can, else two renames), so a reader sees the old report or the new one, never half of one.
/// A report directory lists what it wrote in `.git-mlops-report`; a directory holding anything else is
/// never replaced, and nothing but what a report wrote is ever removed.
public enum ReportWriter {
    public static let marker = ".git-mlops-report"
    static let markerHeader = "git-mlops report 1"
    public static let defaultName = "mlops-report"

    /// The absolute destination for `-o` (default: `mlops-report` at the repository root), after the
    /// checks that keep a report from replacing what it must not: a symlink, a path git tracks (or a
    /// directory holding one), the repository itself, `.git`, or a directory a report did not write.
    public static func destination(_ output: String?, repo: Repo, cwd: String) throws -> String {
        let given = output ?? defaultName
        let base = output == nil ? repo.root : cwd
        let abs = normalize(given.hasPrefix("/") ? given : base + "/" + given)
        let name = basename(abs)
        guard abs != "/", !name.isEmpty, name != ".", name != ".." else {
            throw MLOpsError("\(given) cannot hold a report", hint: "name a directory for it, e.g. `-o \(defaultName)`")
        }
        func insideGit(_ dir: String) -> Bool {
            dir == repo.root + "/.git" || dir.hasPrefix(repo.root + "/.git/") || dir == repo.git.commonDir || dir.hasPrefix(repo.git.commonDir + "/")
        }
        if insideGit(abs) {
            throw MLOpsError("\(given) is inside .git", hint: "write the report into the working tree or elsewhere")
        }
        // Inside the working tree, no directory on the way may be a symlink (a clone could plant one).
        let lexicalParent = dirname(abs)
        if abs.hasPrefix(repo.root + "/") {
            try repo.ensureSafeParents(of: String(abs.dropFirst(repo.root.count + 1)), create: true)
        } else {
            try FS.mkdirs(lexicalParent)
        }
        guard let parent = FS.realpath(lexicalParent) else {
            throw MLOpsError("cannot reach \(lexicalParent)", hint: "check the path given to -o")
        }
        let dir = parent + "/" + name
        if repo.root == dir || repo.root.hasPrefix(dir + "/") {
            throw MLOpsError("\(given) holds the repository; a report replaces its directory", hint: "name a new directory, e.g. `-o \(defaultName)`")
        }
        if insideGit(dir) {
            throw MLOpsError("\(given) is inside .git", hint: "write the report into the working tree or elsewhere")
        }
        if dir.hasPrefix(repo.root + "/") {
            let rel = String(dir.dropFirst(repo.root.count + 1))
            let tracked = try repo.git.indexFiles(endingWith: "").first { $0.path == rel || $0.path.hasPrefix(rel + "/") }
            if let t = tracked {
                throw MLOpsError("\(given) is tracked by git (\(t.path)); a report replaces its whole directory",
                                 hint: "choose another directory with -o, or `git rm -r --cached \(rel)` first")
            }
        }
        if let st = FS.lstat(dir) {
            if st.isSymlink {
                throw MLOpsError("\(given) is a symlink; git mlops report never writes through symlinks", hint: "remove the link or choose another directory with -o")
            }
            guard st.isDirectory else {
                throw MLOpsError("\(given) exists and is not a directory", hint: "move it away or choose another directory with -o")
            }
            if let stranger = try strangers(in: dir).first {
                throw MLOpsError("\(given) holds \(stranger), which git mlops report did not write",
                                 hint: "move it away, or choose another directory with -o")
            }
        }
        return dir
    }

    /// Entries of `dir` that its report marker does not list (everything, without a marker).
    static func strangers(in dir: String) throws -> [String] {
        let names = try FS.listDirectory(dir).map(\.name).sorted()
        let listed = written(by: dir)
        return names.filter { $0 != marker && !listed.contains($0) }
    }

    /// The files a report directory says it wrote.
    static func written(by dir: String) -> Set<String> {
        guard let st = FS.lstat(dir + "/" + marker), st.isRegular, st.size < 1 << 20,
              let text = try? FS.readText(dir + "/" + marker) else { return [] }
        let lines = text.split(separator: "\n").map(String.init)
        guard lines.first == markerHeader else { return [] }
        return Set(lines.dropFirst().filter { !$0.contains("/") && $0 != "." && $0 != ".." && !$0.isEmpty })
    }

    /// Writes the pages into `dir` (checked by `destination`), replacing the report there.
    public static func write(_ pages: [ReportSite.Page], to dir: String) throws {
        let parent = dirname(dir), name = basename(dir)
        removeLeftovers(parent: parent, name: name)
        let tmp = parent + "/." + name + ".tmp-" + UUID().uuidString.prefix(8).lowercased()
        guard mkdir(tmp, 0o755) == 0 else { throw SystemError("mkdir", tmp, errno: errno) }
        do {
            // The list first: a temporary directory left by a crash can then be cleaned up safely.
            try FS.writeAtomic(tmp + "/" + marker, ([markerHeader] + pages.map(\.name).sorted()).joined(separator: "\n") + "\n")
            for p in pages { try FS.writeAtomic(tmp + "/" + p.name, p.html) }
            FS.syncDirectory(tmp)
            if FS.lstat(dir) == nil {
                try FS.rename(tmp, dir)
            } else if exchange(tmp, dir) {
                removeReport(tmp)
            } else {
                let old = parent + "/." + name + ".old-" + UUID().uuidString.prefix(8).lowercased()
                try FS.rename(dir, old)
                try FS.rename(tmp, dir)
                removeReport(old)
            }
            FS.syncDirectory(parent)
        } catch {
            removeReport(tmp)
            throw error
        }
    }

    /// Removes what a report directory says it wrote, then the directory if that emptied it.
    static func removeReport(_ dir: String) {
        for n in written(by: dir) { try? FS.remove(dir + "/" + n) }
        try? FS.remove(dir + "/" + marker)
        rmdir(dir)
    }

    /// Temporary directories of an earlier report that was interrupted.
    static func removeLeftovers(parent: String, name: String) {
        for e in (try? FS.listDirectory(parent)) ?? [] where e.kind == .directory
            && (e.name.hasPrefix("." + name + ".tmp-") || e.name.hasPrefix("." + name + ".old-")) {
            removeReport(parent + "/" + e.name)
        }
    }

    private typealias RenameAt2 = @convention(c) (Int32, UnsafePointer<CChar>?, Int32, UnsafePointer<CChar>?, UInt32) -> Int32

    /// Linux's renameat2 with RENAME_EXCHANGE, looked up at run time (Swift's Glibc does not declare it).
    private static let renameat2: RenameAt2? = {
        #if os(Linux)
        return dlsym(dlopen(nil, RTLD_NOW), "renameat2").map { unsafeBitCast($0, to: RenameAt2.self) }
        #else
        return nil
        #endif
    }()

    /// Swaps two directories in one step; false where the system or the file system cannot.
    static func exchange(_ a: String, _ b: String) -> Bool {
        guard let f = renameat2 else { return false }
        return f(AT_FDCWD, a, AT_FDCWD, b, 2 /* RENAME_EXCHANGE */) == 0
    }

    /// `a/./b/../c` -> `a/c`, lexically.
    static func normalize(_ path: String) -> String {
        var parts: [Substring] = []
        for c in path.split(separator: "/") {
            if c == "." { continue }
            if c == ".." { if !parts.isEmpty { parts.removeLast() }; continue }
            parts.append(c)
        }
        return "/" + parts.joined(separator: "/")
    }
}

/// Builds the report of a repository: the one call `git mlops report` makes.
public enum ReportBuilder {
    public struct Result: Sendable {
        /// The absolute path of the report's index.html.
        public var index: String
        public var warnings: [String]
    }

    public static func build(repo: Repo, output: String?, cwd: String = FS.currentDirectory,
                             options: ReportOptions = ReportOptions(), sources: ReportSources = ReportSources()) throws -> Result {
        let dir = try ReportWriter.destination(output, repo: repo, cwd: cwd)
        let model = try ReportCollector.collect(repo: repo, options: options, sources: sources)
        try ReportWriter.write(ReportSite.render(model), to: dir)
        return Result(index: dir + "/index.html", warnings: model.warnings)
    }
}
