import Foundation
import MLOpsBasics

/// Objects this process's unfinished write sessions have appended, and where: each `PackWriter`
/// records what it appends here, and the database looks here after its indexes. The flow goes one
/// way: a writer asks the database (once per object) and records into this table; the database reads
/// the table and holds no writer. A session's entries go when it ends, after its packs are visible.
///
/// Reading a pending object needs its bytes in the pack file, not in a buffer: each session hands the
/// table a `makeReadable` step for that, which the database runs before it returns such a location.
final class PendingObjects: @unchecked Sendable {
    private struct Session {
        var objects: [ObjectID: ObjectLocation] = [:]
        let makeReadable: (ObjectLocation) -> Void
    }

    private let lock = NSLock()
    private var sessions: [Int: Session] = [:]
    private var nextSession = 0

    /// Starts a session; `makeReadable` writes out whatever of a location's record is still buffered.
    func open(makeReadable: @escaping (ObjectLocation) -> Void) -> Int {
        lock.lock(); defer { lock.unlock() }
        nextSession += 1
        sessions[nextSession] = Session(makeReadable: makeReadable)
        return nextSession
    }

    /// Forgets a session's objects: its packs are sealed and visible, or abandoned.
    func close(_ session: Int) {
        lock.lock(); sessions[session] = nil; lock.unlock()
    }

    /// Whether `session` has appended `id`.
    func holds(_ id: ObjectID, in session: Int) -> Bool {
        lock.lock(); defer { lock.unlock() }
        return sessions[session]?.objects[id] != nil
    }

    /// Records that `session` appends `id` at `location`.
    func record(_ id: ObjectID, at location: ObjectLocation, in session: Int) {
        lock.lock(); sessions[session]?.objects[id] = location; lock.unlock()
    }

    /// Where some session put `id`, and how to make its bytes readable.
    func find(_ id: ObjectID) -> (location: ObjectLocation, makeReadable: (ObjectLocation) -> Void)? {
        lock.lock(); defer { lock.unlock() }
        for s in sessions.values {
            if let loc = s.objects[id] { return (loc, s.makeReadable) }
        }
        return nil
    }
}
