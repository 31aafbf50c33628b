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

/// ProgressMeter on long work, shown on stderr only when stdout is a terminal; at most ten updates a second.
public final class ProgressMeter: @unchecked Sendable {
    private let title: String
    private let totalBytes: Int64?
    private let enabled: Bool
    private let lock = NSLock()
    private var bytes: Int64 = 0
    private var items = 0
    private var lastDraw = 0.0
    private let start = Date()
    private var drew = false

    public init(_ title: String, totalBytes: Int64? = nil, enabled: Bool = Terminal.stdoutIsTTY) {
        self.title = title
        self.totalBytes = totalBytes
        self.enabled = enabled
    }

    public func add(bytes n: Int64, items k: Int = 0) {
        guard enabled else { return }
        lock.lock(); defer { lock.unlock() }
        bytes += n
        items += k
        let now = Date().timeIntervalSince(start)
        if now - lastDraw >= 0.1 { lastDraw = now; draw(now) }
    }

    private func draw(_ elapsed: Double) {
        var line = "\(title): \(formatBytes(bytes))"
        if let totalBytes, totalBytes > 0 {
            line += " / \(formatBytes(totalBytes)) (\(Int(Double(bytes) * 100 / Double(totalBytes)))%)"
        }
        if items > 0 { line += ", \(items) objects" }
        if elapsed > 0.2 { line += ", \(formatBytes(Int64(Double(bytes) / elapsed)))/s" }
        FileHandle.standardError.write(Data("\r\u{1b}[K\(line)".utf8))
        drew = true
    }

    public func finish() {
        guard enabled else { return }
        lock.lock(); defer { lock.unlock() }
        if drew { draw(Date().timeIntervalSince(start)); FileHandle.standardError.write(Data("\n".utf8)) }
    }
}

/// `1.5 MiB` style sizes for people; scripts get exact byte counts from `--json`.
public func formatBytes(_ n: Int64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var v = Double(n)
    var u = 0
    while abs(v) >= 1024 && u < units.count - 1 { v /= 1024; u += 1 }
    return u == 0 ? "\(n) B" : String(format: "%.1f", v) + " " + units[u]
}
