/// JSON's string escapes (`\n`, `\u00e9`, surrogate pairs), decoded for ``JSONCursor``.
enum JSONEscape {
    /// Decodes the escape whose backslash was just read: `bytes[position]` is the character
    /// after it. Appends the UTF-8 of what it stands for to `text` and moves `position` past
    /// it. On a bad escape returns the message, with `position` at the offending byte, for
    /// the caller to wrap in its own error; nil when it decoded.
    package static func decode(_ bytes: [UInt8], at position: inout Int, into text: inout [UInt8]) -> String? {
        guard position < bytes.count else { return "unterminated string" }
        let byte = bytes[position]
        position += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): text.append(byte)
        case UInt8(ascii: "b"): text.append(0x08)
        case UInt8(ascii: "f"): text.append(0x0C)
        case UInt8(ascii: "n"): text.append(0x0A)
        case UInt8(ascii: "r"): text.append(0x0D)
        case UInt8(ascii: "t"): text.append(0x09)
        case UInt8(ascii: "u"):
            var problem: String?
            guard var code = hex4(bytes, at: &position, problem: &problem) else { return problem }
            if (0xD800..<0xDC00).contains(code), bytes.count - position >= 6,
               bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") {
                position += 2
                guard let low = hex4(bytes, at: &position, problem: &problem) else { return problem }
                guard (0xDC00..<0xE000).contains(low) else { return "invalid surrogate pair in \\u escape" }
                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
            }
            text.append(contentsOf: String(Unicode.Scalar(code) ?? "\u{FFFD}").utf8)
        default:
            position -= 1
            return "invalid escape '\\\(Unicode.Scalar(byte))'"
        }
        return nil
    }

    /// Four hex digits at `position`, moving past them; nil and the `problem` (position at
    /// the bad digit) when they are not there.
    private static func hex4(_ bytes: [UInt8], at position: inout Int, problem: inout String?) -> UInt32? {
        guard bytes.count - position >= 4 else {
            problem = "incomplete \\u escape"
            return nil
        }
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let digit = Character(Unicode.Scalar(bytes[position])).hexDigitValue else {
                problem = "invalid hex digit in \\u escape"
                return nil
            }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }
}
