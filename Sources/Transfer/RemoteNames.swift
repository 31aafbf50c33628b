import Foundation
import MLOpsBasics
import ObjectStore

/// A backend whose listings under `packs/` and `trash/` hold only the names git-mlops makes there:
/// `packs/HEX.pack`, `packs/HEX.idx` and `trash/HEX.idx`, HEX being 32 hex digits. A remote is not
/// trusted: anything else listed there (`packs/evil-name.pack`, `trash/../../x.idx`) is reported once
/// and otherwise ignored, so fetch, push and gc never adopt, delete or build a path from it.
final class RemoteNameFilter: RemoteBackend, @unchecked Sendable {
    let inner: RemoteBackend
    private let lock = NSLock()
    private var reported = Set<String>()

    init(_ inner: RemoteBackend) { self.inner = inner }

    var url: String { inner.url }

    /// Whether `name` may be used: any name outside `packs/` and `trash/`, and the pack names inside.
    static func isUsable(_ name: String) -> Bool {
        func pack(_ rest: Substring, _ suffix: String) -> Bool {
            rest.hasSuffix(suffix) && PackFormat.isPackName(rest.dropLast(suffix.count))
        }
        if name.hasPrefix("packs/") {
            let rest = name.dropFirst("packs/".count)
            return pack(rest, ".pack") || pack(rest, ".idx")
        }
        if name.hasPrefix("trash/") { return pack(name.dropFirst("trash/".count), ".idx") }
        return true
    }

    func list(prefix: String) throws -> [RemoteFile] {
        try inner.list(prefix: prefix).filter { f in
            if RemoteNameFilter.isUsable(f.name) { return true }
            lock.lock()
            let first = reported.insert(f.name).inserted
            lock.unlock()
            if first {
                Terminal.warn("\(url): ignoring \(f.name.debugDescription): git-mlops names packs with 32 hex digits")
            }
            return false
        }
    }

    func get(_ name: String) throws -> [UInt8] { try inner.get(name) }
    func get(_ name: String, range: Range<Int64>) throws -> [UInt8] { try inner.get(name, range: range) }
    func getFile(_ name: String, into fd: FileDescriptor) throws -> Bool { try inner.getFile(name, into: fd) }
    func put(_ name: String, bytes: [UInt8]) throws { try inner.put(name, bytes: bytes) }
    func putFile(_ name: String, from path: String) throws { try inner.putFile(name, from: path) }
    func delete(_ name: String) throws { try inner.delete(name) }
    func isRetriable(_ error: Error) -> Bool { inner.isRetriable(error) }
    func abortIncompleteUploads(prefix: String, startedBefore cutoff: Date, dryRun: Bool) throws -> Int {
        try inner.abortIncompleteUploads(prefix: prefix, startedBefore: cutoff, dryRun: dryRun)
    }
}
