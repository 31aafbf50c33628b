import ArgumentParser
import MLOpsBasics

/// `--json`, and the one way commands print a result: with `--json`, the result's own JSON (defined
/// beside its type, in the library that makes it); otherwise the text the command writes for people.
struct JSONOption: ParsableArguments {
    @Flag(name: .long, help: "Print machine-readable JSON instead of text.")
    var json = false

    /// Prints `result` as JSON, or as `text(result)` (nothing when that is empty).
    func emit<R: JSONRepresentable>(_ result: R, text: (R) -> String) {
        if json { print(result.json.pretty) } else { emitText(text(result)) }
    }
}

/// Prints text for people: lines as given, ending with one newline; nothing for "".
func emitText(_ text: String) {
    guard !text.isEmpty else { return }
    print(text, terminator: text.hasSuffix("\n") ? "" : "\n")
}

/// Lines joined for `emitText`.
func lines(_ l: [String]) -> String { l.joined(separator: "\n") }
