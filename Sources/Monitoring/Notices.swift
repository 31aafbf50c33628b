import Foundation
import MLOpsBasics

/// Warnings about the live records: each kind of problem is said once (naming the file and line of
/// its first occurrence) and then only counted, so a bad log cannot flood the terminal.
final class Notices {
    /// Kept for `--json`.
    private(set) var messages: [String] = []
    private var said: Set<String> = []
    let print: (String) -> Void

    init(print: @escaping (String) -> Void = { Terminal.warn($0) }) { self.print = print }

    /// Says `message` unless something was already said under `key`.
    func once(_ key: String, _ message: @autoclosure () -> String) {
        guard !said.contains(key), said.count < 10_000 else { return }
        said.insert(key)
        let m = message()
        if messages.count < 100 { messages.append(m) }
        print(m)
    }

    /// Counts `key` as said (a message that covers it was given).
    func mark(_ key: String) { said.insert(key) }
}
