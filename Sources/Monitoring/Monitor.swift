import Catalog
import Foundation
import GitBridge
import Lineage
import MLOpsBasics
import Profiling
import Workspace

/// What `git mlops monitor` was asked.
public struct MonitorRequest: Sendable {
    /// `NAME#STAGE` or `NAME@VERSION`.
    public var model: String
    /// Files, or `-` for standard input.
    public var inputs: [String]
    /// Keep reading a growing log, closing a window every `window` records, until SIGTERM or SIGINT.
    public var follow = false
    /// Records per window when following.
    public var window: Int64?
    /// Where to write the figures for Prometheus.
    public var openMetrics: String?
    /// Record snapshots in the notes.
    public var recordNotes = true
    /// Following: seconds between notes recorded because the alerts changed.
    public var noteInterval: Double = 600

    public static let defaultWindow: Int64 = 10_000

    public init(model: String, inputs: [String]) {
        self.model = model
        self.inputs = inputs
    }
}

/// Reads live records, compares each window with the training data of a model version, and says so:
/// OpenMetrics file, snapshot notes, and the caller's report (docs/monitoring.md).
public final class Monitor {
    public let request: MonitorRequest
    public let model: MonitoredModel
    let plan: Plan
    let notices: Notices
    let repo: Repo
    private var descriptors: [(name: String, fd: Int32)] = []
    private var windows = 0
    private var lastRecordedAlerts: Set<String>?
    private var lastNoteTime: Double = 0

    /// Everything is checked before anything is read or written: the inputs open, the model resolves
    /// to a version with a recorded training run, and that run's data has a profile.
    /// `baselines` answer before the stored profiles and the data itself.
    public init(_ request: MonitorRequest, cwd: String = FS.currentDirectory, baselines: [any BaselineProfiles] = [],
                warn: @escaping (String) -> Void = { Terminal.warn($0) }) throws {
        self.request = request
        notices = Notices(print: warn)
        if request.follow {
            guard request.inputs.count == 1 else {
                throw MLOpsError("--follow reads one input (a log file, or - for standard input)", hint: "run one monitor per log", exitCode: 129)
            }
            let n = request.inputs[0].lowercased()
            if n.hasSuffix(".gz") || n.hasSuffix(".zst") {
                throw MLOpsError("--follow reads a growing log, not a compressed file (\(request.inputs[0]))", hint: "monitor it without --follow", exitCode: 129)
            }
        }
        if request.inputs.filter({ $0 == "-" }).count > 1 {
            throw MLOpsError("standard input (-) is named twice", hint: "name it once", exitCode: 129)
        }
        do {
            for path in request.inputs where !(request.follow && path != "-") {
                descriptors.append((path == "-" ? "stdin" : path, try InputOpener.openDescriptor(path)))
            }
            if request.follow && request.inputs[0] != "-" {
                Glibc.close(try InputOpener.openDescriptor(request.inputs[0]))
            }
            if let om = request.openMetrics {
                let dir = dirname(om).isEmpty ? "." : dirname(om)
                guard FS.isDirectory(dir) else {
                    throw MLOpsError("--openmetrics \(om): no directory \(dir)", hint: "create it, or name a file in an existing directory")
                }
            }
            let registry = try ModelRegistry(cwd: cwd)
            guard let repo = registry.repo else {
                throw MLOpsError("git-mlops is not set up in \(registry.git.workdir)", hint: "run `git mlops init`")
            }
            self.repo = repo
            let settings = try MonitorSettings.load(root: repo.root)
            model = try MonitoredModel.resolve(request.model, registry: registry, settings: settings)
            let profile = try model.baseline(FirstBaseline(baselines + [StoredProfiles(repo: repo), ProfilesFromData(repo: repo)]))
            plan = try Plan(profile: profile, settings: settings)
        } catch {
            for d in descriptors where d.fd > 2 { Glibc.close(d.fd) }
            throw error
        }
    }

    deinit {
        for d in descriptors where d.fd > 2 { Glibc.close(d.fd) }
    }

    /// Warnings about the live records so far.
    public var warnings: [String] { notices.messages }

    /// Reads the inputs: once to their end, or, following, until asked to stop. `report` gets each
    /// window's snapshot, after its OpenMetrics file and note are written. Returns the last snapshot.
    @discardableResult
    public func run(_ report: @escaping (Snapshot) -> Void) throws -> Snapshot {
        request.follow ? try follow(report) : try once(report)
    }

    private func once(_ report: (Snapshot) -> Void) throws -> Snapshot {
        let collector = Collector(plan: plan, limit: nil)
        for (name, fd) in descriptors {
            let feed = Feed(name: name, input: try InputOpener.text(fd: fd, name: name), plan: plan, notices: notices, collector: collector)
            while try feed.step() > 0 {}
            feed.finish()
        }
        let (w, total) = collector.rollCurrent()
        let snapshot = try finishWindow(w, total: total, final: true)
        report(snapshot)
        return snapshot
    }

    private func follow(_ report: @escaping (Snapshot) -> Void) throws -> Snapshot {
        StopRequest.install()
        let path = request.inputs[0]
        let isStdin = path == "-"
        let input: ByteSource = isStdin ? DescriptorInput(fd: 0, name: "stdin") : try FollowedFile(path: path)
        let name = isStdin ? "stdin" : path
        let collector = Collector(plan: plan, limit: max(1, request.window ?? MonitorRequest.defaultWindow))
        var last: Snapshot?
        var failure: Error?
        collector.onFull = { [unowned self] w, total in
            guard failure == nil else { return }
            do {
                let s = try finishWindow(w, total: total, final: false)
                last = s
                report(s)
            } catch {
                failure = error
            }
        }
        let feed = Feed(name: name, input: input, plan: plan, notices: notices, collector: collector)
        var ended = false
        func restartedLog() {
            guard let f = input as? FollowedFile, f.restarted else { return }
            f.restarted = false
            if feed.held > 0 {
                notices.once("cut:\(feed.held)", "\(name): the log was \(f.lastRestart) after a line without its end (\(feed.held) bytes); that line is not counted")
            }
            feed.restart()
        }
        while failure == nil && !StopRequest.requested {
            if isStdin && !StopRequest.wait(fd: 0, ms: 200) { continue }
            let n = try feed.step(arrival: true)
            if n == 0 {
                if isStdin { ended = true; break }
                if (input as? FollowedFile)?.restarted == true { restartedLog(); continue }
                StopRequest.wait(fd: nil, ms: 100)
            }
        }
        if let failure { throw failure }
        // Stopping: what was written before the signal is read, then the window is closed as it is.
        if ended {
            feed.finish()
        } else {
            while true {
                if try feed.step(arrival: true) > 0 { continue }
                if (input as? FollowedFile)?.restarted == true { restartedLog(); continue }
                break
            }
            if feed.held > 0 {
                notices.once("held", "\(name): the last line has no line end yet (\(feed.held) bytes); not counted")
            }
        }
        if collector.window.records > 0 || collector.window.malformed > 0 || last == nil {
            collector.onFull = nil
            let (w, total) = collector.rollCurrent()
            let s = try finishWindow(w, total: total, final: true)
            last = s
            report(s)
        } else if let s = last, request.recordNotes, Set(s.alerts.map(\.title)) != lastRecordedAlerts {
            // Stopped on a window's end: the last window's alerts, held back by the interval, are noted.
            recordNote(s)
        }
        return last!
    }

    /// The snapshot of a closed window: OpenMetrics file first, then the note, as the request says.
    private func finishWindow(_ w: Window, total: Int64, final: Bool) throws -> Snapshot {
        windows += 1
        for (i, f) in plan.features.enumerated() where w.records > 0 && w.features[i].keySeen == 0 {
            notices.once("missing:\(f.name)", "feature '\(f.name)' is in no live record; it counts as missing (an alert)")
        }
        let info = Snapshot.WindowInfo(index: windows, records: w.records, malformed: w.malformed,
                                       inputs: request.inputs.map { $0 == "-" ? "stdin" : $0 },
                                       started: Snapshot.iso(w.started), ended: Snapshot.now(), follow: request.follow)
        let snapshot = Snapshot(id: Snapshot.newID(), model: model, at: info.ended, window: info, figures: Evaluate.figures(w))
        if let path = request.openMetrics {
            try OpenMetrics.write(OpenMetrics.text(OpenMetrics.families(snapshot, records: total, windows: windows)), to: path)
        }
        // Following, a note is kept for the first window, when the set of alerts changes (at most once
        // per `noteInterval`, so flapping alerts cannot grow the note past what readers accept), and
        // at the end: days of traffic make a bounded number of lines, not one per window.
        let alerts = Set(snapshot.alerts.map(\.title))
        let changed = lastRecordedAlerts != alerts
            && (lastRecordedAlerts == nil || Date().timeIntervalSince1970 - lastNoteTime >= request.noteInterval)
        if request.recordNotes && (!request.follow || final || changed) { recordNote(snapshot) }
        return snapshot
    }

    private func recordNote(_ snapshot: Snapshot) {
        do {
            try Journal(repo: repo).appendLines([snapshot.line], to: model.commit)
            lastRecordedAlerts = Set(snapshot.alerts.map(\.title))
            lastNoteTime = Date().timeIntervalSince1970
        } catch {
            notices.once("note", "could not record the snapshot in the notes (\(error)); the figures are still reported")
        }
    }
}

/// Bytes of one input through a buffer into its record reader; the buffer holds at most one
/// unfinished record beyond what has been read.
final class Feed {
    static let chunk = 1 << 20

    let name: String
    let input: ByteSource
    let plan: Plan
    let notices: Notices
    let collector: Collector
    private var reader: RecordReader?
    private var buffer: UnsafeMutableRawPointer
    private(set) var capacity: Int
    private var count = 0

    init(name: String, input: ByteSource, plan: Plan, notices: Notices, collector: Collector) {
        self.name = name
        self.input = input
        self.plan = plan
        self.notices = notices
        self.collector = collector
        capacity = Feed.chunk
        buffer = .allocate(byteCount: capacity, alignment: 64)
    }

    deinit { buffer.deallocate() }

    /// Bytes held: the start of a record whose end has not been read.
    var held: Int { count }

    /// Reads once and hands over the complete records; returns the bytes read (0: nothing now).
    func step(arrival: Bool = false) throws -> Int {
        if capacity - count < Feed.chunk / 2 {
            // A record longer than the buffer: grow it (the reader stops at its record limit).
            let bigger = UnsafeMutableRawPointer.allocate(byteCount: capacity * 2, alignment: 64)
            bigger.copyMemory(from: buffer, byteCount: count)
            buffer.deallocate()
            buffer = bigger
            capacity *= 2
        }
        let n = try input.read(into: buffer + count, count: capacity - count)
        guard n > 0 else { return 0 }
        count += n
        if arrival { collector.window.arrived(at: Date().timeIntervalSince1970) }
        process(atEOF: false)
        if arrival { collector.window.arrived(at: Date().timeIntervalSince1970) }
        return n
    }

    /// The end of the input: a last record without a line end counts.
    func finish() { process(atEOF: true) }

    /// The log started again: bytes held from before are dropped, and the reader starts again.
    func restart() {
        count = 0
        reader?.restart()
    }

    private func process(atEOF: Bool) {
        guard count > 0 else { return }
        if reader == nil {
            let head = Array(UnsafeRawBufferPointer(start: buffer, count: min(count, 64)))
            guard atEOF || head.contains(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D }) else { return }
            reader = RecordReader(name: name, format: LiveFormat.detect(name: name, firstBytes: head), plan: plan, notices: notices, collector: collector)
        }
        let used = reader!.consume(UnsafeRawBufferPointer(start: buffer, count: count), atEOF: atEOF)
        if used > 0 {
            count -= used
            if count > 0 { memmove(buffer, buffer + used, count) }
        }
        if atEOF { count = 0 }
        // Bound the buffer again after a long record.
        if count < Feed.chunk / 4 && capacity > 4 * Feed.chunk {
            let smaller = UnsafeMutableRawPointer.allocate(byteCount: Feed.chunk, alignment: 64)
            smaller.copyMemory(from: buffer, byteCount: count)
            buffer.deallocate()
            buffer = smaller
            capacity = Feed.chunk
        }
    }
}
