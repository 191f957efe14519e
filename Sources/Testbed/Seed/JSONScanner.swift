/// A strict RFC 8259 parser over UTF-8 bytes that reports errors at their line.
///
/// Foundation's JSONSerialization loses key order and, on Linux, does not reliably say
/// where a syntax error is; fixtures need both.
struct JSONScanner {
    private let bytes: [UInt8]
    private let file: String
    private var position = 0
    private var line = 1
    private var depth = 0
    private static let maximumDepth = 512

    init(bytes: [UInt8], file: String) {
        self.bytes = bytes
        self.file = file
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }
    }

    /// Parses the whole input as one JSON value.
    mutating func parseDocument() throws(FixtureError) -> JSONNode {
        skipWhitespace()
        guard position < bytes.count else { throw fail("the file holds no JSON value") }
        let node = try parseValue()
        skipWhitespace()
        guard position == bytes.count else { throw fail("unexpected \(describeCurrent()) after the end of the JSON value") }
        return node
    }

    private func fail(_ message: String) -> FixtureError {
        FixtureError(file: file, line: line, message: "malformed JSON: \(message)")
    }

    private func describeCurrent() -> String {
        guard position < bytes.count else { return "end of file" }
        let byte = bytes[position]
        return byte >= 0x20 && byte < 0x7F ? "'\(Unicode.Scalar(byte))'" : "byte 0x\(String(byte, radix: 16))"
    }

    private mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x0A: line += 1
            case 0x20, 0x09, 0x0D: break
            default: return
            }
            position += 1
        }
    }

    private mutating func parseValue() throws(FixtureError) -> JSONNode {
        let startLine = line
        guard position < bytes.count else { throw fail("unexpected end of file, expected a value") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return JSONNode(line: startLine, kind: try parseObject())
        case UInt8(ascii: "["): return JSONNode(line: startLine, kind: try parseArray())
        case UInt8(ascii: "\""): return JSONNode(line: startLine, kind: .string(try parseString()))
        case UInt8(ascii: "t"): try expectWord("true"); return JSONNode(line: startLine, kind: .bool(true))
        case UInt8(ascii: "f"): try expectWord("false"); return JSONNode(line: startLine, kind: .bool(false))
        case UInt8(ascii: "n"): try expectWord("null"); return JSONNode(line: startLine, kind: .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return JSONNode(line: startLine, kind: .number(try parseNumber()))
        default:
            throw fail("unexpected \(describeCurrent()), expected a value")
        }
    }

    private mutating func expectWord(_ word: String) throws(FixtureError) {
        let expected = Array(word.utf8)
        guard bytes.count - position >= expected.count,
              bytes[position..<position + expected.count].elementsEqual(expected) else {
            throw fail("unexpected \(describeCurrent()), expected '\(word)'")
        }
        position += expected.count
    }

    private mutating func enter() throws(FixtureError) {
        depth += 1
        if depth > Self.maximumDepth { throw fail("nested more than \(Self.maximumDepth) levels deep") }
    }

    private mutating func parseObject() throws(FixtureError) -> JSONNode.Kind {
        try enter()
        defer { depth -= 1 }
        position += 1
        var members: [(key: String, value: JSONNode)] = []
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
            position += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
                throw fail("unexpected \(describeCurrent()), expected a quoted key")
            }
            let key = try parseString()
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else {
                throw fail("unexpected \(describeCurrent()), expected ':' after key \"\(key)\"")
            }
            position += 1
            skipWhitespace()
            members.append((key, try parseValue()))
            skipWhitespace()
            guard position < bytes.count else { throw fail("unexpected end of file, expected ',' or '}'") }
            let byte = bytes[position]
            position += 1
            if byte == UInt8(ascii: "}") { return .object(members) }
            guard byte == UInt8(ascii: ",") else {
                position -= 1
                throw fail("unexpected \(describeCurrent()), expected ',' or '}' in an object")
            }
        }
    }

    private mutating func parseArray() throws(FixtureError) -> JSONNode.Kind {
        try enter()
        defer { depth -= 1 }
        position += 1
        var items: [JSONNode] = []
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
            position += 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            items.append(try parseValue())
            skipWhitespace()
            guard position < bytes.count else { throw fail("unexpected end of file, expected ',' or ']'") }
            let byte = bytes[position]
            position += 1
            if byte == UInt8(ascii: "]") { return .array(items) }
            guard byte == UInt8(ascii: ",") else {
                position -= 1
                throw fail("unexpected \(describeCurrent()), expected ',' or ']' in an array")
            }
        }
    }

    private mutating func parseNumber() throws(FixtureError) -> String {
        let start = position
        func digits(_ scanner: inout JSONScanner) -> Int {
            let from = scanner.position
            while scanner.position < scanner.bytes.count,
                  (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(scanner.bytes[scanner.position]) {
                scanner.position += 1
            }
            return scanner.position - from
        }
        if bytes[position] == UInt8(ascii: "-") { position += 1 }
        let leadingZero = position < bytes.count && bytes[position] == UInt8(ascii: "0")
        let integerDigits = digits(&self)
        guard integerDigits > 0, !(leadingZero && integerDigits > 1) else { throw fail("malformed number") }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            guard digits(&self) > 0 else { throw fail("malformed number: no digits after '.'") }
        }
        if position < bytes.count, bytes[position] | 0x20 == UInt8(ascii: "e") {
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
                position += 1
            }
            guard digits(&self) > 0 else { throw fail("malformed number: no digits in the exponent") }
        }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    private mutating func parseString() throws(FixtureError) -> String {
        position += 1
        // Most strings have no escape: make them straight from the input.
        var end = position
        while end < bytes.count, bytes[end] != UInt8(ascii: "\""), bytes[end] != UInt8(ascii: "\\"), bytes[end] >= 0x20 {
            end += 1
        }
        if end < bytes.count, bytes[end] == UInt8(ascii: "\"") {
            defer { position = end + 1 }
            return String(decoding: bytes[position..<end], as: UTF8.self)
        }
        var text = Array(bytes[position..<end])
        position = end
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(decoding: text, as: UTF8.self)
            case UInt8(ascii: "\\"):
                try parseEscape(into: &text)
            case 0..<0x20:
                position -= 1
                throw fail(byte == 0x0A ? "line break inside a string (write \\n)" : "control character inside a string")
            default:
                text.append(byte)
            }
        }
        throw fail("unterminated string")
    }

    private mutating func parseEscape(into text: inout [UInt8]) throws(FixtureError) {
        if let problem = JSONEscape.decode(bytes, at: &position, into: &text) { throw fail(problem) }
    }
}
