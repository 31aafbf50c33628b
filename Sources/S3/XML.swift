import Foundation

/// A small XML reader for the documents S3 sends back (errors, ListObjectsV2, multipart
/// results): elements, text, the five named entities, numeric character references and CDATA.
/// Attributes, namespaces, comments, processing instructions and DOCTYPEs are skipped.
/// Tolerant: a malformed document yields whatever was parsed, never a crash.
struct MiniXML: Equatable {
    var name: String
    var children: [MiniXML] = []
    var text: String = ""

    /// The first child named `name`.
    func child(_ name: String) -> MiniXML? { children.first { $0.name == name } }

    /// All children named `name`, in order.
    func children(_ name: String) -> [MiniXML] { children.filter { $0.name == name } }

    /// The text of the first child named `name`.
    subscript(_ name: String) -> String? { child(name)?.text }

    /// Parses a document and returns its root element, or nil when there is none.
    static func parse<D: DataProtocol>(_ data: D) -> MiniXML? {
        var p = Parser(bytes: Array(data))
        return p.run()
    }

    /// Escapes text for an element body.
    static func escape(_ s: String) -> String {
        var out = ""
        for ch in s {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            default: out.append(ch)
            }
        }
        return out
    }

    private struct Parser {
        let bytes: [UInt8]
        var i = 0
        var stack: [(element: MiniXML, text: [UInt8])] = []
        var root: MiniXML?

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func run() -> MiniXML? {
            while i < bytes.count {
                if bytes[i] != UInt8(ascii: "<") {
                    let start = i
                    while i < bytes.count, bytes[i] != UInt8(ascii: "<") { i += 1 }
                    appendText(decodeEntities(bytes[start..<i]))
                    continue
                }
                if starts("<?") { skip(past: "?>"); continue }
                if starts("<!--") { skip(past: "-->"); continue }
                if starts("<![CDATA[") {
                    i += 9
                    let start = i
                    let end = find("]]>") ?? bytes.count
                    appendText(Array(bytes[start..<end]))
                    i = min(end + 3, bytes.count)
                    continue
                }
                if starts("<!") { skip(past: ">"); continue }
                if starts("</") {
                    skip(past: ">")
                    close()
                    continue
                }
                // Start tag: name, then attributes up to `>` or `/>` (quoted values may hold `>`).
                i += 1
                let nameStart = i
                while i < bytes.count, !isSpace(bytes[i]), bytes[i] != UInt8(ascii: ">"), bytes[i] != UInt8(ascii: "/") { i += 1 }
                let name = String(decoding: bytes[nameStart..<i], as: UTF8.self)
                var selfClosing = false
                var quote: UInt8?
                while i < bytes.count {
                    let c = bytes[i]
                    i += 1
                    if let q = quote { if c == q { quote = nil }; continue }
                    if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") { quote = c; continue }
                    if c == UInt8(ascii: ">") {
                        selfClosing = i >= 2 && bytes[i - 2] == UInt8(ascii: "/")
                        break
                    }
                }
                stack.append((MiniXML(name: localName(name)), []))
                if selfClosing { close() }
            }
            while !stack.isEmpty { close() }
            return root
        }

        private mutating func close() {
            guard var top = stack.popLast() else { return }
            top.element.text = String(decoding: top.text, as: UTF8.self)
            if stack.isEmpty {
                if root == nil { root = top.element }
            } else {
                stack[stack.count - 1].element.children.append(top.element)
            }
        }

        private mutating func appendText(_ t: [UInt8]) {
            guard !stack.isEmpty else { return }
            stack[stack.count - 1].text.append(contentsOf: t)
        }

        private func starts(_ s: String) -> Bool {
            let u = Array(s.utf8)
            return i + u.count <= bytes.count && Array(bytes[i..<i + u.count]) == u
        }

        private func find(_ s: String) -> Int? {
            let u = Array(s.utf8)
            var j = i
            while j + u.count <= bytes.count {
                if bytes[j] == u[0], Array(bytes[j..<j + u.count]) == u { return j }
                j += 1
            }
            return nil
        }

        private mutating func skip(past s: String) {
            i = (find(s).map { $0 + s.utf8.count }) ?? bytes.count
        }

        private func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d }

        private func localName(_ name: String) -> String {
            name.split(separator: ":").last.map(String.init) ?? name
        }

        private func decodeEntities(_ s: ArraySlice<UInt8>) -> [UInt8] {
            guard s.contains(UInt8(ascii: "&")) else { return Array(s) }
            var out: [UInt8] = []
            var j = s.startIndex
            while j < s.endIndex {
                guard s[j] == UInt8(ascii: "&"), let semi = s[j...].prefix(12).firstIndex(of: UInt8(ascii: ";")) else {
                    out.append(s[j]); j += 1; continue
                }
                let entity = String(decoding: s[(j + 1)..<semi], as: UTF8.self)
                var replacement: String?
                switch entity {
                case "amp": replacement = "&"
                case "lt": replacement = "<"
                case "gt": replacement = ">"
                case "quot": replacement = "\""
                case "apos": replacement = "'"
                default:
                    if entity.hasPrefix("#x") || entity.hasPrefix("#X") {
                        replacement = UInt32(entity.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init).map { String(Character($0)) }
                    } else if entity.hasPrefix("#") {
                        replacement = UInt32(entity.dropFirst(1)).flatMap(Unicode.Scalar.init).map { String(Character($0)) }
                    }
                }
                if let replacement {
                    out.append(contentsOf: replacement.utf8)
                    j = semi + 1
                } else {
                    out.append(s[j]); j += 1
                }
            }
            return out
        }
    }
}
