/// An SQL script split into statements the way the server splits it, so an error can be
/// traced back to a line of the file.
///
/// Aware of `'...'` (with `''`), `E'...'` (backslash escapes), `"identifiers"`,
/// `$tag$...$tag$` dollar quoting, `--` and nested `/* */` comments, and parentheses
/// (a `;` inside them, as in `CREATE RULE`, does not end a statement). Statements that
/// are only comments or whitespace are dropped, as the server drops them. Not handled:
/// `BEGIN ATOMIC ... END` function bodies and psql meta-commands.
struct SQLScript {
    struct Statement: Equatable {
        /// 1-based line of the statement's first token.
        var line: Int
        /// The text of that line from the first token on.
        var firstLine: String
        /// Character (Unicode scalar) offsets in the script: start of the first token, end after `;`.
        var characterRange: Range<Int>
    }

    private(set) var statements: [Statement] = []
    private let lineStarts: [Int]

    init(_ text: String) {
        let bytes = Array(text.utf8)
        var lineStarts = [0]
        var statements: [Statement] = []
        var index = 0, character = 0, line = 1, depth = 0
        var start: (line: Int, character: Int, byte: Int)?

        func advance(_ count: Int = 1) {
            for _ in 0..<count where index < bytes.count {
                let byte = bytes[index]
                if byte & 0xC0 != 0x80 { character += 1 }
                if byte == 0x0A {
                    line += 1
                    lineStarts.append(character)
                }
                index += 1
            }
        }
        func at(_ offset: Int) -> UInt8 { index + offset < bytes.count ? bytes[index + offset] : 0 }
        func isIdentifier(_ byte: UInt8) -> Bool {
            (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || byte == 0x5F || byte >= 0x80
                || (byte >= 0x30 && byte <= 0x39)
        }
        func markStart() { if start == nil { start = (line, character, index) } }

        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case 0x2D where at(1) == 0x2D:  // -- comment
                while index < bytes.count && bytes[index] != 0x0A { advance() }
            case 0x2F where at(1) == 0x2A:  // /* nested */
                advance(2)
                var nesting = 1
                while index < bytes.count && nesting > 0 {
                    if bytes[index] == 0x2F && at(1) == 0x2A { nesting += 1; advance(2) }
                    else if bytes[index] == 0x2A && at(1) == 0x2F { nesting -= 1; advance(2) }
                    else { advance() }
                }
            case 0x27, 0x22:  // 'string' or "identifier"
                markStart()
                let escapes = byte == 0x27 && index > 0 && (bytes[index - 1] | 0x20) == 0x65
                    && (index < 2 || !isIdentifier(bytes[index - 2]))
                advance()
                while index < bytes.count {
                    if escapes && bytes[index] == 0x5C { advance(2); continue }
                    if bytes[index] == byte {
                        if at(1) == byte { advance(2); continue }
                        advance()
                        break
                    }
                    advance()
                }
            case 0x24 where index == 0 || !isIdentifier(bytes[index - 1]):  // $tag$
                markStart()
                var end = index + 1
                while end < bytes.count && isIdentifier(bytes[end]) && !(end == index + 1 && bytes[end] < 0x3A) { end += 1 }
                guard end < bytes.count, bytes[end] == 0x24 else { advance(); continue }
                let tag = Array(bytes[index...end])
                advance(tag.count)
                while index < bytes.count {
                    if bytes[index] == 0x24 && index + tag.count <= bytes.count
                        && Array(bytes[index..<index + tag.count]) == tag {
                        advance(tag.count)
                        break
                    }
                    advance()
                }
            case 0x28: markStart(); depth += 1; advance()
            case 0x29: markStart(); depth = max(0, depth - 1); advance()
            case 0x3B where depth == 0:
                advance()
                if let begun = start {
                    statements.append(Statement(line: begun.line, firstLine: Self.line(bytes, from: begun.byte),
                                                characterRange: begun.character..<character))
                }
                start = nil
            case 0x20, 0x09, 0x0A, 0x0D, 0x0C: advance()
            default: markStart(); advance()
            }
        }
        if let begun = start {
            statements.append(Statement(line: begun.line, firstLine: Self.line(bytes, from: begun.byte),
                                        characterRange: begun.character..<character))
        }
        self.statements = statements
        self.lineStarts = lineStarts
    }

    /// The statement containing the 1-based character `position` the server reported.
    func statement(atPosition position: Int) -> Statement? {
        let offset = position - 1
        return statements.first { offset < $0.characterRange.upperBound }
    }

    /// The 1-based line holding the 1-based character `position`.
    func line(atPosition position: Int) -> Int {
        var low = 0, high = lineStarts.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if lineStarts[middle] <= position - 1 { low = middle } else { high = middle - 1 }
        }
        return low + 1
    }

    private static func line(_ bytes: [UInt8], from start: Int) -> String {
        var end = start
        while end < bytes.count && bytes[end] != 0x0A { end += 1 }
        return String(decoding: bytes[start..<end], as: UTF8.self).trimmingTrailingWhitespace()
    }
}

extension String {
    fileprivate func trimmingTrailingWhitespace() -> String {
        var text = Substring(self)
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return String(text)
    }
}
