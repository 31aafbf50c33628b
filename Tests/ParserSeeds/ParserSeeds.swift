import Foundation
import Lineage
import MLOpsBasics
import ObjectStore
import Profiling
import Store
import Workspace

/// Valid encodings of every format git-mlops reads from a clone, a remote or its own cache, made by the
/// real encoders (the pack indexes, multi-pack index and pack records by a real store): the starting
/// points of the parser property tests and the seed corpora of the fuzz targets (scripts/fuzz). Public
/// API only, so that it builds in any configuration.
public enum ParserSeeds {
    /// The fuzz targets, by name, and their seeds.
    public static let targets: [(name: String, seeds: () -> [[UInt8]])] = [
        ("pointer", { pointers }), ("file-manifest", { fileManifests }), ("dir-top", { directoryTops }),
        ("dir-piece", { directoryPieces }), ("pack-index", { store.indexes }), ("multi-index", { store.multiIndexes }),
        ("record-header", { store.recordHeaders }), ("settings", { settings }), ("stat-cache", { statCaches }),
        ("json", { json }), ("note", { notes }), ("yaml", { yaml }), ("profile", { profiles }),
    ]

    static func ids(_ n: Int, _ salt: String) -> [ObjectID] { (0..<n).map { ObjectID.hashing("\(salt)\($0)") } }

    public static let pointers: [[UInt8]] = [
        Pointer(id: .hashing("a"), size: 123, kind: .file),
        Pointer(id: .hashing("b"), size: 1 << 40, kind: .dir, files: 1_000_000),
        Pointer(id: .hashing("c"), size: 0, kind: .file, executable: true, extra: ["zeta": "1", "alpha": "x y"]),
    ].map { Array($0.encode().utf8) }

    public static let fileManifests: [[UInt8]] = [1, 2, 5, 20].map { n in
        let chunks = ids(n, "chunk").enumerated().map { FileManifest.Chunk(id: $1, size: 1000 + $0 * 7) }
        return FileManifest(size: chunks.reduce(0) { $0 + Int64($1.size) }, chunks: chunks).encode()
    }

    static let directories: [DirManifest.Encoded] = [3, 600, 1500].map { n in
        DirManifest(entries: (0..<n).map { DirEntry(path: "d\($0 % 5)/f%\($0) .bin", id: .hashing("\($0)"), size: Int64($0), executable: $0 % 3 == 0) }).encode()
    }

    public static let directoryTops: [[UInt8]] = directories.map(\.top)

    /// The first lines of some pieces: still valid pieces, and small enough to mutate quickly.
    public static let directoryPieces: [[UInt8]] = directories.flatMap { $0.pieces.prefix(2) }.map { piece in
        Array(piece.bytes.split(separator: 0x0a, maxSplits: 6, omittingEmptySubsequences: false).prefix(6).joined(separator: [0x0a])) + [0x0a]
    }

    /// Pack indexes, multi-pack indexes and record headers (with the start of their payload) of a real
    /// store holding three packs of 1, 7 and 40 objects of every kind, and the ids of those objects.
    public static let store: (indexes: [[UInt8]], multiIndexes: [[UInt8]], recordHeaders: [[UInt8]], ids: [ObjectID]) = {
        let root = NSTemporaryDirectory() + "mlops-seeds-" + UUID().uuidString
        defer { try? FS.removeTree(root) }
        var out: (indexes: [[UInt8]], multiIndexes: [[UInt8]], recordHeaders: [[UInt8]], ids: [ObjectID]) = ([IndexFormat.encode([], packSize: 16)], [], [], [])
        do {
            let store = try Store.create(at: root)
            let compressor = Compressor()
            var objects: [(ObjectKind, [UInt8])] = fileManifests.map { (.fileManifest, $0) } + directoryTops.map { (.dirManifest, $0) }
                + directoryPieces.map { (.dirPiece, $0) }
            for i in 0..<40 { objects.append((.chunk, i % 2 == 0 ? Array(repeating: UInt8(i), count: 3000) : Array(ObjectID.hashing("\(i)").bytes))) }
            var next = 0
            for n in [1, 7, 40] {
                let w = store.writer()
                for _ in 0..<n {
                    let (kind, bytes) = objects[next % objects.count]
                    next += 1
                    let id: ObjectID = kind == .fileManifest ? .hashing("file \(next)") : .hashing(bytes)
                    try w.put(id: id, kind: kind, bytes: bytes, compressor: compressor)
                    out.ids.append(id)
                }
                try w.finish()
            }
            try store.maintainMultiIndex(force: true)
            for name in store.packNames {
                out.indexes.append(try FS.readFile("\(store.packsDir)/\(name).idx"))
                let pack = try FS.readFile("\(store.packsDir)/\(name).pack")
                out.recordHeaders.append(Array(pack[PackFormat.headerSize..<min(pack.count, PackFormat.headerSize + PackFormat.recordHeaderSize + 16)]))
            }
            out.multiIndexes.append(try FS.readFile(store.packsDir + "/multi.midx"))
            // Pack names are random: order by content, so that the same seeds come in the same order.
            out.indexes.sort { $0.count < $1.count }
            out.recordHeaders.sort { $0.lexicographicallyPrecedes($1) }
        } catch {
            fatalError("ParserSeeds: cannot build the seed store: \(error)")
        }
        return out
    }()

    /// Profile objects as `add` stores them (kind 5, what a remote hands a clone): of small tables
    /// with numbers, categories, nulls, dates and booleans, and of a directory holding two of them.
    public static let profiles: [[UInt8]] = {
        let root = NSTemporaryDirectory() + "mlops-seeds-" + UUID().uuidString
        defer { try? FS.removeTree(root) }
        let tables = [
            ("a.csv", "id,price,city,when,ok\n" + (0..<300).map { "\($0),\(Double($0 % 37) * 1.25),c\($0 % 5),2024-01-\(10 + $0 % 9),\($0 % 3 == 0)" }.joined(separator: "\n") + "\n"),
            ("b.csv", "x,y\n1,\n,2.5\n-3,1e300\n4,-0.0\n"),
            ("c.jsonl", (0..<50).map { "{\"k\": \($0), \"s\": \"v\($0 % 4)\", \"f\": \($0 % 2 == 0 ? "null" : "0.5")}" }.joined(separator: "\n") + "\n"),
        ]
        do {
            try FS.mkdirs(root)
            var out: [[UInt8]] = []
            var made: [(ProfileObject.Part, Profile)] = []
            for (i, (name, text)) in tables.enumerated() {
                try FS.writeAtomic(root + "/" + name, text, durable: false)
                let profile = try Profiler.profile(file: root + "/" + name, name: name)
                let data = ObjectID.hashing("table \(i)")
                out.append(ProfileObject(data: data, json: profile.encoded).encode())
                if i < 2 { made.append((.init(id: data, path: name), profile)) }
            }
            if let merged = Profile.merge(made.map(\.1)) {
                out.append(ProfileObject(data: .hashing("directory"), parts: made.map(\.0), json: merged.encoded).encode())
            }
            return out
        } catch {
            fatalError("ParserSeeds: cannot profile the seed tables: \(error)")
        }
    }()

    public static let statCaches: [[UInt8]] = {
        let root = NSTemporaryDirectory() + "mlops-seeds-" + UUID().uuidString
        defer { try? FS.removeTree(root) }
        return [1, 2, 20].map { n in
            let path = root + "/stat\(n)"
            let cache = StatCache(path: path)
            for i in 0..<n {
                cache.record("dir/file \(i).bin", FileStat(size: Int64(i), mtimeNs: 1_000 + Int64(i), ctimeNs: 2_000, inode: UInt64(i), mode: 0o100644), .hashing("\(i)"))
                if i % 10 == 0 {
                    cache.recordDirectory("dir\(i)", .init(fingerprint: (UInt64(i), 7), files: i, size: Int64(i), newest: 5, id: .hashing("d\(i)")))
                }
            }
            do {
                try cache.save()
                return try FS.readFile(path)
            } catch {
                fatalError("ParserSeeds: cannot write a stat cache: \(error)")
            }
        }
    }()

    public static let settings: [[UInt8]] = [
        "# git-mlops settings\n[core]\n\tversion = 1\n\tremote = origin\n[remote \"origin\"]\n\turl = s3://bucket/prefix\n\tendpoint = http://127.0.0.1:9000\n\tregion = us-east-1\n",
        "[core]\n\tversion = 1\n[remote \"backup\"]\n\turl = /mnt/backup\n\tautopush\n[remote \"x y\"]\n\turl = \"quoted \\\" value\" ; comment\n",
        "[core]\n\tversion = 1\n\tremote = a\n[remote \"a\"]\n\turl = ../elsewhere\n[remote.b]\n\turl = c\n",
    ].map { Array($0.utf8) }

    /// A run record with every field, as a note line.
    public static let record = #"{"cmd":"python3 train.py","code":{"commit":"0123456789abcdef0123456789abcdef01234567","deps":[{"blob":"e69de29bb2d1d6434b8b29ae775ad8c2e48c5391","path":"train.py"},{"digest":"ab","files":3,"path":"src"}],"dirty":false},"duration":1.25,"env":{"git_mlops":"0.1"},"exit":0,"id":"00112233aabbccdd","inputs":[{"files":2,"oid":"sha256:\#(String(repeating: "a", count: 64))","path":"data","size":10,"type":"dir"}],"key":"ff","metric_files":[{"blob":"aa","oid":"sha256:\#(String(repeating: "b", count: 64))","path":"m.json","size":3,"type":"file"}],"metrics":{"m.json":{"acc":0.5,"n":[1,2,{"x":-1e-5}]}},"outputs":[{"oid":"sha256:\#(String(repeating: "c", count: 64))","path":"model.npy","size":9,"type":"file"}],"params":{"train.lr":0.1,"train.name":"r\u00e9s\ud83d\ude00\n"},"schema":"https://git-mlops.dev/spec/run/v1","stage":"train","started":"2025-06-01T12:00:03.123Z","user":"u"}"#

    public static let json: [[UInt8]] = [
        record, "[]", "{}", "[1, -2.5e3, true, false, null, \"\\u0041\\t\\\\\"]", "{\"a\": {\"b\": [[[]]]}, \"c\": 9223372036854775807}",
        "\"\\ud83d\\ude00 \\ud800 x\"", "-0.0", "123456789012345678901234567890",
    ].map { Array($0.utf8) }

    public static let notes: [[UInt8]] = [
        record + "\n",
        record + "\n" + record.replacingOccurrences(of: "00112233aabbccdd", with: "ffeeddccbbaa9988") + "\n",
        "not json\n" + record + "\n\n  \n{\"schema\":\"https://git-mlops.dev/spec/run/v2\",\"id\":\"1\",\"stage\":\"s\",\"cmd\":\"c\",\"duration\":1e300}\n",
    ].map { Array($0.utf8) }

    public static let yaml: [[UInt8]] = [
        "train:\n  lr: 0.05\n  epochs: 20\n  layers: [{units: 8}, {units: 4}]\nprepare: {seed: 7, split: 0.8}\n",
        "defaults: &d\n  lr: 0.1\n  tags: [a, b]\ntrain:\n  <<: *d\n  name: &n \"resnet\"\nmodel: *d\nlist:\n  - *n\n  - ~\n  - 0x1f\n  - 1e3\n  - .inf\n",
        "# comment\n? plain\n: |\n  block\n  text\nfolded: >\n  a\n  b\nq: 'single'' quote'\nd: \"esc \\t \\u00e9\"\n",
        "stages:\n  prepare:\n    cmd: python3 prepare.py\n    deps:\n      - prepare.py\n      - data/raw.csv\n    params:\n      - prepare.seed\n      - cfg.json:model.depth\n      - extra.yaml: [a, b.c]\n    outs:\n      - data/prepared\n  train:\n    cmd: [python3 train.py, echo done]\n    wdir: src\n    deps: [../data/prepared]\n    outs: [model.npy]\n    metrics: [metrics.json]\n",
        "a0: &a0 [x, x, x]\na1: &a1 [*a0, *a0, *a0]\na2: &a2 [*a1, *a1, *a1]\n",
        "ints: [0x1f, 0b101, 0o17, 017, 1_000, +7]\nfloats: [1:30.5, .5, -.inf, .NaN, 6.02e+23]\nflags: [yes, Off, ~]\n",
        "time: 1:30:00\n",
    ].map { Array($0.utf8) }
}
