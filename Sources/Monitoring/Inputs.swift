import Foundation
import MLOpsBasics
import Profiling

final class DescriptorInput: ByteSource {
    let fd: Int32
    let name: String

    init(fd: Int32, name: String) {
        self.fd = fd
        self.name = name
    }

    func read(into p: UnsafeMutableRawPointer, count: Int) throws -> Int {
        while true {
            let n = Glibc.read(fd, p, count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw MLOpsError("\(name): cannot read: \(String(cString: strerror(errno)))", hint: "check the file")
        }
    }
}

/// Bytes already read (to tell the format), then the rest of the stream.
final class PrefixedInput: ByteSource {
    private var prefix: [UInt8]
    let rest: ByteSource

    init(prefix: [UInt8], rest: ByteSource) {
        self.prefix = prefix
        self.rest = rest
    }

    func read(into p: UnsafeMutableRawPointer, count: Int) throws -> Int {
        guard prefix.isEmpty else {
            let n = min(count, prefix.count)
            prefix.withUnsafeBytes { p.copyMemory(from: $0.baseAddress!, byteCount: n) }
            prefix.removeFirst(n)
            return n
        }
        return try rest.read(into: p, count: count)
    }
}

/// Opens an input for reading once: a file or `-` (standard input), decompressed when its first
/// bytes are gzip's or zstd's magic number.
enum InputOpener {
    /// Fails with one message naming the file when it cannot be read.
    static func openDescriptor(_ path: String) throws -> Int32 {
        if path == "-" { return 0 }
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let why = String(cString: strerror(errno))
            throw MLOpsError("\(path): cannot open: \(why)", hint: errno == ENOENT ? "check the path of the live records" : "check the file's permissions")
        }
        var st = stat()
        if fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR {
            Glibc.close(fd)
            throw MLOpsError("\(path): is a directory", hint: "name the files of live records (CSV or JSON Lines)")
        }
        return fd
    }

    /// The stream of `fd` as text.
    static func text(fd: Int32, name: String) throws -> ByteSource {
        let raw = DescriptorInput(fd: fd, name: name)
        var head = [UInt8](repeating: 0, count: 4)
        var got = 0
        while got < 4 {
            let n = try head.withUnsafeMutableBytes { try raw.read(into: $0.baseAddress! + got, count: 4 - got) }
            if n == 0 { break }
            got += n
        }
        head.removeLast(4 - got)
        let input: ByteSource = PrefixedInput(prefix: head, rest: raw)
        if head.count >= 2 && head[0] == 0x1F && head[1] == 0x8B { return try GzipSource(input, name: name) }
        if head == [0x28, 0xB5, 0x2F, 0xFD] { return try ZstdSource(input, name: name) }
        return input
    }
}

/// Reads a growing log like `tail -F`: at its end it waits for more; when the path names another
/// file (rotation by rename) it first reads the old file to its end, then the new one from its start;
/// when the file becomes shorter than what was read (truncation in place) it starts again at its start.
final class FollowedFile: ByteSource {
    let path: String
    private var fd: Int32
    private var device: UInt64
    private var inode: UInt64
    private var offset: Int64 = 0
    /// Set (and 0 returned) when the stream moved to another file or to the start of a truncated one:
    /// bytes held from before (a line without its end) will never be completed. The caller clears it.
    var restarted = false
    /// `rotated` or `truncated`, for the message about a line left incomplete.
    private(set) var lastRestart = ""

    init(path: String) throws {
        self.path = path
        fd = try InputOpener.openDescriptor(path)
        var st = stat()
        fstat(fd, &st)
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
    }

    deinit { Glibc.close(fd) }

    func read(into p: UnsafeMutableRawPointer, count: Int) throws -> Int {
        let n = try readCurrent(p, count)
        if n > 0 { return n }
        // At the end of the file: has it been rotated or truncated?
        if let st = FS.stat(path), st.inode != inode || FS.device(path) != device {
            // Renamed away and replaced: what was written to the old file before the rename is read
            // first (its descriptor still reads it), then the new file from its start.
            let late = try readCurrent(p, count)
            if late > 0 { return late }
            let next = Glibc.open(path, O_RDONLY | O_CLOEXEC)
            guard next >= 0 else { return 0 }
            Glibc.close(fd)
            fd = next
            var now = stat()
            fstat(fd, &now)
            device = UInt64(now.st_dev)
            inode = UInt64(now.st_ino)
            offset = 0
            restarted = true
            lastRestart = "rotated"
            return 0
        }
        var cur = stat()
        if fstat(fd, &cur) == 0 && Int64(cur.st_size) < offset {
            lseek(fd, 0, SEEK_SET)
            offset = 0
            restarted = true
            lastRestart = "truncated"
        }
        return 0
    }

    private func readCurrent(_ p: UnsafeMutableRawPointer, _ count: Int) throws -> Int {
        while true {
            let n = Glibc.read(fd, p, count)
            if n >= 0 { offset += Int64(n); return n }
            if errno == EINTR { continue }
            throw MLOpsError("\(path): cannot read: \(String(cString: strerror(errno)))", hint: "check the file")
        }
    }
}

/// SIGTERM and SIGINT ask a followed monitor to stop: it reads what has been written, writes its
/// figures one last time and exits.
enum StopRequest {
    nonisolated(unsafe) static var flag: sig_atomic_t = 0

    static var requested: Bool { flag != 0 }

    static func install() {
        signal(SIGTERM) { _ in StopRequest.flag = 1 }
        signal(SIGINT) { _ in StopRequest.flag = 1 }
        // A parent may hand the signals down blocked (Foundation's Process does): a monitor that
        // could not be stopped would run forever beside the server.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGTERM)
        sigaddset(&set, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    /// Waits up to `ms` milliseconds for `fd` to have data or end (standard input), or just sleeps
    /// (files); true when `fd` is ready.
    @discardableResult
    static func wait(fd: Int32?, ms: Int32) -> Bool {
        guard let fd else {
            usleep(UInt32(ms) * 1000)
            return false
        }
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&p, 1, ms) > 0
    }
}
