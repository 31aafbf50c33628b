import MLOpsBasics
import Testing
@testable import Commands

/// The man pages and completion scripts written from the command tree, without the binary (the
/// install test reads them with man, bash and zsh).
@Suite struct ManualAndCompletionTests {
    @Test func roffEscapesWhatItWouldOtherwiseRead() {
        // A leading dot or quote is a request, a backslash an escape, `-` a hyphen that man may break.
        #expect(Manual.escape(".TH x\n'a\\b-c") == "\\&.TH x\n\\&'a\\eb\\-c")
        #expect(Manual.escape("plain text") == "plain text")
    }

    @Test func everyPageIsNamedAsGitLooksItUpAndNamesItsCommand() throws {
        let root = try CommandInfo.root()
        let pages = Manual.pages(root)
        #expect(pages.count == root.all.count)
        #expect(Set(pages.map(\.name)).count == pages.count)
        for (page, c) in zip(pages, root.all) {
            #expect(page.name == c.pageName + ".1")
            #expect(page.text.hasPrefix(".TH \(c.pageName.uppercased()) 1 "))
            #expect(page.text.contains(".SH NAME\n\(c.pageName) \\- "))
            // No line of text that roff would take for a request.
            for line in page.text.split(separator: "\n") where !line.hasPrefix(".") {
                #expect(!line.hasPrefix("'"), "\(page.name): \(line)")
            }
        }
        let remoteAdd = try #require(pages.first { $0.name == "git-mlops-remote-add.1" })
        #expect(remoteAdd.text.contains(".SH SYNOPSIS\ngit mlops remote add <name> <url> [\\-\\-default] [\\-\\-endpoint <endpoint>] [\\-\\-region <region>] [\\-\\-local]\n"))
        #expect(remoteAdd.text.hasSuffix(".SH SEE ALSO\n\\fBgit-mlops-remote\\fR(1), \\fBgit\\fR(1)\n"))
    }

    @Test func completionListsEveryVisibleCommandAndOption() throws {
        let root = try CommandInfo.root()
        let bash = Completion.script(.bash, root)
        #expect(bash.contains("\t\"\") echo '" + (root.subcommands.map(\.name) + ["help"]).joined(separator: " ") + "' ;;"))
        #expect(bash.contains("\t\"remote add\") echo '--default --endpoint= --region= --local --help' ;;"))
        #expect(bash.contains("\t\"\") echo '--version --help' ;;"))
        let top = try #require(bash.split(separator: "\n").first { $0.hasPrefix("\t\"\") echo 'init ") }).split(separator: " ")
        for hidden in ["hook", "completion", "generate-manual"] { #expect(!top.contains(Substring(hidden)), "\(hidden)") }
        let zsh = Completion.script(.zsh, root)
        #expect(zsh.hasPrefix("#compdef git-mlops\n"))
        #expect(zsh.contains("  \"stage\") echo 'add list remove' ;;"))
    }
}
