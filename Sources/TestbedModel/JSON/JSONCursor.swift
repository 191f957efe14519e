import Foundation

/// A strict RFC 8259 reader over UTF-8 bytes that walks a document in place, builds no tree
/// and counts lines: the one scanner of Testbed's JSON.
///
/// ``JSONValue/init(parsing:)`` builds a tree with it; the tape reader and the JSON fixture
/// loader read their files with it directly, so that a 10,000-exchange tape loads in well
/// under 200 ms (reading members and values in place, instead of building a tree and walking
/// it, avoids a million small allocations; docs/benchmarks.md, "Loading a tape of 10,000
/// exchanges"). Every method that reads throws ``JSONSyntaxError`` at the current line; the
/// caller adds the file's name.
package struct JSONCursor {
    package let bytes: [UInt8]
    package private(set) var position = 0
    package private(set) var line = 1
    private var depth = 0
    private static let maximumDepth = 512

    /// A cursor at the start of `bytes` (after a UTF-8 byte order mark, if any).
    package init(bytes: [UInt8]) {
        self.bytes = bytes
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }
    }

    /// A place to come back to (``seek(_:)``).
    package var mark: (position: Int, line: Int) { (position, line) }

    package mutating func seek(_ mark: (position: Int, line: Int)) {
        position = mark.position
        line = mark.line
    }

    /// A syntax error at the current line.
    package func fail(_ message: String) -> JSONSyntaxError {
        JSONSyntaxError(line: line, message: message)
    }

    /// The next byte, nil at the end.
    package var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    package func describeCurrent() -> String {
        guard let byte = current else { return "end of file" }
        return byte >= 0x20 && byte < 0x7F ? "'\(Unicode.Scalar(byte))'" : "byte 0x\(String(byte, radix: 16))"
    }

    package mutating func skipWhitespace() {
        // Indentation is a good part of a pretty tape: scan it without bounds checks, and
        // after a line break eight spaces at a time.
        var position = self.position
        var line = self.line
        bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            let count = buffer.count
            scan: while position < count {
                switch base[position] {
                case 0x0A:
                    line += 1
                    position += 1
                    while count - position >= 8,
                          UnsafeRawPointer(base + position).loadUnaligned(as: UInt64.self) == 0x2020_2020_2020_2020 {
                        position += 8
                    }
                case 0x20, 0x09, 0x0D: position += 1
                default: break scan
                }
            }
        }
        self.position = position
        self.line = line
    }

    package mutating func expect(_ byte: UInt8, _ context: @autoclosure () -> String) throws(JSONSyntaxError) {
        skipWhitespace()
        guard current == byte else {
            throw fail("unexpected \(describeCurrent()), expected '\(Unicode.Scalar(byte))' \(context())")
        }
        position += 1
    }

    /// Skips the whitespace before a document's value; throws when there is no value.
    package mutating func beginDocument() throws(JSONSyntaxError) {
        skipWhitespace()
        guard current != nil else { throw fail("the file holds no JSON value") }
    }

    /// Checks that only whitespace follows the document's value.
    package mutating func endDocument() throws(JSONSyntaxError) {
        skipWhitespace()
        guard current == nil else { throw fail("unexpected \(describeCurrent()) after the end of the JSON value") }
    }

    /// Reads `{`; then call ``nextMember(_:)`` until it returns nil.
    package mutating func beginObject() throws(JSONSyntaxError) {
        try expect(UInt8(ascii: "{"), "to open an object")
        try enter()
    }

    /// A member's key as it stands in the bytes: the text between its quotes, and whether
    /// that holds an escape (then the key's text differs from its bytes).
    package struct Key {
        package var range: Range<Int>
        package var escaped: Bool
    }

    /// Key names a reader expects, matched against a key's bytes so that reading a known
    /// key builds no string.
    package struct KnownKeys {
        package let names: [String]
        fileprivate let utf8: [[UInt8]]

        package init(_ names: [String]) {
            self.names = names
            utf8 = names.map { Array($0.utf8) }
        }
    }

    /// The next member's key, the cursor left on its value; nil after the closing `}`.
    package mutating func nextMember(_ first: inout Bool) throws(JSONSyntaxError) -> String? {
        try nextKey(&first).map(text)
    }

    /// The next member's key, as the very string of `known` when it is one of them (else
    /// decoded), the cursor left on its value; nil after the closing `}`.
    package mutating func nextMember(_ first: inout Bool, among known: KnownKeys) throws(JSONSyntaxError) -> String? {
        guard let key = try nextKey(&first) else { return nil }
        if !key.escaped {
            let count = key.range.count
            let found = bytes.withUnsafeBufferPointer { buffer in
                known.utf8.firstIndex { name in
                    name.count == count && (count == 0 || name.withUnsafeBufferPointer { name in
                        memcmp(name.baseAddress!, buffer.baseAddress! + key.range.lowerBound, count) == 0
                    })
                }
            }
            if let found { return known.names[found] }
        }
        return text(of: key)
    }

    /// The next member's key, the cursor left on its value; nil after the closing `}`.
    package mutating func nextKey(_ first: inout Bool) throws(JSONSyntaxError) -> Key? {
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            position += 1
            depth -= 1
            return nil
        }
        if !first {
            guard current == UInt8(ascii: ",") else { throw fail("unexpected \(describeCurrent()), expected ',' or '}' in an object") }
            position += 1
            skipWhitespace()
        }
        first = false
        guard current == UInt8(ascii: "\"") else { throw fail("unexpected \(describeCurrent()), expected a quoted key") }
        let start = position + 1
        let escaped = try skipString()
        let key = Key(range: start..<position - 1, escaped: escaped)
        skipWhitespace()
        guard current == UInt8(ascii: ":") else {
            throw fail("unexpected \(describeCurrent()), expected ':' after key \"\(text(of: key))\"")
        }
        position += 1
        skipWhitespace()
        return key
    }

    /// The text of a key read by ``nextKey(_:)``.
    package func text(of key: Key) -> String {
        if !key.escaped {
            return bytes.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[key.range]), as: UTF8.self) }
        }
        var cursor = self
        cursor.position = key.range.lowerBound - 1
        return (try? cursor.string()) ?? ""
    }

    /// Reads `[`; then call ``nextElement(_:)`` until it returns false.
    package mutating func beginArray() throws(JSONSyntaxError) {
        try expect(UInt8(ascii: "["), "to open an array")
        try enter()
    }

    /// True with the cursor on the next element; false after the closing `]`.
    package mutating func nextElement(_ first: inout Bool) throws(JSONSyntaxError) -> Bool {
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            position += 1
            depth -= 1
            return false
        }
        if !first {
            guard current == UInt8(ascii: ",") else { throw fail("unexpected \(describeCurrent()), expected ',' or ']' in an array") }
            position += 1
            skipWhitespace()
        }
        first = false
        guard current != nil else { throw fail("unexpected end of file, expected a value") }
        return true
    }

    private mutating func enter() throws(JSONSyntaxError) {
        depth += 1
        if depth > Self.maximumDepth { throw fail("nested more than \(Self.maximumDepth) levels deep") }
    }

    /// Skips one value, checking its syntax.
    package mutating func skipValue() throws(JSONSyntaxError) {
        skipWhitespace()
        guard let byte = current else { throw fail("unexpected end of file, expected a value") }
        switch byte {
        case UInt8(ascii: "{"):
            try beginObject()
            var first = true
            while try nextMember(&first) != nil { try skipValue() }
        case UInt8(ascii: "["):
            try beginArray()
            var first = true
            while try nextElement(&first) { try skipValue() }
        case UInt8(ascii: "\""): _ = try skipString()
        case UInt8(ascii: "t"): try word("true")
        case UInt8(ascii: "f"): try word("false")
        case UInt8(ascii: "n"): try word("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try skipNumber()
        default: throw fail("unexpected \(describeCurrent()), expected a value")
        }
    }

    package mutating func word(_ text: StaticString) throws(JSONSyntaxError) {
        let count = text.utf8CodeUnitCount
        let matches = bytes.count - position >= count && bytes.withUnsafeBufferPointer { buffer in
            memcmp(buffer.baseAddress! + position, text.utf8Start, count) == 0
        }
        guard matches else { throw fail("unexpected \(describeCurrent()), expected '\(text)'") }
        position += count
    }

    /// A number's text, checked against the JSON grammar.
    package mutating func number() throws(JSONSyntaxError) -> Substring {
        let start = position
        try skipNumber()
        return Substring(decoding: bytes[start..<position], as: UTF8.self)
    }

    /// Skips a number, checking it against the JSON grammar.
    package mutating func skipNumber() throws(JSONSyntaxError) {
        func digits(_ cursor: inout JSONCursor) -> Int {
            let from = cursor.position
            while let byte = cursor.current, byte >= 0x30, byte <= 0x39 { cursor.position += 1 }
            return cursor.position - from
        }
        if current == UInt8(ascii: "-") { position += 1 }
        let leadingZero = current == UInt8(ascii: "0")
        let integerDigits = digits(&self)
        guard integerDigits > 0, !(leadingZero && integerDigits > 1) else { throw fail("malformed number") }
        if current == UInt8(ascii: ".") {
            position += 1
            guard digits(&self) > 0 else { throw fail("malformed number: no digits after '.'") }
        }
        if let byte = current, byte | 0x20 == UInt8(ascii: "e") {
            position += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
            guard digits(&self) > 0 else { throw fail("malformed number: no digits in the exponent") }
        }
    }

    /// Where the plain run of a string that starts at `start` ends: at its closing quote, a
    /// backslash, a control character or the end of the bytes.
    private func plainEnd(from start: Int) -> Int {
        bytes.withUnsafeBufferPointer { buffer in
            var end = start
            while end < buffer.count, buffer[end] != 0x22, buffer[end] != 0x5C, buffer[end] >= 0x20 { end += 1 }
            return end
        }
    }

    /// Skips a string value, checking its syntax without building its text; true when it
    /// holds an escape.
    package mutating func skipString() throws(JSONSyntaxError) -> Bool {
        guard current == UInt8(ascii: "\"") else { throw fail("unexpected \(describeCurrent()), expected a string") }
        let end = plainEnd(from: position + 1)
        if end < bytes.count, bytes[end] == 0x22 {
            position = end + 1
            return false
        }
        _ = try string()
        return true
    }

    /// A string value, its escapes decoded.
    package mutating func string() throws(JSONSyntaxError) -> String {
        guard current == UInt8(ascii: "\"") else { throw fail("unexpected \(describeCurrent()), expected a string") }
        position += 1
        let start = position
        let end = plainEnd(from: start)
        if end < bytes.count, bytes[end] == 0x22 {
            position = end + 1
            return bytes.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[start..<end]), as: UTF8.self) }
        }
        var text = Array(bytes[position..<end])
        position = end
        while let byte = current {
            position += 1
            switch byte {
            case 0x22: return String(decoding: text, as: UTF8.self)
            case 0x5C: try escape(into: &text)
            case 0..<0x20:
                position -= 1
                throw fail(byte == 0x0A ? "line break inside a string (write \\n)" : "control character inside a string")
            default: text.append(byte)
            }
        }
        throw fail("unterminated string")
    }

    private mutating func escape(into text: inout [UInt8]) throws(JSONSyntaxError) {
        if let problem = JSONEscape.decode(bytes, at: &position, into: &text) { throw fail(problem) }
    }
}
