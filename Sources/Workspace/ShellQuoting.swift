import Foundation

/// Words as a shell reads them back, for commands that hints and `mlops.yaml` show.
public enum ShellQuoting {
    /// Bare when plain, single-quoted otherwise.
    public static func quote(_ word: String) -> String {
        let plain = !word.isEmpty && word.unicodeScalars.allSatisfy {
            ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9") || "-_./=:,+@%".unicodeScalars.contains($0)
        }
        return plain ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// Words joined into one command line, each quoted as needed.
    public static func join(_ words: [String]) -> String { words.map(quote).joined(separator: " ") }

    /// The command after `--` of `stage add`: one word is a whole command line as typed (`-- "python3
    /// train.py"`), several are words to quote (`-- python3 train.py`).
    public static func command(fromWords words: [String]) -> String {
        let w = words.first == "--" ? Array(words.dropFirst()) : words
        return w.count == 1 ? w[0] : join(w)
    }
}
