import Foundation
import MLOpsBasics
import ParserSeeds
import Profiling
import Store
import Testing
import TestSupport
@testable import Workspace

/// Pointers and `.gitmlops` fed random and mutated inputs (issue 9): they parse or throw, never trap.
@Suite struct WorkspaceParserPropertyTests {
    @Test func pointerDecoderNeverTrapsAndRoundTrips() {
        let r = mutationRun(seeds: ParserSeeds.pointers, iterations: 10_000, seed: 21) { input in
            guard let p = try? Pointer.decode(String(decoding: input, as: UTF8.self), path: "x.mlops") else { return false }
            #expect(p.size >= 0 && (p.files ?? 0) >= 0)
            #expect((try? Pointer.decode(p.encode(), path: "x.mlops")) == p)
            return true
        }
        #expect(r.accepted > 100 && r.rejected > 100, "\(r)")
    }

    /// Profile objects come from remotes: mutated ones (their check line recomputed, their key the one
    /// their data line claims, so that mutations reach the JSON behind) decode or throw, never trap;
    /// what decodes is canonical, and comparing or merging it never traps either.
    @Test func profileObjectDecoderNeverTraps() {
        let r = mutationRun(seeds: ParserSeeds.profiles, iterations: 3_000, seed: 23) { input in
            var body = input
            if let last = input.dropLast().lastIndex(of: 0x0a), input.count - last - 1 == 71 { body = Array(input[...last]) }
            let bytes = body + Array("check \(ObjectID.hashing(body).hex)\n".utf8)
            let lines = body.split(separator: 0x0a, maxSplits: 2, omittingEmptySubsequences: false)
            let data = lines.count > 1 ? ObjectID(hex: String(decoding: lines[1].dropFirst(5), as: UTF8.self)) : nil
            guard let object = try? ProfileObject.decode(bytes, key: ProfileObject.key(for: data ?? .hashing("x"))),
                  let profile = try? Profile.decode(object.json) else { return false }
            #expect(profile.encoded == object.json)
            _ = Drift.compare(baseline: profile, current: profile)
            #expect(Profile.merge([profile, profile]) != nil)
            return true
        }
        #expect(r.accepted > 20 && r.rejected > 1_000, "\(r)")
    }

    @Test func settingsReaderNeverTraps() throws {
        let tmp = TempDir()
        let repo = try RepoPathTests.makeRepo(tmp)
        let file = repo.root + "/.gitmlops"
        let r = mutationRun(seeds: ParserSeeds.settings, iterations: 1_000, seed: 22) { input in
            try? FS.writeAtomic(file, input, durable: false)
            guard (try? repo.config.reload()) != nil else { return false }
            _ = repo.config.string("core.remote")
            _ = repo.config.bool("core.autopush", default: false)
            for (k, _) in repo.config.entries(prefix: "remote.") { #expect(k.hasPrefix("remote.")) }
            _ = repo.config.entries(prefix: "")
            return true
        }
        #expect(r.accepted > 50 && r.rejected > 50, "\(r)")
    }

    @Test func aKeyWithoutAValueIsNoString() throws {
        let tmp = TempDir()
        let repo = try RepoPathTests.makeRepo(tmp)
        try FS.writeAtomic(repo.root + "/.gitmlops", "[core]\n\tversion = 1\n[remote \"x\"]\n\turl\n", durable: false)
        try repo.config.reload()
        #expect(repo.config.entries(prefix: "remote.").isEmpty)
    }

    @Test func includesSymlinksAndHugeFilesAreRefused() throws {
        let tmp = TempDir()
        let repo = try RepoPathTests.makeRepo(tmp)
        let file = repo.root + "/.gitmlops"
        func refusal() -> String? {
            do { try repo.config.reload(); return nil } catch { return "\(error)" }
        }
        // libgit2 would follow the include to a FIFO and block forever.
        #expect(mkfifo(tmp.path + "/fifo", 0o600) == 0)
        for header in ["[include]", "[ InClUdE ]", "[includeIf \"gitdir:/\"]", "[core] x = 1 [include]"] {
            try FS.writeAtomic(file, "[core]\n\tversion = 1\n\(header)\n\tpath = \(tmp.path)/fifo\n", durable: false)
            #expect(refusal() == ".gitmlops: line 3: [include] and [includeIf] sections are not allowed in a committed file; remove the section; put local settings in .git/config (`git config mlops.KEY VALUE`)", "\(header)")
        }
        try FS.remove(file)
        try FileManager.default.createSymbolicLink(atPath: file, withDestinationPath: tmp.path + "/fifo")
        #expect(refusal() == ".gitmlops: is a symbolic link, not a file; make it a regular file of git-config syntax (`git checkout -- .gitmlops` restores the committed one)")
        try FS.remove(file)
        try FS.writeAtomic(file, "[core]\n\tversion = 1\n" + String(repeating: "# padding\n", count: 110_000), durable: false)
        #expect(refusal()?.hasPrefix(".gitmlops: is larger than 1 MiB, the limit for this file") == true)
    }
}
