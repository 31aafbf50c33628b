import ArgumentParser
import MLOpsBasics

/// `git mlops completion bash|zsh`: the completion script for `git mlops <TAB>` (scripts/demo installs it).
struct CompletionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "completion",
        abstract: "Print the bash or zsh completion script for git mlops.",
        shouldDisplay: false)

    @Argument(help: ArgumentHelp("The shell: bash or zsh.", valueName: "shell"))
    var shell: String

    func validate() throws {
        if Completion.Shell(rawValue: shell) == nil { throw ValidationError("unknown shell '\(shell)'; give bash or zsh") }
    }

    func run() throws {
        emitText(Completion.script(Completion.Shell(rawValue: shell)!, try CommandInfo.root()))
    }
}
