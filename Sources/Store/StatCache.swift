import Foundation
import MLOpsBasics

/// Remembers the id of each file by (size, mtime, ctime, inode, mode), so an unchanged file is never
/// hashed twice. One cache per worktree.
///
/// Like git's index, an entry is trusted only if the file's mtime is older than the cache file itself:
/// a file changed within the same clock tick as the save is hashed again next time ("racy clean").
///
/// Directories get an entry too: a fingerprint of the stat of every file under them (taken from one
/// walk, no file read) and the directory's id, so an unchanged directory of a million files costs a walk,
/// not a manifest rebuild.
///
///     "MLOPSSC\0" | u32 version = 2 | u32 file count
///     count x { u16 path length | path | i64 size | i64 mtime ns | i64 ctime ns | u64 inode | u32 mode | id[32] }
///     u32 dir count
///     count x { u16 path length | path | u64 fingerprint[2] | i64 files | i64 total size | i64 newest mtime/ctime ns | id[32] }
///     SHA-256 of everything above
public final class StatCache: @unchecked Sendable {
    public struct Entry: Equatable {
        public var stat: FileStat
        public var id: ObjectID
        /// Loaded from disk and too new to trust.
        var racy = false
    }

    /// What a directory looked like when its id was computed.
    public struct DirState: Equatable {
        public var fingerprint: (UInt64, UInt64)
        public var files: Int
        public var size: Int64
        /// Newest mtime or ctime of any file under it: the directory entry is racy if that is not older than the cache.
        public var newest: Int64
        public var id: ObjectID
        public init(fingerprint: (UInt64, UInt64), files: Int, size: Int64, newest: Int64, id: ObjectID) {
            self.fingerprint = fingerprint; self.files = files; self.size = size; self.newest = newest; self.id = id
        }
        public static func == (a: DirState, b: DirState) -> Bool {
            a.fingerprint == b.fingerprint && a.files == b.files && a.size == b.size && a.newest == b.newest && a.id == b.id
        }
        var racy = false
    }

    public let path: String
    private var entries: [String: Entry] = [:]
    private var dirs: [String: DirState] = [:]
    private var dirty = false
    private let lock = NSLock()

    static let magic: [UInt8] = Array("MLOPSSC\0".utf8)

    public init(path: String) {
        self.path = path
        load()
    }

    private func load() {
        guard let st = FS.stat(path), let bytes = try? FS.readFile(path),
              let (e, d) = StatCache.decode(bytes, savedAt: st.mtimeNs) else { return }
        entries = e
        dirs = d
    }

    static func decode(_ bytes: [UInt8], savedAt: Int64) -> ([String: Entry], [String: DirState])? {
        guard bytes.count >= 16 + 32, Array(bytes[0..<8]) == magic else { return nil }
        return bytes.withUnsafeBytes { p -> ([String: Entry], [String: DirState])? in
            let base = p.baseAddress!
            guard ObjectID.hashing(UnsafeRawBufferPointer(rebasing: p[0..<(p.count - 32)])) == ObjectID(bytes: base + p.count - 32),
                  base.loadLE(UInt32.self, at: 8) == 2 else { return nil }
            let count = Int(base.loadLE(UInt32.self, at: 12))
            var out: [String: Entry] = [:]
            // Each entry takes at least 70 bytes: a count the file cannot hold reserves no more than it can.
            out.reserveCapacity(min(count, p.count / 70))
            var o = 16
            let end = p.count - 32
            for _ in 0..<count {
                guard o + 2 <= end else { return nil }
                let n = Int(base.loadLE(UInt16.self, at: o))
                o += 2
                guard o + n + 68 <= end else { return nil }
                let path = String(decoding: UnsafeRawBufferPointer(rebasing: p[o..<(o + n)]), as: UTF8.self)
                o += n
                let st = FileStat(size: base.loadLE(Int64.self, at: o), mtimeNs: base.loadLE(Int64.self, at: o + 8),
                                  ctimeNs: base.loadLE(Int64.self, at: o + 16), inode: base.loadLE(UInt64.self, at: o + 24),
                                  mode: base.loadLE(UInt32.self, at: o + 32))
                let id = ObjectID(bytes: base + o + 36)
                o += 68
                out[path] = Entry(stat: st, id: id, racy: st.mtimeNs >= savedAt || st.ctimeNs >= savedAt)
            }
            guard o + 4 <= end else { return nil }
            let dirCount = Int(base.loadLE(UInt32.self, at: o))
            o += 4
            var dirs: [String: DirState] = [:]
            for _ in 0..<dirCount {
                guard o + 2 <= end else { return nil }
                let n = Int(base.loadLE(UInt16.self, at: o))
                o += 2
                guard o + n + 72 <= end else { return nil }
                let path = String(decoding: UnsafeRawBufferPointer(rebasing: p[o..<(o + n)]), as: UTF8.self)
                o += n
                var d = DirState(fingerprint: (base.loadLE(UInt64.self, at: o), base.loadLE(UInt64.self, at: o + 8)),
                                 files: Int(base.loadLE(Int64.self, at: o + 16)), size: base.loadLE(Int64.self, at: o + 24),
                                 newest: base.loadLE(Int64.self, at: o + 32), id: ObjectID(bytes: base + o + 40))
                d.racy = d.newest >= savedAt
                dirs[path] = d
                o += 72
            }
            guard o == end else { return nil }
            return (out, dirs)
        }
    }

    /// The cached directory id when the fingerprint of its files' stats still matches.
    public func lookupDirectory(_ relPath: String, fingerprint: (UInt64, UInt64), files: Int, size: Int64) -> DirState? {
        lock.lock(); defer { lock.unlock() }
        guard let d = dirs[relPath], !d.racy, d.fingerprint == fingerprint, d.files == files, d.size == size else { return nil }
        return d
    }

    public func recordDirectory(_ relPath: String, _ state: DirState) {
        lock.lock(); defer { lock.unlock() }
        if let d = dirs[relPath], !d.racy, d == state { return }
        dirs[relPath] = state
        dirty = true
    }

    /// The cached id when `stat` still matches.
    public func lookup(_ relPath: String, _ stat: FileStat) -> ObjectID? {
        lock.lock(); defer { lock.unlock() }
        guard let e = entries[relPath], !e.racy, e.stat == stat else { return nil }
        return e.id
    }

    public func record(_ relPath: String, _ stat: FileStat, _ id: ObjectID) {
        lock.lock(); defer { lock.unlock() }
        if let e = entries[relPath], !e.racy, e.stat == stat, e.id == id { return }
        entries[relPath] = Entry(stat: stat, id: id)
        dirty = true
    }

    public func forget(prefix: String) {
        lock.lock(); defer { lock.unlock() }
        for k in entries.keys where k == prefix || k.hasPrefix(prefix + "/") { entries[k] = nil; dirty = true }
        for k in dirs.keys where k == prefix || k.hasPrefix(prefix + "/") { dirs[k] = nil; dirty = true }
    }

    /// Writes the cache if anything changed, keeping entries another process saved meanwhile.
    public func save() throws {
        lock.lock(); defer { lock.unlock() }
        guard dirty else { return }
        if let st = FS.stat(path), let bytes = try? FS.readFile(path),
           let (theirs, theirDirs) = StatCache.decode(bytes, savedAt: st.mtimeNs) {
            for (k, v) in theirs where entries[k] == nil && !v.racy { entries[k] = v }
            for (k, v) in theirDirs where dirs[k] == nil && !v.racy { dirs[k] = v }
        }
        var b = StatCache.magic
        b.appendLE(UInt32(2))
        b.appendLE(UInt32(entries.count))
        for (k, e) in entries where !e.racy {
            let u = Array(k.utf8)
            b.appendLE(UInt16(u.count))
            b.append(contentsOf: u)
            b.appendLE(e.stat.size); b.appendLE(e.stat.mtimeNs); b.appendLE(e.stat.ctimeNs)
            b.appendLE(e.stat.inode); b.appendLE(e.stat.mode)
            b.append(contentsOf: e.id.bytes)
        }
        // The count was written before racy entries were skipped: patch it.
        let written = entries.values.filter { !$0.racy }.count
        withUnsafeBytes(of: UInt32(written).littleEndian) { for i in 0..<4 { b[12 + i] = $0[i] } }
        let liveDirs = dirs.filter { !$0.value.racy }
        b.appendLE(UInt32(liveDirs.count))
        for (k, d) in liveDirs {
            let u = Array(k.utf8)
            b.appendLE(UInt16(u.count))
            b.append(contentsOf: u)
            b.appendLE(d.fingerprint.0); b.appendLE(d.fingerprint.1)
            b.appendLE(Int64(d.files)); b.appendLE(d.size); b.appendLE(d.newest)
            b.append(contentsOf: d.id.bytes)
        }
        b.append(contentsOf: ObjectID.hashing(b).bytes)
        // A cache: atomic, but not worth an fsync (a lost cache only costs a re-hash). Where it cannot
        // be written (a read-only cache, a full disk), commands go on without it.
        do {
            try FS.mkdirs(dirname(path))
            try FS.writeAtomic(path, b, durable: false)
        } catch let e as SystemError where FileLock.isReadOnlyError(e.errno) || e.errno == ENOSPC || e.errno == EDQUOT {
            return
        }
        dirty = false
    }
}
