import Foundation
import MLOpsBasics

extension FileHasher {
    /// A file or directory to hash or ingest, with its key in the stat cache (nil: do not use the cache).
    public enum Target: Sendable {
        case file(path: String, key: String?)
        case directory(path: String, keyPrefix: String?)
    }

    public enum Result: Sendable {
        case file(FileRecord)
        case directory(id: ObjectID, manifest: DirManifest)
    }

    /// Hashes (or, with `Ingester`, stores) several targets as one job: every file of every target is
    /// scheduled together, large files one after another on a reading thread (their chunks go to the
    /// workers first), small files on the workers meanwhile, so both cores stay busy from the first
    /// file to the last. Directories are walked on the workers while this thread starts on the files
    /// named directly.
    public func records(of targets: [Target]) throws -> [Result] {
        struct Walk { var files: [FileWalk.Entry]; var fingerprint: DirectoryFingerprint; var skipped: [(String, String)] }
        let walks: [Pending<Walk>?] = targets.map { t in
            guard case .directory(let root, let prefix) = t else { return nil }
            return Pending(on: work) {
                var skipped: [(String, String)] = []
                let files = try FileWalk.files(under: root) { skipped.append(((prefix ?? root) + "/" + $0, $1)) }
                return Walk(files: files, fingerprint: DirectoryFingerprint(files), skipped: skipped)
            }
        }
        let jobs = IngestSchedule(self)
        defer { jobs.settle() }  // whatever is thrown, no job outlives this call
        // Per target: where its records start.
        var starts = [Int](repeating: 0, count: targets.count)
        for (n, t) in targets.enumerated() {
            guard case .file(let path, let key) = t else { continue }
            guard let st = FS.stat(path) else { throw SystemError("stat", path, errno: errno) }
            starts[n] = jobs.add([(path, key, st)])
        }
        try jobs.runLarge()
        var walked: [Walk?] = []
        for (n, t) in targets.enumerated() {
            guard case .directory(_, let prefix) = t, let w = try walks[n]?.wait() else { walked.append(nil); continue }
            walked.append(w)
            skipped += w.skipped.map { (path: $0.0, why: $0.1) }
            starts[n] = jobs.add(w.files.map { f in (f.absPath, prefix.map { $0 + "/" + f.relPath }, f.stat) })
        }
        try jobs.runLarge()
        let records = try jobs.wait()
        var out: [Result] = []
        for (n, t) in targets.enumerated() {
            switch t {
            case .file:
                out.append(.file(records[starts[n]]))
            case .directory(_, let prefix):
                let w = walked[n]!
                let entries = w.files.enumerated().map { k, f in
                    let r = records[starts[n] + k]
                    return DirEntry(path: f.relPath, id: r.id, size: r.size, executable: r.executable)
                }
                let manifest = DirManifest(sortedEntries: entries)
                let id = try listingID(manifest)
                // Remember the directory only when its manifest is stored, so a cached id can always be
                // listed. Every file was read with the stat the walk saw (checked after each read), so the
                // walk's fingerprint describes exactly what the manifest holds.
                if let prefix, let cache = statCache, remembersDirectory(id) {
                    cache.recordDirectory(prefix, w.fingerprint, id: id)
                }
                out.append(.directory(id: id, manifest: manifest))
            }
        }
        return out
    }
}

/// Records of files being hashed or ingested, in the order added: small ones go to the workers at
/// once, large ones wait for `runLarge` on the calling thread (one at a time, each spread over the
/// workers).
final class IngestSchedule: @unchecked Sendable {
    typealias Input = (path: String, key: String?, stat: FileStat?)
    private unowned let hasher: FileHasher
    private var inputs: [Input] = []
    private var records: [FileRecord?] = []
    private var large: [Int] = []
    private let errors = FirstError()
    private let lock = NSLock()
    private let group = DispatchGroup()
    /// Small files go to the workers in slices, so a thousand tiny files are one job, not a thousand.
    static let slice = 16

    init(_ hasher: FileHasher) { self.hasher = hasher }

    /// Schedules `files` and returns the index of the first one's record.
    func add(_ files: [Input]) -> Int {
        let first = inputs.count
        inputs += files
        records += [FileRecord?](repeating: nil, count: files.count)
        var small: [Int] = []
        for i in first..<inputs.count {
            if (inputs[i].stat?.size ?? 0) > Int64(FileHasher.smallFileLimit) { large.append(i) } else { small.append(i) }
        }
        let items = small.map { ($0, inputs[$0]) }
        for start in stride(from: 0, to: items.count, by: IngestSchedule.slice) {
            let part = items[start..<min(start + IngestSchedule.slice, items.count)]
            group.enter()
            hasher.work.submit { [self] in
                defer { group.leave() }
                guard !errors.failed else { return }
                let done = hasher.smallFiles(part.map(\.1))
                lock.lock()
                for ((i, _), r) in zip(part, done) {
                    switch r {
                    case .success(let record): records[i] = record
                    case .failure(let e): errors.fail(e)
                    }
                }
                lock.unlock()
            }
        }
        return first
    }

    private func run(_ i: Int, _ input: Input) {
        guard !errors.failed else { return }
        do {
            let r = try hasher.file(at: input.path, key: input.key, known: input.stat)
            lock.lock(); records[i] = r; lock.unlock()
        } catch { errors.fail(error) }
    }

    /// Hashes or ingests the large files added so far, here.
    func runLarge() throws {
        let todo = large
        large = []
        for i in todo { run(i, inputs[i]) }
        if let e = errors.error { throw e }
    }

    /// Waits for the queued jobs; after an error they return at once.
    func settle() { group.wait() }

    func wait() throws -> [FileRecord] {
        if !WorkQueue.onWorker { hasher.work.help() }
        group.wait()
        if let e = errors.error { throw e }
        return records.map { $0! }
    }
}
