import Foundation
import MLOpsBasics
import ObjectStore
import Store
@testable import Transfer
import TestSupport
import Testing

/// Runs actors (threads) one backend call at a time, in an order drawn from a seed, on a simulated
/// clock. Every actor blocks at each yield point until the scheduler hands it the turn, so the order of
/// calls and the clock are a function of the seed (pack names are random, so not everything is).
final class Scheduler: @unchecked Sendable {
    private let lock = NSLock()
    private var rng: SplitMix
    private var go: [DispatchSemaphore] = []
    private let back = DispatchSemaphore(value: 0)
    private var finished = Set<Int>()
    /// Latest time the clock may reach while an actor has a pending bound (see `cap`).
    private var caps: [String: Date] = [:]
    private var time = Date(timeIntervalSince1970: 1_700_000_000)
    let grace: TimeInterval
    private(set) var steps = 0

    init(seed: UInt64, grace: TimeInterval) {
        rng = SplitMix(seed)
        self.grace = grace
    }

    var now: Date { lock.lock(); defer { lock.unlock() }; return time }

    func random(_ n: Int) -> Int { lock.lock(); defer { lock.unlock() }; return Int(rng.next() % UInt64(n)) }

    /// Keeps the clock at or before `date` until `cap(key, nil)`.
    func cap(_ key: String, _ date: Date?) { lock.lock(); caps[key] = date; lock.unlock() }

    /// Gives the turn back and blocks until the scheduler gives `actor` the turn again.
    func yield(_ actor: Int) {
        back.signal()
        go[actor].wait()
    }

    /// Runs `count` actors to completion; `step` is called between turns, with every actor blocked.
    func run(_ count: Int, _ body: @escaping @Sendable (Int) -> Void, step: () -> Void) {
        go = (0..<count).map { _ in DispatchSemaphore(value: 0) }
        for i in 0..<count {
            Thread.detachNewThread { [self] in
                go[i].wait()
                body(i)
                lock.lock(); finished.insert(i); lock.unlock()
                back.signal()
            }
        }
        while true {
            lock.lock()
            let ready = (0..<count).filter { !finished.contains($0) }
            lock.unlock()
            if ready.isEmpty { return }
            step()
            lock.lock()
            // Time passes at random, in jumps up to several grace periods, within every pending bound.
            if rng.next() % 3 == 0 {
                let jumps: [Double] = [0.05, 0.3, 0.7, 1.2, 2.5]
                var next = time.addingTimeInterval(grace * jumps[Int(rng.next() % UInt64(jumps.count))])
                if let limit = caps.values.min() { next = min(next, max(time, limit)) }
                time = next
            }
            let pick = ready[Int(rng.next() % UInt64(ready.count))]
            steps += 1
            lock.unlock()
            go[pick].signal()
            back.wait()
        }
    }
}

struct SplitMix {
    var state: UInt64
    init(_ seed: UInt64) { state = seed &* 0x9E3779B97F4A7C15 &+ 1 }
    mutating func next() -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }
}

/// A scratch directory in memory (`/dev/shm`) where there is one: local stores fsync what they seal,
/// which on a disk would cost most of the time of these many short schedules.
final class MemoryDir {
    let path: String
    init() {
        let base = FS.isDirectory("/dev/shm") && access("/dev/shm", W_OK) == 0 ? "/dev/shm/" : NSTemporaryDirectory()
        path = base + "mlops-race-" + UUID().uuidString
        try! FS.mkdirs(path)
    }
    deinit { try? FS.removeTree(path) }
}

/// One actor's view of the shared remote: each call first waits for the actor's turn.
final class ScheduledBackend: RemoteBackend, @unchecked Sendable {
    let inner: MemoryBackend
    let actor: Int
    let scheduler: Scheduler

    init(_ inner: MemoryBackend, actor: Int, scheduler: Scheduler) {
        self.inner = inner; self.actor = actor; self.scheduler = scheduler
    }

    var url: String { inner.url }
    func list(prefix: String) throws -> [RemoteFile] { scheduler.yield(actor); return try inner.list(prefix: prefix) }
    func get(_ name: String) throws -> [UInt8] { scheduler.yield(actor); return try inner.get(name) }
    func get(_ name: String, range: Range<Int64>) throws -> [UInt8] { scheduler.yield(actor); return try inner.get(name, range: range) }
    func put(_ name: String, bytes: [UInt8]) throws { scheduler.yield(actor); try inner.put(name, bytes: bytes) }
    /// Uploading a pack takes long: others run many steps meanwhile.
    func putFile(_ name: String, from path: String) throws {
        for _ in 0..<12 { scheduler.yield(actor) }
        try inner.putFile(name, from: path)
    }
    func delete(_ name: String) throws { scheduler.yield(actor); try inner.delete(name) }
    func isRetriable(_ error: Error) -> Bool { false }
}

/// Pushers and remote collectors interleaved call by call: after every step of every schedule, each
/// object that a published ref reaches is on the remote (in view, or in a retired pack that the next
/// collection brings back), and at the end a fresh clone fetches every published ref whole.
@Suite struct RemoteGCRaceTests {
    /// Files and directories (some sharing content) ingested once; each pusher holds a subset.
    final class World: @unchecked Sendable {
        let tmp = MemoryDir()
        var items: [ObjectID] = []
        var closures: [ObjectID: Set<ObjectID>] = [:]
        /// Template stores, copied fresh for each schedule: the whole pool, and each pusher's part.
        var pusherTemplates: [String] = []

        static let pushers = 3

        init() throws {
            var paths: [String] = []
            for i in 0..<8 {
                let p = tmp.path + "/src/f\(i).bin"
                try FS.mkdirs(dirname(p))
                try FS.writeAtomic(p, randomBytes(90_000 + i * 20_000, seed: UInt64(100 + i)), durable: false)
                paths.append(p)
            }
            // Two directories that reuse files of the pool, and a small file of their own each.
            for d in 0..<2 {
                let dir = tmp.path + "/src/d\(d)"
                try FS.mkdirs(dir)
                for k in 0..<2 { try FS.writeAtomic(dir + "/f\(k)", try FS.readFile(paths[d * 3 + k]), durable: false) }
                try FS.writeAtomic(dir + "/own", randomBytes(3000 + d, seed: UInt64(900 + d)), durable: false)
                paths.append(dir)
            }
            let pool = try Store.create(at: tmp.path + "/pool")
            items = try ingest(paths, into: pool)
            for id in items { closures[id] = pool.closure(of: [id]).objects }
            for k in 0..<World.pushers {
                let path = tmp.path + "/pusher\(k)"
                let chosen = paths.indices.filter { $0 % World.pushers == k || $0 % 4 == k }
                _ = try ingest(chosen.map { paths[$0] }, into: try Store.create(at: path))
                pusherTemplates.append(path)
            }
        }

        private func ingest(_ paths: [String], into store: Store) throws -> [ObjectID] {
            let ing = Ingester(store: store, statCache: nil)
            let ids = try paths.map { FS.isDirectory($0) ? try ing.directory(at: $0, keyPrefix: nil).id : try ing.file(at: $0, key: nil).id }
            try ing.finish()
            return ids
        }

        /// A fresh store holding what the template holds.
        func copy(_ template: String, to path: String) throws -> Store {
            let store = try Store.create(at: path)
            for e in try FS.listDirectory(template + "/packs") {
                try FS.writeAtomic(path + "/packs/" + e.name, try FS.readFile(template + "/packs/" + e.name), durable: false)
            }
            try store.reload()
            return store
        }
    }

    static let world = Result { try World() }

    /// Everything a reader can still get: objects of visible packs and of retired packs whose file
    /// exists. `known` caches each pack's objects (an index never changes once written).
    static func available(_ remote: MemoryBackend, known: inout [String: [ObjectID]]) -> Set<ObjectID> {
        let names = Set(remote.names)
        var out = Set<ObjectID>()
        for n in names where n.hasSuffix(".idx") && (n.hasPrefix("packs/") || n.hasPrefix("trash/")) {
            let name = String(n.split(separator: "/")[1].dropLast(4))
            guard names.contains("packs/\(name).pack") else { continue }
            if known[name] == nil, let bytes = try? remote.get(n) {
                known[name] = bytes.withUnsafeBytes { p in
                    guard let (count, _) = IndexFormat.validate(p, checksum: true) else { return [] }
                    return (0..<count).map { IndexFormat.entry(p.baseAddress!, $0).id }
                }
            }
            out.formUnion(known[name] ?? [])
        }
        return out
    }

    struct Outcome { var pushes = 0, published = 0, resent = 0, retired = 0, deleted = 0, rescued = 0, failedPushes = 0 }

    /// One schedule: 3 pushers (push a root, publish a ref to it; sometimes delete a ref) and 2
    /// collectors (fetch the refs, then `gc --remote`), `ops` operations each.
    static func schedule(seed: UInt64, world: World, ops: Int) throws -> Outcome {
        let grace: TimeInterval = 3600
        let sched = Scheduler(seed: seed, grace: grace)
        let remote = MemoryBackend()
        remote.now = { sched.now }
        let tmp = MemoryDir()
        let actors = World.pushers + 2
        var transfers: [Transfer] = []
        for a in 0..<actors {
            let store = a < World.pushers ? try world.copy(world.pusherTemplates[a], to: tmp.path + "/a\(a)")
                                          : try Store.create(at: tmp.path + "/a\(a)")
            let b = ScheduledBackend(remote, actor: a, scheduler: sched)
            transfers.append(Transfer(store: store, remote: try RemoteStore(backend: b, cacheDir: tmp.path + "/c\(a)",
                                                                           retry: RetryPolicy(attempts: 1, baseDelay: 0), parallelism: 1)))
        }
        final class Shared: @unchecked Sendable {
            let lock = NSLock()
            var published: [String: ObjectID] = [:]
            var outcome = Outcome()
            var failures: [String] = []
        }
        let shared = Shared()
        let lock = shared.lock
        let transfersNow = transfers
        var known: [String: [ObjectID]] = [:]
        sched.run(actors, { a in
            let transfers = transfersNow
            let lock = shared.lock
            let t = transfers[a]
            for k in 0..<ops {
                if a >= World.pushers {
                    // A collector: current refs first ("fetch first"), then both phases; a run ends within the grace period.
                    let start = sched.now
                    sched.cap("run \(a)", start.addingTimeInterval(grace - 1))
                    lock.lock(); let roots = Array(Set(shared.published.values)).sorted(); lock.unlock()
                    do {
                        let r = try t.collectGarbage(roots: roots, grace: grace, dryRun: false, now: start)
                        lock.lock()
                        shared.outcome.retired += r.packsRetired; shared.outcome.deleted += r.packsDeleted; shared.outcome.rescued += r.objectsRescued
                        lock.unlock()
                    } catch {
                        // Two collectors may race for the same pack; a failed run leaves things as they were.
                    }
                    sched.cap("run \(a)", nil)
                    for _ in 0..<6 { sched.yield(a) }  // a while between two collections
                } else if sched.random(3) == 0 {
                    lock.lock(); let refs = shared.published.keys.sorted()
                    if !refs.isEmpty { shared.published[refs[sched.random(refs.count)]] = nil }
                    lock.unlock()
                } else {
                    // Mostly what this pusher holds; sometimes a root it only knows by name.
                    let own = world.items.filter { t.store.contains($0) }
                    let root = sched.random(5) > 0 && !own.isEmpty ? own[sched.random(own.count)] : world.items[sched.random(world.items.count)]
                    let local = t.store.closure(of: [root])
                    do {
                        let r = try t.push(local.objects.union(local.missing).union([root]))
                        lock.lock(); shared.outcome.pushes += 1; shared.outcome.resent += r.resent; lock.unlock()
                    } catch {
                        lock.lock(); shared.outcome.failedPushes += 1; lock.unlock()
                        continue
                    }
                    // The ref lands within the grace period after the push returns.
                    sched.cap("publish \(a)", sched.now.addingTimeInterval(grace - 1))
                    sched.yield(a)
                    lock.lock(); shared.published["r\(a)-\(k)"] = root; shared.outcome.published += 1; lock.unlock()
                    sched.cap("publish \(a)", nil)
                }
                sched.yield(a)
            }
        }, step: {
            let have = available(remote, known: &known)
            lock.lock(); defer { lock.unlock() }
            for (ref, root) in shared.published.sorted(by: { $0.key < $1.key }) where shared.failures.isEmpty {
                let gone = world.closures[root]!.subtracting(have)
                if !gone.isEmpty { shared.failures.append("seed \(seed): ref \(ref) lost \(gone.count) objects of \(root.short)") }
            }
        })
        if let f = shared.failures.first { Issue.record(Comment(rawValue: f)); return shared.outcome }

        // A fresh clone fetches every published ref whole.
        let reader = Transfer(store: try Store.create(at: tmp.path + "/reader"),
                              remote: try RemoteStore(backend: remote, cacheDir: tmp.path + "/reader-cache", parallelism: 1))
        let roots = Array(Set(shared.published.values)).sorted()
        let fetched = try reader.fetch(roots: roots)
        #expect(fetched.missing.isEmpty, "seed \(seed): \(fetched.missing.count) objects missing")
        #expect(reader.store.closure(of: roots).missing.isEmpty, "seed \(seed)")
        return shared.outcome
    }

    @Test func noPublishedObjectIsLostWhatEverTheInterleaving() throws {
        let world = try RemoteGCRaceTests.world.get()
        var total = Outcome()
        for seed in UInt64(1)...150 {
            let o = try RemoteGCRaceTests.schedule(seed: seed, world: world, ops: 4)
            total.pushes += o.pushes; total.published += o.published; total.resent += o.resent
            total.retired += o.retired; total.deleted += o.deleted; total.rescued += o.rescued
            total.failedPushes += o.failedPushes
        }
        // The schedules did exercise the race: packs retired and deleted under pushers, objects re-sent and rescued.
        #expect(total.published > 200 && total.retired > 50 && total.deleted > 20, "\(total)")
        #expect(total.resent > 0 && total.rescued > 0, "\(total)")
    }
}
