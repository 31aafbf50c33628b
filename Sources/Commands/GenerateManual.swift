import ArgumentParser
import MLOpsBasics

/// `git mlops generate-manual DIR`: writes git-mlops(1) and a page per subcommand into DIR (e.g.
/// ~/.local/share/man/man1, where `man` finds them; scripts/demo installs them there).
struct GenerateManual: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate-manual",
        abstract: "Write the man pages of git mlops and every subcommand into a directory.",
        shouldDisplay: false)

    @Argument(help: ArgumentHelp("Where to write the pages (created when missing).", valueName: "directory"))
    var directory: String

    func run() throws {
        try FS.mkdirs(directory)
        let pages = Manual.pages(try CommandInfo.root())
        for page in pages { try FS.writeAtomic(joinPath(directory, page.name), page.text) }
        emitText("wrote \(counted(pages.count, "man page")) to \(directory)")
    }
}
