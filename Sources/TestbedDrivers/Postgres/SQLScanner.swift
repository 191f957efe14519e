/// The cursor ``SQLScript`` splits a script with: one pass over its UTF-8 bytes that skips
/// comments, quoted text and parentheses, and ends a statement at each `;` outside them.
///
/// Counts lines (for ``SQLScript/Statement/line``) and characters (the server reports
/// error positions in characters, not bytes) as it goes.
struct SQLScanner {
    /// The statements found, in script order; complete once ``scan()`` returns.
    private(set) var statements: [SQLScript.Statement] = []
    /// The character offset at which each line starts (the first line at 0).
    private(set) var lineStarts = [0]

    private let bytes: [UInt8]
    private var index = 0
    private var character = 0
    private var line = 1
    /// How many parentheses are open: a `;` inside them does not end a statement.
    private var depth = 0
    /// Where the statement being read starts, once it has a token.
    private var start: (line: Int, character: Int, byte: Int)?

    /// A scanner at the start of `text`.
    init(_ text: String) {
        bytes = Array(text.utf8)
    }

    /// Reads the whole script into ``statements`` and ``lineStarts``.
    mutating func scan() {
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case 0x2D where at(1) == 0x2D:  // -- comment
                while index < bytes.count && bytes[index] != 0x0A { advance() }
            case 0x2F where at(1) == 0x2A:  // /* nested */
                skipBlockComment()
            case 0x27, 0x22:  // 'string' or "identifier"
                markStart()
                skipQuoted(byte)
            case 0x24 where index == 0 || !Self.isIdentifier(bytes[index - 1]):  // $tag$
                markStart()
                skipDollarQuoted()
            case 0x28: markStart(); depth += 1; advance()
            case 0x29: markStart(); depth = max(0, depth - 1); advance()
            case 0x3B where depth == 0:
                advance()
                endStatement()
            case 0x20, 0x09, 0x0A, 0x0D, 0x0C: advance()
            default: markStart(); advance()
            }
        }
        endStatement()
    }

    /// Moves `count` bytes on, counting characters and lines.
    private mutating func advance(_ count: Int = 1) {
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

    /// The byte `offset` bytes ahead, or 0 past the end.
    private func at(_ offset: Int) -> UInt8 {
        index + offset < bytes.count ? bytes[index + offset] : 0
    }

    private static func isIdentifier(_ byte: UInt8) -> Bool {
        (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || byte == 0x5F || byte >= 0x80
            || (byte >= 0x30 && byte <= 0x39)
    }

    /// The statement being read starts here, unless it has started already.
    private mutating func markStart() {
        if start == nil { start = (line, character, index) }
    }

    /// Ends the statement being read, if it has any token (one of comments only is dropped).
    private mutating func endStatement() {
        if let begun = start {
            statements.append(SQLScript.Statement(line: begun.line, firstLine: Self.line(bytes, from: begun.byte),
                                                  characterRange: begun.character..<character))
        }
        start = nil
    }

    /// Skips a `/* */` comment, which may nest.
    private mutating func skipBlockComment() {
        advance(2)
        var nesting = 1
        while index < bytes.count && nesting > 0 {
            if bytes[index] == 0x2F && at(1) == 0x2A { nesting += 1; advance(2) }
            else if bytes[index] == 0x2A && at(1) == 0x2F { nesting -= 1; advance(2) }
            else { advance() }
        }
    }

    /// Skips text quoted with `quote` (`'` or `"`), where a doubled quote is one; after an
    /// `E` (not ending an identifier), backslash escapes too.
    private mutating func skipQuoted(_ quote: UInt8) {
        let escapes = quote == 0x27 && index > 0 && (bytes[index - 1] | 0x20) == 0x65
            && (index < 2 || !Self.isIdentifier(bytes[index - 2]))
        advance()
        while index < bytes.count {
            if escapes && bytes[index] == 0x5C { advance(2); continue }
            if bytes[index] == quote {
                if at(1) == quote { advance(2); continue }
                advance()
                break
            }
            advance()
        }
    }

    /// Skips `$tag$...$tag$` (the tag may be empty); a `$` that opens no tag is one byte.
    private mutating func skipDollarQuoted() {
        var end = index + 1
        while end < bytes.count && Self.isIdentifier(bytes[end]) && !(end == index + 1 && bytes[end] < 0x3A) { end += 1 }
        guard end < bytes.count, bytes[end] == 0x24 else {
            advance()
            return
        }
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
    }

    /// The text of the line that starts at byte `start`, trailing whitespace removed.
    private static func line(_ bytes: [UInt8], from start: Int) -> String {
        var end = start
        while end < bytes.count && bytes[end] != 0x0A { end += 1 }
        var text = Substring(String(decoding: bytes[start..<end], as: UTF8.self))
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return String(text)
    }
}
