import Foundation

/// Reads the text of a Testbed tape file (docs/tapes.md, "Tape format") into a ``Tape``.
///
/// Every error names the file and the line of the value at fault: the JSON is parsed by the
/// line-counting ``JSONScanner``, not by Foundation.
struct TapeFileReader {
    let file: String

    func read(_ bytes: [UInt8]) throws(TapeError) -> Tape {
        var scanner = JSONScanner(bytes: bytes, file: file)
        let root: JSONNode
        do {
            root = try scanner.parseDocument()
        } catch {
            throw TapeError(.malformed, file: file, line: error.line, error.message)
        }
        let top = try object(root, "the tape")
        guard let version = top["testbed_tape"] else {
            throw fail(root, "no \"testbed_tape\" format version: this is not a Testbed tape")
        }
        guard case .number(let text) = version.kind, let number = Int(text), number >= 1 else {
            throw fail(version, "\"testbed_tape\" must be a format version (a whole number from 1)")
        }
        guard number <= Tape.formatVersion else {
            throw TapeError(.newerVersion, file: file, line: version.line,
                            "the tape is in format version \(number), written by a newer Testbed; this build reads "
                            + "version \(Tape.formatVersion): update Testbed, or record the tape again")
        }
        try allowOnly(["testbed_tape", "exchanges"], in: root)
        guard let list = top["exchanges"] else { throw fail(root, "no \"exchanges\" list") }
        guard case .array(let items) = list.kind else { throw fail(list, "\"exchanges\" must be a list") }
        var exchanges: [TapeExchange] = []
        exchanges.reserveCapacity(items.count)
        for item in items { exchanges.append(try exchange(item)) }
        return Tape(exchanges: exchanges)
    }

    private func fail(_ node: JSONNode, _ message: String) -> TapeError {
        TapeError(.invalid, file: file, line: node.line, message)
    }

    private func object(_ node: JSONNode, _ what: String) throws(TapeError) -> [String: JSONNode] {
        guard case .object(let members) = node.kind else { throw fail(node, "\(what) must be an object") }
        var result: [String: JSONNode] = [:]
        for member in members {
            guard result.updateValue(member.value, forKey: member.key) == nil else {
                throw fail(member.value, "\"\(member.key)\" appears twice in \(what)")
            }
        }
        return result
    }

    private func allowOnly(_ keys: Set<String>, in node: JSONNode) throws(TapeError) {
        guard case .object(let members) = node.kind else { return }
        for member in members where !keys.contains(member.key) {
            throw fail(member.value, "unknown key \"\(member.key)\" (allowed: \(keys.sorted().joined(separator: ", ")))")
        }
    }

    private func string(_ node: JSONNode?, _ key: String, in parent: JSONNode) throws(TapeError) -> String {
        guard let node else { throw fail(parent, "no \"\(key)\"") }
        guard case .string(let text) = node.kind else { throw fail(node, "\"\(key)\" must be a string") }
        return text
    }

    private func exchange(_ node: JSONNode) throws(TapeError) -> TapeExchange {
        let members = try object(node, "an exchange")
        try allowOnly(["request", "response", "recorded_at", "duration_ms"], in: node)
        guard let requestNode = members["request"] else { throw fail(node, "the exchange has no \"request\"") }
        guard let responseNode = members["response"] else { throw fail(node, "the exchange has no \"response\"") }
        var result = TapeExchange(request: try request(requestNode), response: try response(responseNode))
        if let date = members["recorded_at"] {
            let text = try string(date, "recorded_at", in: node)
            guard let parsed = Self.date(text) else {
                throw fail(date, "\"recorded_at\" must be a UTC time like 2026-01-31T12:00:00.000Z, not \"\(text)\"")
            }
            result.recordedAt = parsed
        }
        if let duration = members["duration_ms"] {
            guard case .number(let text) = duration.kind, let value = Double(text), value >= 0 else {
                throw fail(duration, "\"duration_ms\" must be a number of milliseconds, 0 or more")
            }
            result.duration = .microseconds(Int64((value * 1000).rounded()))
        }
        return result
    }

    private func request(_ node: JSONNode) throws(TapeError) -> TapeRequest {
        let members = try object(node, "a request")
        try allowOnly(["method", "target", "headers", "body"], in: node)
        return TapeRequest(method: try string(members["method"], "method", in: node),
                           target: try string(members["target"], "target", in: node),
                           headers: try headers(members["headers"]),
                           body: try body(members["body"]))
    }

    private func response(_ node: JSONNode) throws(TapeError) -> TapeResponse {
        let members = try object(node, "a response")
        try allowOnly(["status", "reason", "headers", "body"], in: node)
        guard let statusNode = members["status"] else { throw fail(node, "the response has no \"status\"") }
        guard case .number(let text) = statusNode.kind, let status = Int(text), (100...999).contains(status) else {
            throw fail(statusNode, "\"status\" must be an HTTP status code (100 to 999)")
        }
        var reason: String?
        if let reasonNode = members["reason"] { reason = try string(reasonNode, "reason", in: node) }
        return TapeResponse(status: status, reason: reason, headers: try headers(members["headers"]),
                            body: try body(members["body"]))
    }

    private func headers(_ node: JSONNode?) throws(TapeError) -> [TapeHeader] {
        guard let node else { return [] }
        guard case .array(let items) = node.kind else {
            throw fail(node, "\"headers\" must be a list of [name, value] pairs")
        }
        var result: [TapeHeader] = []
        result.reserveCapacity(items.count)
        for item in items {
            guard case .array(let pair) = item.kind, pair.count == 2,
                  case .string(let name) = pair[0].kind, case .string(let value) = pair[1].kind else {
                throw fail(item, "a header must be a [name, value] pair of strings")
            }
            result.append(TapeHeader(name, value))
        }
        return result
    }

    private func body(_ node: JSONNode?) throws(TapeError) -> [UInt8] {
        guard let node else { return [] }
        let members = try object(node, "a body")
        let forms = ["json", "text", "base64"].filter { members[$0] != nil }
        guard forms.count == 1, let form = forms.first, let value = members[form] else {
            throw fail(node, "a body must have exactly one of \"json\", \"text\" or \"base64\"")
        }
        switch form {
        case "json":
            try allowOnly(["json", "layout"], in: node)
            let name = try string(members["layout"], "layout", in: node)
            guard let layout = TapeJSONLayout(name: name) else {
                throw fail(members["layout"] ?? node, "unknown JSON layout \"\(name)\" (see docs/tapes.md, \"Bodies\")")
            }
            return layout.bytes(of: value)
        case "text":
            try allowOnly(["text"], in: node)
            return Array(try string(value, "text", in: node).utf8)
        default:
            try allowOnly(["base64"], in: node)
            guard let data = Data(base64Encoded: try string(value, "base64", in: node)) else {
                throw fail(value, "\"base64\" is not valid base64")
            }
            return [UInt8](data)
        }
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fff]Z`.
    static func date(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard (20...30).contains(bytes.count), bytes.last == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                guard (48...57).contains(bytes[index]) else { return nil }
                value = value * 10 + Int(bytes[index] - 48)
            }
            return value
        }
        let separators: [(Int, Character)] = [(4, "-"), (7, "-"), (10, "T"), (13, ":"), (16, ":")]
        guard separators.allSatisfy({ Character(Unicode.Scalar(bytes[$0.0])) == $0.1 }),
              let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        var fraction = 0.0
        if bytes.count > 20 {
            guard bytes[19] == UInt8(ascii: "."), bytes.count > 21, let digits = number(20..<(bytes.count - 1)) else { return nil }
            fraction = Double(digits) / pow(10, Double(bytes.count - 21))
        } else if bytes[19] != UInt8(ascii: "Z") {
            return nil
        }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        return Date(timeIntervalSince1970: Double(timegm(&parts)) + fraction)
    }
}
