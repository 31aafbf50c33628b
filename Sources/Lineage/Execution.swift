import Foundation
import MLOpsBasics
#if canImport(Glibc)
import Glibc
#endif

// Written only by the signal handler and read between steps; a plain word is enough.
nonisolated(unsafe) private var receivedSignal: Int32 = 0
nonisolated(unsafe) private var runningChild: pid_t = 0

private func onSignal(_ sig: Int32) {
    receivedSignal = sig
    let child = runningChild
    // The stage runs in its own process group: pass the signal to all of it (sh, python, its workers).
    if child > 0 { kill(-child, sig) }
}

/// Ctrl-C and termination during `run` and `reproduce`: the signal is passed to the running stage
/// command, and git-mlops stops at the next safe point (recording nothing for the interrupted stage,
/// removing temporary worktrees) instead of dying half-way.
public enum Interrupts {
    private static let installed: Bool = {
        var set = sigset_t()
        sigemptyset(&set)
        for s in [SIGINT, SIGTERM, SIGHUP] {
            signal(s, onSignal)
            sigaddset(&set, s)
        }
        // A parent may have started us with these blocked (threads of a dispatch queue block signals).
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        return true
    }()

    public static func install() { _ = installed }

    /// The signal received, 0 when none.
    public static var received: Int32 { receivedSignal }

    /// Throws when a signal arrived; `during` says what was cut short.
    static func check(_ during: String) throws {
        let s = receivedSignal
        if s != 0 {
            throw MLOpsError("interrupted (\(s == SIGINT ? "Ctrl-C" : "signal \(s)")) \(during)", hint: "nothing was recorded for the interrupted stage", exitCode: 128 + s)
        }
    }
}

/// Runs stage commands through `/bin/sh -c`, output streamed to the caller's terminal.
///
/// The command gets its own process group, so that Ctrl-C reaches git-mlops once and git-mlops passes
/// it on to every process of the stage, then cleans up; stdin is /dev/null.
enum Shell {
    /// Runs `cmd` in `cwd`; returns its exit status (128 + N when killed by signal N) and the seconds it took.
    /// With `stdoutToStderr`, the command's output goes to stderr (for `--json` on stdout).
    static func run(_ cmd: String, cwd: String, stdoutToStderr: Bool = false) throws -> (status: Int32, seconds: Double) {
        // `cd` in a wrapper shell keeps the working directory of git-mlops itself untouched.
        let argv = ["/bin/sh", "-c", "cd -- \"$0\" && exec /bin/sh -c \"$1\"", cwd, cmd]
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        posix_spawnattr_setpgroup(&attr, 0)
        var all = sigset_t(), none = sigset_t()
        sigfillset(&all)
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attr, &all)
        posix_spawnattr_setsigmask(&attr, &none)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if stdoutToStderr { posix_spawn_file_actions_adddup2(&actions, 2, 1) }
        let cargs = argv.map { strdup($0) } + [nil]
        defer { for p in cargs { free(p) } }
        var pid: pid_t = 0
        let start = Date()
        let rc = posix_spawn(&pid, "/bin/sh", &actions, &attr, cargs, environ)
        guard rc == 0 else { throw SystemError("posix_spawn", "/bin/sh", errno: rc) }
        runningChild = pid
        defer { runningChild = 0 }
        // A signal that arrived just before the child existed is passed on now.
        if receivedSignal != 0 { kill(-pid, receivedSignal) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { throw SystemError("waitpid", "/bin/sh", errno: errno) }
        }
        let seconds = Date().timeIntervalSince(start)
        let signaled = status & 0x7f
        return (signaled == 0 ? (status >> 8) & 0xff : 128 + signaled, seconds)
    }
}

/// What a record says about where a run happened.
final class RunEnvironment {
    let toolVersion: String
    private var interpreters: [String: String?] = [:]

    init(toolVersion: String) { self.toolVersion = toolVersion }

    /// `{git_mlops, os, interpreter?}` for a command.
    func describe(_ cmd: String) -> JSON {
        var o: [String: JSON] = ["git_mlops": .string(toolVersion), "os": .string(RunEnvironment.os)]
        if let i = interpreter(of: cmd) { o["interpreter"] = .string(i) }
        return .object(o)
    }

    /// Programs whose version is worth recording, and the flag that prints it.
    static let versionFlags: [(prefix: String, flag: String)] = [
        ("python", "--version"), ("Rscript", "--version"), ("R", "--version"), ("node", "--version"),
        ("ruby", "--version"), ("julia", "--version"), ("perl", "--version"), ("java", "-version"),
        ("deno", "--version"), ("bun", "--version"),
    ]

    /// The first program of a command line, past `VAR=value` assignments and `env`.
    static func program(of cmd: String) -> String? {
        for word in cmd.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init) {
            if word == "env" || word == "exec" || (word.contains("=") && !word.hasPrefix("=") && !word.contains("/")) { continue }
            return word
        }
        return nil
    }

    /// `Python 3.12.1` for `python3 train.py`; nil when the command's program is not an interpreter
    /// we know or does not answer.
    func interpreter(of cmd: String) -> String? {
        guard let prog = RunEnvironment.program(of: cmd) else { return nil }
        let base = basename(prog)
        guard let entry = RunEnvironment.versionFlags.first(where: { p in
            base == p.prefix || (base.hasPrefix(p.prefix) && base.dropFirst(p.prefix.count).allSatisfy { $0.isNumber || $0 == "." })
        }) else { return nil }
        if let known = interpreters[prog] { return known }
        var answer: String?
        if let out = try? ProcessRunner.capture([prog, entry.flag]), out.status == 0 {
            let text = out.stdout.isEmpty ? out.stderr : out.stdout
            answer = text.split(separator: "\n").first.map { $0.trimmingCharacters(in: .whitespaces) }
        }
        interpreters[prog] = answer
        return answer
    }

    /// `Linux 6.1.0-18-amd64 x86_64`.
    static let os: String = {
        var u = utsname()
        guard uname(&u) == 0 else { return "unknown" }
        func field<T>(_ v: T) -> String {
            withUnsafePointer(to: v) { $0.withMemoryRebound(to: CChar.self, capacity: MemoryLayout<T>.size) { String(cString: $0) } }
        }
        return "\(field(u.sysname)) \(field(u.release)) \(field(u.machine))"
    }()

    /// The login name running git-mlops.
    static let user: String = {
        if let pw = getpwuid(getuid()), let name = pw.pointee.pw_name { return String(cString: name) }
        return ProcessInfo.processInfo.environment["USER"] ?? "unknown"
    }()

    static let host: String = {
        var buf = [CChar](repeating: 0, count: 256)
        guard gethostname(&buf, 255) == 0 else { return "unknown" }
        return String(cString: buf)
    }()
}
