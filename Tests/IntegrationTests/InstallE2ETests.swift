import Foundation
import MLOpsBasics
import Testing

/// scripts/install (what scripts/demo runs) in a sealed HOME whose PATH lacks the install
/// directory: the PATH hint, man pages that `man` and `git mlops --help` find, and completion that
/// git's own bash completion loads for `git mlops <TAB>`.
@Suite struct InstallE2ETests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// Installs the binary under test into `~/.local` of a fresh sandbox; its PATH does not have `~/.local/bin`.
    static func installed() throws -> (Sandbox, Sandbox.Result) {
        let s = try Sandbox()
        // The sandbox finds the binary under test by its build directory; this PATH must not.
        s.env["PATH"] = "/usr/local/bin:/usr/bin:/bin"
        let r = try s.ok([repository + "/scripts/install", Sandbox.binDir + "/git-mlops"])
        return (s, r)
    }

    @Test func installSaysWhenItsDirectoryIsNotOnPath() throws {
        let (s, r) = try Self.installed()
        let bin = s.home + "/.local/bin"
        #expect(r.stdout.contains("""
            hint: \(bin) is not on your PATH, so git does not find git mlops; add this line to ~/.bashrc (or ~/.zshrc) and open a new shell:
              export PATH="\(bin):$PATH"

            """), "\(r)")
        #expect(try s.run(["git", "mlops", "--version"]).status != 0)
        // On PATH: no hint.
        let again = try s.ok([Self.repository + "/scripts/install", Sandbox.binDir + "/git-mlops"], env: ["PATH": bin + ":/usr/bin:/bin"])
        #expect(!again.stdout.contains("is not on your PATH"))
    }

    @Test func manFindsEveryPageAndGitHelpShowsIt() throws {
        let (s, _) = try Self.installed()
        let man = s.home + "/.local/share/man"
        let env = ["PATH": s.home + "/.local/bin:/usr/bin:/bin", "MANPATH": man, "MANPAGER": "cat", "PAGER": "cat", "MANWIDTH": "80"]
        let pages = try FS.listDirectory(man + "/man1").map(\.name).sorted()
        #expect(pages.contains("git-mlops.1") && pages.contains("git-mlops-remote-add.1") && pages.contains("git-mlops-stage-remove.1"))
        #expect(Set(pages).isDisjoint(with: ["git-mlops-help.1", "git-mlops-hook.1", "git-mlops-completion.1", "git-mlops-generate-manual.1"]))
        for page in pages {
            let name = String(page.dropLast(2))
            #expect(try s.ok(["man", "-w", name], env: env).stdout == "\(man)/man1/\(page)\n")
        }
        for argv in [["git", "mlops", "--help"], ["git", "help", "mlops"]] {
            let r = try s.ok(argv, env: env)
            #expect(r.stdout.contains("git-mlops - Version data, models and runs in git."), "\(argv): \(r)")
            #expect(r.stdout.contains("git-mlops-remote(1)") && r.stdout.contains("git mlops log --oneline"))
        }
        let add = try s.ok(["man", "git-mlops-remote-add"], env: env)
        #expect(add.stdout.contains("git mlops remote add <name> <url> [--default] [--endpoint <endpoint>]\n       [--region <region>] [--local]"), "\(add)")
        #expect(add.stdout.contains("--endpoint <endpoint>"))
        // Without MANPATH, man finds the pages from the bin directory on PATH, as after scripts/demo.
        var derived = env
        derived["MANPATH"] = nil
        #expect(try s.ok(["man", "-w", "git-mlops"], env: derived).stdout == "\(man)/man1/git-mlops.1\n")
    }

    @Test func bashCompletesSubcommandsAndOptionsInsideGitsCompletion() throws {
        let (s, _) = try Self.installed()
        let gitCompletion = ["/usr/share/bash-completion/completions/git", "/etc/bash_completion.d/git",
                             "/usr/local/share/bash-completion/completions/git"].first(where: FS.exists)
        let bashCompletion = ["/usr/share/bash-completion/bash_completion", "/usr/local/share/bash-completion/bash_completion"].first(where: FS.exists)
        guard let gitCompletion, let bashCompletion else {
            Issue.record("git's bash completion or bash-completion is not installed (apt-get install bash-completion)")
            return
        }
        // bash-completion loads ~/.local/share/bash-completion/completions/git-mlops when git's
        // completion asks for `git-mlops`, as in an interactive shell.
        let script = """
            source \(bashCompletion)
            source \(gitCompletion)
            complete_line() {
              COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; COMPREPLY=()
              __git_wrap__git_main
              printf '%s|' "${COMPREPLY[@]}"; echo
            }
            complete_line git mlops sta
            complete_line git mlops remote a
            complete_line git mlops remote add --def
            complete_line git mlops stage add --na
            complete_line git mlops --ver
            complete_line git mlops log --json -
            """
        let r = try s.ok(["bash", "-c", script], env: ["PATH": s.home + "/.local/bin:/usr/bin:/bin"])
        #expect(r.stdout == """
            status |stage |
            add |
            --default |
            --name=|
            --version |
            --max-count=|--oneline |--json |--help |

            """, "\(r)")
    }

    @Test func theInstallCommandsRefuseBadInputWithOneLine() throws {
        let s = try Sandbox()
        var r = try s.run(["git", "mlops", "completion", "fish"])
        #expect(r.status == 129 && r.stdout == "")
        #expect(r.stderr.hasPrefix("error: unknown shell 'fish'; give bash or zsh\n"), "\(r)")
        // A file where the directory should be: one error line, nothing written.
        try s.write(s.root + "/man", "not a directory")
        r = try s.run(["git", "mlops", "generate-manual", s.root + "/man/man1"])
        #expect(r.status == 1 && r.stdout == "", "\(r)")
        #expect(r.stderr.hasPrefix("error: ") && r.stderr.filter { $0 == "\n" }.count == 1, "\(r)")
        #expect(try FS.readText(s.root + "/man") == "not a directory")
    }

    @Test func zshCompletionCompletesTheSameWords() throws {
        guard FS.exists("/usr/bin/zsh") || FS.exists("/bin/zsh") else {
            Issue.record("zsh is not installed")
            return
        }
        let (s, _) = try Self.installed()
        let file = s.home + "/.local/share/zsh/site-functions/_git-mlops"
        // compadd and _files stand in for zsh's completion system, which needs a terminal.
        let script = """
            source \(file)
            compadd() { print -r -- "compadd $*" }
            _files() { print -r -- files }
            words=(mlops remote ''); CURRENT=3; PREFIX=''; _git-mlops
            words=(mlops remote add --d); CURRENT=4; PREFIX='--d'; _git-mlops
            words=(git-mlops add ''); CURRENT=3; PREFIX=''; _git-mlops
            """
        let r = try s.ok(["zsh", "-f", "-c", script])
        #expect(r.stdout == """
            compadd -- add list remove trust
            compadd -S  -- --endpoint= --region=
            compadd -- --default --local --help
            files

            """, "\(r)")
    }
}
