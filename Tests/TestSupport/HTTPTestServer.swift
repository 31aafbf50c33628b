import Foundation
import MLOpsBasics

/// A small HTTP server (python3's http.server on 127.0.0.1) for tests of what a client sends. It
/// listens on two ports, `port` and `otherPort` (the "other host"), and logs the method, path and
/// headers of every request it receives before it answers, so a test reads the log once the client
/// has its answer. Modes, on `port`:
///
/// - `redirect-away`: every request gets a 307 to the same path on `otherPort`;
/// - `redirect-same`: the first GET of each path gets a 307 to that path plus `redirected=1` in the
///   query, on the same host and port; everything else is passed on to `upstream`;
/// - `fail-part`: an UploadPart with `partNumber=2` gets a 400 error; everything else is passed on;
/// - `record`: every request gets a 403 `AccessDenied`.
///
/// `otherPort` always answers 200 with the body `stolen`. `upstream` is an endpoint such as
/// `http://127.0.0.1:8333` (the S3 test server).
public final class HTTPTestServer: @unchecked Sendable {
    public struct Request: Sendable {
        /// `port` or `otherPort`.
        public var port: Int
        public var method: String
        public var path: String
        /// Names lower-cased.
        public var headers: [String: String]
    }

    public let port: Int
    public let otherPort: Int
    public let logPath: String
    private let process: Process

    public init(mode: String, upstream: String? = nil, directory: String) throws {
        logPath = directory + "/http-\(UUID().uuidString.prefix(8)).log"
        let script = directory + "/http-test-server.py"
        try FS.writeAtomic(script, HTTPTestServer.script, durable: false)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try ProcessRunner.resolve("python3"))
        let hostPort = upstream.map { String($0.split(separator: "/").last { !$0.isEmpty } ?? "") } ?? ""
        p.arguments = [script, logPath, mode, hostPort]
        let out = Pipe()
        p.standardOutput = out
        // Never share the test's own output pipes: a leftover child would keep `swift test` waiting.
        p.standardError = FileHandle.nullDevice
        p.standardInput = FileHandle.nullDevice
        try p.run()
        process = p
        var line = ""
        while !line.contains("\n") {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line += String(decoding: chunk, as: UTF8.self)
        }
        let f = line.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        guard f.count == 3, f[0] == "ready", let a = Int(f[1]), let b = Int(f[2]) else {
            p.terminate()
            throw MLOpsError("the test HTTP server did not start (said \(line.debugDescription))", hint: "check that python3 is installed")
        }
        port = a
        otherPort = b
    }

    deinit { stop() }

    public func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    public var url: String { "http://127.0.0.1:\(port)" }

    /// Every request received so far, in order.
    public var requests: [Request] {
        guard let text = try? FS.readText(logPath) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            guard let o = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any],
                  let port = o["port"] as? Int, let method = o["method"] as? String, let path = o["path"] as? String,
                  let headers = o["headers"] as? [String: String] else { return nil }
            return Request(port: port, method: method, path: path,
                           headers: Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { a, _ in a }))
        }
    }

    static let script = #"""
import http.client, http.server, json, signal, sys, threading
# Children of the test process inherit its blocked signals: without this, SIGTERM would never arrive.
signal.pthread_sigmask(signal.SIG_SETMASK, [])
log_path, mode, upstream = sys.argv[1], sys.argv[2], sys.argv[3]
lock = threading.Lock()
redirected = set()

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *args): pass
    def answer(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers: self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD": self.wfile.write(body)
    def handle_any(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        port = self.server.server_address[1]
        with lock:
            with open(log_path, "a") as f:
                f.write(json.dumps({"port": port, "method": self.command, "path": self.path, "headers": dict(self.headers)}) + "\n")
        if port == other_port:
            return self.answer(200, b"stolen")
        if mode == "record":
            return self.answer(403, b"<Error><Code>AccessDenied</Code><Message>recorded</Message></Error>")
        if mode == "redirect-away":
            return self.answer(307, b"", [("Location", "http://127.0.0.1:%d%s" % (other_port, self.path))])
        if mode == "redirect-same" and self.command == "GET":
            with lock:
                first = self.path not in redirected and "redirected=1" not in self.path
                redirected.add(self.path)
            if first:
                sep = "&" if "?" in self.path else "?"
                return self.answer(307, b"", [("Location", "http://127.0.0.1:%d%s%sredirected=1" % (main_port, self.path, sep))])
        if mode == "fail-part" and self.command == "PUT" and "partNumber=2" in self.path:
            return self.answer(400, b"<Error><Code>InvalidRequest</Code><Message>part refused by the test</Message></Error>")
        host, _, up_port = upstream.partition(":")
        c = http.client.HTTPConnection(host, int(up_port))
        c.request(self.command, self.path, body=body, headers=dict(self.headers))
        r = c.getresponse()
        data = r.read()
        c.close()
        self.answer(r.status, data, [(k, v) for k, v in r.getheaders() if k.lower() not in ("content-length", "transfer-encoding", "connection")])
    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any

main = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
other = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
main_port, other_port = main.server_address[1], other.server_address[1]
threading.Thread(target=other.serve_forever, daemon=True).start()
print("ready", main_port, other_port, flush=True)
main.serve_forever()
"""#
}
