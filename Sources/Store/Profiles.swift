import MLOpsBasics
import ObjectStore

/// The profile of a version of tabular data (a file, or a directory's tables), stored under a key
/// derived from the data's id so that it is found without reading the data, and travels, is kept and
/// is checked with it (docs/format.md, "Profile objects").
///
///     mlops-profile 1
///     data <data id hex>
///     part <file id hex> <path>          directories: one line per profiled file, in path order
///     json <the profile, canonical JSON on one line (docs/validation.md)>
///     check <SHA-256 of all the lines above>
///
/// The store knows the profile only as text: the `Profiling` target reads and writes the JSON.
public struct ProfileObject: Equatable, Sendable {
    /// A file of a directory with a profile of its own (keyed by the file's id).
    public struct Part: Equatable, Sendable {
        public var id: ObjectID
        /// Relative to the directory.
        public var path: String
        public init(id: ObjectID, path: String) { self.id = id; self.path = path }
    }

    public static let header = "mlops-profile 1"
    /// Far above any profile git-mlops writes (64 MiB of JSON plus the parts of a million files).
    public static let maxSize = 256 << 20

    public var data: ObjectID
    public var parts: [Part]
    /// Canonical JSON text of the profile (no newline).
    public var json: [UInt8]

    public init(data: ObjectID, parts: [Part] = [], json: [UInt8]) {
        self.data = data
        self.parts = parts.sorted { pathLess($0.path, $1.path) }
        self.json = json
    }

    /// The key a profile of `data` is stored under: SHA-256 of `mlops-profile-key 1 <data id hex>`.
    /// Never a data id (a preimage would be needed), and computable without the data.
    public static func key(for data: ObjectID) -> ObjectID {
        ObjectID.hashing("mlops-profile-key 1 " + data.hex)
    }

    /// Profile keys of the parts (what a directory's profile object refers to).
    public var partKeys: [ObjectID] { parts.map { ProfileObject.key(for: $0.id) } }

    public func encode() -> [UInt8] {
        var bytes = Array("\(ProfileObject.header)\ndata \(data.hex)\n".utf8)
        for p in parts { bytes += Array("part \(p.id.hex) \(p.path)\n".utf8) }
        bytes += Array("json ".utf8) + json + [0x0A]
        bytes += Array("check \(ObjectID.hashing(bytes).hex)\n".utf8)
        return bytes
    }

    /// Whether the check line matches and the object describes the data its key names.
    static func isIntact(_ bytes: [UInt8], key: ObjectID) -> Bool {
        guard FileManifest.isIntact(bytes) else { return false }
        let prefix = Array("\(header)\ndata ".utf8)
        guard bytes.count > prefix.count + 64, Array(bytes[0..<prefix.count]) == prefix,
              let data = bytes[prefix.count..<(prefix.count + 64)].withUnsafeBytes({ ObjectID(hexUTF8: $0) }) else { return false }
        return ProfileObject.key(for: data) == key
    }

    /// Decodes a profile object read from under `key`; everything in it is checked, since a clone's or
    /// a remote's objects may be forged.
    public static func decode(_ bytes: [UInt8], key: ObjectID) throws -> ProfileObject {
        let bad = { (why: String) in
            MLOpsError("profile object \(key.short) is malformed (\(why))", hint: "run `git mlops fsck`; `git mlops add` of the data computes it again")
        }
        guard bytes.count <= maxSize else { throw bad("\(bytes.count) bytes, more than \(maxSize)") }
        guard FileManifest.isIntact(bytes) else { throw bad("its check line does not match") }
        var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
        guard lines.count >= 5, lines.last?.isEmpty == true else { throw bad("no final newline") }
        lines.removeLast(2)  // "" and the check line
        let first = String(decoding: lines[0], as: UTF8.self)
        if let newer = FormatHeader.newer(first, than: header, what: "profile object \(key.short)") { throw newer }
        guard first == header else { throw bad("not `\(header)`") }
        let dataLine = String(decoding: lines[1], as: UTF8.self)
        guard dataLine.hasPrefix("data "), let data = ObjectID(hex: dataLine.dropFirst(5)), dataLine.count == 69 else { throw bad("bad data line") }
        guard ProfileObject.key(for: data) == key else { throw bad("it describes data \(data.short), not what its key names") }
        let jsonLine = lines[lines.count - 1]
        guard jsonLine.starts(with: Array("json ".utf8)) else { throw bad("no json line") }
        var parts: [Part] = []
        for l in lines[2..<(lines.count - 1)] {
            let s = String(decoding: l, as: UTF8.self)
            let fields = s.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3, fields[0] == "part", let id = ObjectID(hex: fields[1]), fields[1].count == 64 else { throw bad("bad part line") }
            let path = String(fields[2])
            if let why = RepoPath.problem(path) { throw bad("part path \(path.debugDescription) has \(why)") }
            if let last = parts.last, !pathLess(last.path, path) { throw bad("part paths are not sorted and unique") }
            parts.append(Part(id: id, path: path))
        }
        return ProfileObject(data: data, parts: parts, json: Array(jsonLine.dropFirst(5)))
    }
}

extension Store {
    /// The profile object of `data`, nil when the store has none.
    public func profileObject(of data: ObjectID) throws -> ProfileObject? {
        let key = ProfileObject.key(for: data)
        guard let loc = locate(key) else { return nil }
        guard loc.entry.kind == .profile else {
            throw CorruptObjectError(id: key, pack: loc.pack.name, reason: "stored as a \(loc.entry.kind), not a profile")
        }
        return try ProfileObject.decode(try read(loc), key: key)
    }

    public func hasProfile(of data: ObjectID) -> Bool { contains(ProfileObject.key(for: data)) }

    /// Stores profile objects in one pack, durable and visible when this returns.
    public func storeProfiles(_ objects: [ProfileObject]) throws {
        let todo = objects.filter { !hasProfile(of: $0.data) }
        guard !todo.isEmpty else { return }
        let w = writer()
        do {
            let c = Compressor()
            for o in todo { try w.put(id: ProfileObject.key(for: o.data), kind: .profile, bytes: o.encode(), compressor: c) }
            try w.finish()
        } catch {
            w.abandon()
            throw error
        }
    }
}

extension Ingester {
    /// Writes profile objects with the data of this ingest (same packs, durable at `finish`).
    public func putProfiles(_ objects: [ProfileObject]) throws {
        try compressors.with { c in
            for o in objects where !self.objects.hasProfile(of: o.data) {
                try writer.put(id: ProfileObject.key(for: o.data), kind: .profile, bytes: o.encode(), compressor: c)
            }
        }
    }
}
