import Foundation

/// Where human output goes, and whether it may be decorated (colour, progress).
public enum Terminal {
    public static var stdoutIsTTY: Bool { isatty(1) == 1 }
    public static var stderrIsTTY: Bool { isatty(2) == 1 }

    /// Colour only on a terminal and never when `NO_COLOR` is set (https://no-color.org).
    public static var useColor: Bool {
        if let v = ProcessInfo.processInfo.environment["NO_COLOR"], !v.isEmpty { return false }
        return stdoutIsTTY && ProcessInfo.processInfo.environment["TERM"] != "dumb"
    }

    public static func color(_ s: String, _ code: String) -> String {
        useColor ? "\u{1b}[\(code)m\(s)\u{1b}[0m" : s
    }

    private static let lock = NSLock()

    public static func out(_ s: String) {
        lock.lock(); defer { lock.unlock() }
        FileHandle.standardOutput.write(Data((s + "\n").utf8))
    }

    public static func err(_ s: String) {
        lock.lock(); defer { lock.unlock() }
        FileHandle.standardError.write(Data((s + "\n").utf8))
    }

    public static func warn(_ s: String) { err("warning: " + s) }
}

/// Progress of long work, as git shows it: `Pushing to storage: 45% (12.0 MiB/26.7 MiB), 30/66 objects,
/// 5.0 MiB/s`, then `, done.` Drawn on stderr only when stdout is a terminal; at most ten updates a second.
/// The total is what the work announces with `expect`, before or while it goes (a transfer knows it once
/// it has planned its packs); without one, the line shows what was done so far.
public final class ProgressMeter: @unchecked Sendable {
    private let title: String
    private let enabled: Bool
    private let lock = NSLock()
    private var totalBytes: Int64
    private var totalItems = 0
    private var bytes: Int64 = 0
    private var items = 0
    private var lastDraw = 0.0
    private let start = Date()
    private var drew = false

    public init(_ title: String, totalBytes: Int64? = nil, enabled: Bool = Terminal.stdoutIsTTY) {
        self.title = title
        self.totalBytes = totalBytes ?? 0
        self.enabled = enabled
    }

    /// Adds to the total: `bytes` and `items` more are on their way.
    public func expect(bytes n: Int64, items k: Int = 0) {
        guard enabled else { return }
        lock.lock(); defer { lock.unlock() }
        totalBytes += n
        totalItems += k
    }

    public func add(bytes n: Int64, items k: Int = 0) {
        guard enabled else { return }
        lock.lock(); defer { lock.unlock() }
        bytes += n
        items += k
        let now = Date().timeIntervalSince(start)
        if now - lastDraw >= 0.1 { lastDraw = now; draw(now, done: false) }
    }

    private func draw(_ elapsed: Double, done: Bool) {
        let line = ProgressMeter.line(title: title, bytes: bytes, totalBytes: totalBytes, items: items, totalItems: totalItems,
                                      seconds: elapsed, done: done)
        FileHandle.standardError.write(Data("\r\u{1b}[K\(line)".utf8))
        drew = true
    }

    /// One progress line; pure, for tests.
    public static func line(title: String, bytes: Int64, totalBytes: Int64, items: Int, totalItems: Int, seconds: Double, done: Bool) -> String {
        var parts: [String] = []
        if totalBytes > 0 {
            let percent = min(100, Int(Double(bytes) * 100 / Double(totalBytes)))
            parts.append("\(percent)% (\(formatBytes(bytes))/\(formatBytes(totalBytes)))")
        } else {
            parts.append(formatBytes(bytes))
        }
        if totalItems > 0 {
            parts.append("\(items)/\(counted(totalItems, "object"))")
        } else if items > 0 {
            parts.append(counted(items, "object"))
        }
        if seconds > 0.2 { parts.append("\(formatBytes(Int64(Double(bytes) / seconds)))/s") }
        return "\(title): \(parts.joined(separator: ", "))\(done ? ", done." : "")"
    }

    public func finish() {
        guard enabled else { return }
        lock.lock(); defer { lock.unlock() }
        if drew { draw(Date().timeIntervalSince(start), done: true); FileHandle.standardError.write(Data("\n".utf8)) }
    }
}

/// `1 file`, `2 files`: a count and its noun, singular or plural.
public func counted<N: BinaryInteger>(_ n: N, _ singular: String, _ plural: String? = nil) -> String {
    "\(n) \(n == 1 ? singular : plural ?? singular + "s")"
}

/// `1.5 MiB` style sizes for people; scripts get exact byte counts from `--json`.
public func formatBytes(_ n: Int64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var v = Double(n)
    var u = 0
    while abs(v) >= 1024 && u < units.count - 1 { v /= 1024; u += 1 }
    return u == 0 ? "\(n) B" : String(format: "%.1f", v) + " " + units[u]
}
