import Foundation

/// A fixed set of worker threads with two lanes: urgent jobs (chunk batches a reading thread waits
/// for) always go before normal ones (whole small files). Unlike GCD's shared pool, a flood of small
/// files can never starve the batches of a large file read at the same time.
final class WorkQueue: @unchecked Sendable {
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

    init(workers: Int) {
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

    static var onWorker: Bool { Thread.current.threadDictionary[workerKey] != nil }

    func submit(urgent isUrgent: Bool = false, _ job: @escaping () -> Void) {
        state.cond.lock()
        if isUrgent { state.urgent.append(job) } else { state.normal.append(job) }
        state.cond.signal()
        state.cond.unlock()
    }

    /// Runs queued jobs on the calling thread until none is left: a thread that would only wait for
    /// the workers works beside them instead (the small files at the end of an add had idled a core).
    func help() {
        while let job = state.next(waiting: false) { job() }
    }

    /// Lets the workers finish what was submitted, then ends them.
    func stop() {
        state.cond.lock(); state.stopping = true; state.cond.broadcast(); state.cond.unlock()
    }

    deinit { stop() }
}
