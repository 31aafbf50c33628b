import Foundation
import MLOpsBasics
import Transfer

/// A remote held in memory: core tests run the whole transfer logic without disk or network.
public final class MemoryBackend: RemoteBackend, @unchecked Sendable {
    public let url = "memory://"
    private let lock = NSLock()
    private var files: [String: ([UInt8], Date)] = [:]
    /// Fail this many calls from now on with a retriable error (fault injection).
    public var failNext = 0
    public private(set) var calls = 0
    /// Bytes returned by `get` so far.
    public private(set) var bytesServed: Int64 = 0
    /// The time a write stamps on a file (tests simulate a clock with it).
    public var now: @Sendable () -> Date = { Date() }

    public init() {}

    struct Flaky: Error {}

    private func step() throws {
        lock.lock(); defer { lock.unlock() }
        calls += 1
        if failNext > 0 { failNext -= 1; throw Flaky() }
    }

    public func list(prefix: String) throws -> [RemoteFile] {
        try step()
        lock.lock(); defer { lock.unlock() }
        return files.filter { $0.key.hasPrefix(prefix) }.map { RemoteFile(name: $0.key, size: Int64($0.value.0.count), modified: $0.value.1) }
            .sorted { $0.name < $1.name }
    }

    public func get(_ name: String) throws -> [UInt8] {
        try step()
        lock.lock(); defer { lock.unlock() }
        guard let f = files[name] else { throw RemoteNotFound(url: url, name: name) }
        bytesServed += Int64(f.0.count)
        return f.0
    }

    public func get(_ name: String, range: Range<Int64>) throws -> [UInt8] {
        try step()
        lock.lock(); defer { lock.unlock() }
        guard let all = files[name]?.0 else { throw RemoteNotFound(url: url, name: name) }
        let slice = Array(all[Int(range.lowerBound)..<Int(min(range.upperBound, Int64(all.count)))])
        bytesServed += Int64(slice.count)
        return slice
    }

    public func put(_ name: String, bytes: [UInt8]) throws {
        try step()
        let t = now()
        lock.lock(); files[name] = (bytes, t); lock.unlock()
    }

    public func putFile(_ name: String, from path: String) throws { try put(name, bytes: try FS.readFile(path)) }

    public func delete(_ name: String) throws {
        try step()
        lock.lock(); files[name] = nil; lock.unlock()
    }

    public func isRetriable(_ error: Error) -> Bool { error is Flaky }


    /// Flips a byte of a stored file, as a damaged disk or a hostile server would.
    public func corrupt(_ name: String, at offset: Int) {
        lock.lock(); files[name]?.0[offset] ^= 0xff; lock.unlock()
    }
    /// Moves a file's time back, as if it had been written `seconds` earlier.
    public func age(_ name: String, by seconds: TimeInterval) {
        lock.lock(); if let f = files[name] { files[name] = (f.0, f.1.addingTimeInterval(-seconds)) }; lock.unlock()
    }
    public var names: [String] { lock.lock(); defer { lock.unlock() }; return files.keys.sorted() }
}
