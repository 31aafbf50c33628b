import MLOpsBasics
import Testing

/// The one check every path from outside passes before git-mlops writes there (git's `verify_path`).
@Suite struct RepoPathTypeTests {
    @Test(arguments: [
        "a", "a/b/c.bin", "...", "a/..b", "..a", ".hidden/x", "a b/c d", ".gitignore", "sub/.gitmodules", ".gitx",
        ".git-foo", "x.git", "gitk", "git~2", "git~10", "g/.gi", "x.mlops", "x.mlops-tmpx", "é/ü/日本", "a\\b", "%0A",
        ".git\u{00A0}",
    ])
    func safePathsAreKept(_ p: String) throws {
        #expect(RepoPath.problem(p) == nil, "\(p)")
        #expect(try RepoPath(p).string == p)
    }

    @Test(arguments: [
        ("", "empty"), ("/etc/passwd", "absolute"), ("a//b", "an empty component"), ("a/", "an empty component"),
        ("./a", "a `.` component"), ("a/.", "a `.` component"), ("..", "a `..` component"), ("a/../../b", "a `..` component"),
        (".git", "a `.git` component"), ("a/.git/config", "a `.git` component"), (".GIT/hooks/x", "a `.git` component"),
        ("x/.GiT", "a `.git` component"),
        // NTFS: trailing dots and spaces are dropped, `git~1` is the short name, `:` starts a stream name.
        (".git ", "a `.git` component"), (".git.", "a `.git` component"), (".git. . ./x", "a `.git` component"),
        ("git~1/config", "a `.git` component"), ("GIT~1", "a `.git` component"), (".git::$INDEX_ALLOCATION/x", "a `.git` component"),
        ("a\\.git\\config", "a `.git` component"),
        // HFS+: ignorable code points vanish from names.
        ("\u{200C}.git/config", "a `.git` component"), (".g\u{200D}it", "a `.git` component"), (".gi\u{206F}t/x", "a `.git` component"),
        (".git\u{FEFF}", "a `.git` component"), (".G\u{202E}IT", "a `.git` component"),
        ("a\nb", "a newline"), ("a\rb", "a carriage return"), ("a\0b", "a NUL byte"),
        (".x.mlops-tmp", "a name git-mlops uses for its temporary files"), ("d/x.mlops-tmp/y", "a name git-mlops uses for its temporary files"),
    ])
    func unsafePathsSayWhy(_ p: String, _ why: String) {
        #expect(RepoPath.problem(p) == why, "\(p)")
        #expect(performing: { _ = try RepoPath(p) }, throws: { "\($0)".contains(why) && !"\($0)".contains("\n") })
    }

    @Test func partsAndJoins() throws {
        let p = try RepoPath("data/images/a.png")
        #expect(p.name == "a.png")
        #expect(p.parent == (try RepoPath("data/images")))
        #expect(try RepoPath("data").parent == nil)
        let d = try RepoPath("data")
        #expect(d.appending(try RepoPath("images/a.png")) == p)
        #expect(p.relative(to: d) == (try RepoPath("images/a.png")))
        #expect(d.contains(p) && !p.contains(d) && !d.contains(d))
        let dat = try RepoPath("dat"), a = try RepoPath("data/images/a")
        #expect(!dat.contains(p) && !a.contains(p))
        #expect(RepoPath.nameProblem("a/b") == "contains a slash")
    }

    /// Two spellings Swift's String calls equal are two different files on disk.
    @Test func equalityIsByBytes() throws {
        let composed = try RepoPath("caf\u{E9}"), decomposed = try RepoPath("cafe\u{301}")
        #expect(composed != decomposed)
        #expect(Set([composed, decomposed]).count == 2)
    }

    @Test func messagesStayOnOneLine() {
        #expect(displayPath("a\nb\r\0c\u{7}") == "a\\nb\\r\\0c\\x7")
        #expect(displayPath("plain/path") == "plain/path")
    }
}
