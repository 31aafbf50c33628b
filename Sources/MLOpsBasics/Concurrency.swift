import Foundation

// The small concurrency kit every layer shares: a work queue with an urgent lane, values computed on
// a worker, a fixed pool of buffers, per-thread reusable objects, the first error of many jobs, and
// a bounded parallel loop.

/// A fixed set of worker threads with two lanes: urgent jobs (chunk batches a reading thread waits
/// for) always go before normal ones (whole small files). Unlike GCD's shared pool, a flood of small
/// files can never starve the batches of a large file read at the same time.
public final class WorkQueue: @unchecked Sendable {
    /// What the workers share; they hold it (not the queue), so the queue can go away first.
    private final class State: @unchecked Sendable {
        let cond = NSCondition()
        var urgent: [() -> Void] = [], normal: [() -> Void] = []
        var urgentHead = 0, normalHead = 0
        var stopping = false

        func next(waiting: Bool = true) -> (() -> Void)? {
            cond.lock(); defer { cond.unlock() }
            while waiting && urgentHead == urgent.count && normalHead == normal.count && !stopping { cond.wait() }
            if urgentHead < urgent.count {
                let job = urgent[urgentHead]; urgentHead += 1
                if urgentHead > 1024 { urgent.removeFirst(urgentHead); urgentHead = 0 }
                return job
            }
            if normalHead < normal.count {
                let job = normal[normalHead]; normalHead += 1
                if normalHead > 4096 { normal.removeFirst(normalHead); normalHead = 0 }
                return job
            }
            return nil
        }
    }

    private let state = State()
    /// Set on worker threads, so that work started there runs inline instead of waiting on a worker.
    static let workerKey = "git-mlops.worker"

    public init(workers: Int) {
        for i in 0..<max(1, workers) {
            let s = state
            let t = Thread {
                Thread.current.threadDictionary[WorkQueue.workerKey] = true
                while let job = s.next() { job() }
            }
            t.name = "git-mlops worker \(i)"
            t.start()
        }
    }

    public static var onWorker: Bool { Thread.current.threadDictionary[workerKey] != nil }

    public func submit(urgent isUrgent: Bool = false, _ job: @escaping () -> Void) {
        state.cond.lock()
        if isUrgent { state.urgent.append(job) } else { state.normal.append(job) }
        state.cond.signal()
        state.cond.unlock()
    }

    /// Runs queued jobs on the calling thread until none is left: a thread that would only wait for
    /// the workers works beside them instead (the small files at the end of an add had idled a core).
    public func help() {
        while let job = state.next(waiting: false) { job() }
    }

    /// Lets the workers finish what was submitted, then ends them.
    public func stop() {
        state.cond.lock(); state.stopping = true; state.cond.broadcast(); state.cond.unlock()
    }

    deinit { stop() }
}

/// A value computed on a worker, for whoever waits for it. Started on a worker itself, it runs inline
/// (waiting for another worker from there could deadlock).
public final class Pending<T>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var result: Swift.Result<T, Error>?

    public init(on work: WorkQueue, _ body: @escaping () throws -> T) {
        if WorkQueue.onWorker {
            result = Swift.Result(catching: body)
            done.signal()
        } else {
            work.submit { [self] in result = Swift.Result(catching: body); done.signal() }
        }
    }

    public func wait() throws -> T {
        done.wait()
        done.signal()
        return try result!.get()
    }
}

/// A buffer handed from one thread to another, which alone uses it until it gives it back.
public struct SendablePointer: @unchecked Sendable {
    public let pointer: UnsafeMutableRawPointer
    public init(_ p: UnsafeMutableRawPointer) { pointer = p }
}

/// A fixed set of equal buffers: `take` waits until one is free.
public final class BufferPool: @unchecked Sendable {
    private var free_: [UnsafeMutableRawPointer]
    private var all: [UnsafeMutableRawPointer]
    private let lock = NSLock()
    private let available: DispatchSemaphore

    public init(count: Int, size: Int) {
        all = (0..<count).map { _ in UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64) }
        free_ = all
        available = DispatchSemaphore(value: count)
    }

    public func take() -> UnsafeMutableRawPointer {
        available.wait()
        lock.lock(); defer { lock.unlock() }
        return free_.removeLast()
    }

    public func give(_ p: UnsafeMutableRawPointer) {
        lock.lock(); free_.append(p); lock.unlock()
        available.signal()
    }

    /// Releases the memory; every buffer must have been given back.
    public func free() { for p in all { p.deallocate() } }
}

/// A small pool of reusable per-thread objects (zstd contexts, read buffers).
public final class Pool<T>: @unchecked Sendable {
    private var items: [T] = []
    private let lock = NSLock()
    private let make: () -> T
    public init(_ make: @escaping () -> T) { self.make = make }
    @discardableResult
    public func with<R>(_ body: (T) throws -> R) rethrows -> R {
        lock.lock()
        let item = items.popLast() ?? make()
        lock.unlock()
        defer { lock.lock(); items.append(item); lock.unlock() }
        return try body(item)
    }
}

/// The first error of many jobs, and whether any failed (so that the others stop early).
public final class FirstError: @unchecked Sendable {
    private let lock = NSLock()
    public private(set) var error: Error?
    private var _failed = false

    public init() {}

    public var failed: Bool { lock.lock(); defer { lock.unlock() }; return _failed }

    public func fail(_ e: Error) {
        lock.lock()
        if error == nil { error = e }
        _failed = true
        lock.unlock()
    }
}

public final class AtomicCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    public init() {}
    /// Returns the value before incrementing.
    public func increment() -> Int { lock.lock(); defer { lock.unlock() }; value += 1; return value - 1 }
}

/// Runs `count` jobs on up to `width` threads; the first error stops the rest and is rethrown.
public func parallel(_ count: Int, width: Int, _ body: @escaping (Int) throws -> Void) throws {
    guard count > 0 else { return }
    let next = AtomicCounter()
    let errors = FirstError()
    DispatchQueue.concurrentPerform(iterations: max(1, min(width, count))) { _ in
        while !errors.failed {
            let i = next.increment()
            guard i < count else { return }
            do { try body(i) } catch { errors.fail(error) }
        }
    }
    if let e = errors.error { throw e }
}
