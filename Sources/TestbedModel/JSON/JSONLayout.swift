/// How a program lays out the JSON it writes — compact, spaced as Python's `json.dumps`,
/// indented — and the writer of ``JSONValue`` in each layout: a tape stores a body as data
/// and still gives back its exact bytes, and `compact` is how a fixture's nested value
/// becomes text.
///
/// Written in a tape as a name: a base (`compact` `{"a":1,"b":[1,2]}`, `spaced`
/// `{"a": 1, "b": [1, 2]}` as Python's `json.dumps`, `indent2` / `indent4` / `tab` one
/// member per line with `": "`), then optional modifiers: `+ascii` (DEL and every non-ASCII
/// character escaped as `\uXXXX`, Python's default) and `+newline` (a line break after the
/// value). Strings are escaped as Python and JavaScript do (`\"` `\\` `\b` `\f` `\n` `\r` `\t`,
/// other control characters `\u00XX`). A body that no layout reproduces is stored as text.
package struct JSONLayout: Sendable, Hashable, CustomStringConvertible {
    package enum Base: String, Sendable, CaseIterable {
        case compact, spaced, indent2, indent4, tab
    }

    package var base: Base
    package var ascii = false
    package var newline = false

    /// The layout's name, e.g. `spaced+ascii+newline`.
    package var description: String {
        base.rawValue + (ascii ? "+ascii" : "") + (newline ? "+newline" : "")
    }

    /// `{"a":1,"b":[1,2]}`: no whitespace at all.
    package static let compact = JSONLayout(base: .compact)

    package init(base: Base, ascii: Bool = false, newline: Bool = false) {
        self.base = base
        self.ascii = ascii
        self.newline = newline
    }

    /// Parses a layout name; nil for an unknown base or modifier.
    package init?(name: String) {
        if !name.utf8.contains(UInt8(ascii: "+")) {  // the usual case, without splitting
            guard let base = Base(rawValue: name) else { return nil }
            self.base = base
            return
        }
        let parts = name.split(separator: "+", omittingEmptySubsequences: false)
        guard let first = parts.first, let base = Base(rawValue: String(first)) else { return nil }
        self.base = base
        for modifier in parts.dropFirst() {
            switch modifier {
            case "ascii" where !ascii: ascii = true
            case "newline" where !newline: newline = true
            default: return nil
            }
        }
    }

    /// The layout that writes `value` as exactly `bytes`, or nil when none does.
    package static func detect(_ value: JSONValue, bytes: [UInt8]) -> JSONLayout? {
        let newline = bytes.last == 0x0A
        let body = newline ? bytes.dropLast() : bytes[...]
        let base: Base
        if let lineBreak = body.firstIndex(of: 0x0A) {
            let next = body[(lineBreak + 1)...]
            if next.first == 0x09 {
                base = .tab
            } else {
                switch next.prefix(while: { $0 == 0x20 }).count {
                case 2: base = .indent2
                case 4: base = .indent4
                default: return nil
                }
            }
        } else {
            base = hasSpacedSeparator(body) ? .spaced : .compact
        }
        for ascii in [false, true] {
            let layout = JSONLayout(base: base, ascii: ascii, newline: newline)
            if layout.bytes(of: value).elementsEqual(bytes) { return layout }
        }
        return nil
    }

    /// True when a `,` or `:` outside strings is followed by a space.
    private static func hasSpacedSeparator(_ bytes: ArraySlice<UInt8>) -> Bool {
        var inString = false
        var escaped = false
        var previous: UInt8 = 0
        for byte in bytes {
            if inString {
                if escaped { escaped = false } else if byte == 0x5C { escaped = true } else if byte == 0x22 { inString = false }
            } else if byte == 0x22 {
                inString = true
            } else if byte == 0x20, previous == 0x2C || previous == 0x3A {
                return true
            }
            previous = byte
        }
        return false
    }

    /// `value` written in this layout.
    package func bytes(of value: JSONValue) -> [UInt8] {
        var out: [UInt8] = []
        write(value, depth: 0, margin: [], to: &out)
        if newline { out.append(0x0A) }
        return out
    }

    /// Writes `value` in this layout; `margin` starts every line after the first (a tape
    /// embeds a pretty body at its own indentation).
    package func write(_ value: JSONValue, depth: Int, margin: [UInt8], to out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let value): out.append(contentsOf: (value ? "true" : "false").utf8)
        case .number(let text): out.append(contentsOf: text.utf8)
        case .string(let text): Self.writeString(text, ascii: ascii, to: &out)
        case .array(let items):
            writeContainer(open: 0x5B, close: 0x5D, count: items.count, depth: depth, margin: margin, to: &out) { index, out in
                write(items[index], depth: depth + 1, margin: margin, to: &out)
            }
        case .object(let members):
            writeContainer(open: 0x7B, close: 0x7D, count: members.count, depth: depth, margin: margin, to: &out) { index, out in
                Self.writeString(members[index].key, ascii: ascii, to: &out)
                out.append(0x3A)
                if base != .compact { out.append(0x20) }
                write(members[index].value, depth: depth + 1, margin: margin, to: &out)
            }
        }
    }

    package var indentUnit: [UInt8] {
        switch base {
        case .compact, .spaced: []
        case .indent2: [0x20, 0x20]
        case .indent4: [0x20, 0x20, 0x20, 0x20]
        case .tab: [0x09]
        }
    }

    private func writeContainer(open: UInt8, close: UInt8, count: Int, depth: Int, margin: [UInt8],
                                to out: inout [UInt8], element: (Int, inout [UInt8]) -> Void) {
        out.append(open)
        defer { out.append(close) }
        guard count > 0 else { return }
        let unit = indentUnit
        func newLine(_ level: Int, _ out: inout [UInt8]) {
            out.append(0x0A)
            out += margin
            for _ in 0..<level { out += unit }
        }
        for index in 0..<count {
            if index > 0 {
                out.append(0x2C)
                if base == .spaced { out.append(0x20) }
            }
            if !unit.isEmpty { newLine(depth + 1, &out) }
            element(index, &out)
        }
        if !unit.isEmpty { newLine(depth, &out) }
    }

    /// Writes `text` as a JSON string, escaping as Python and JavaScript do; with `ascii`,
    /// every non-ASCII scalar as `\uXXXX` (a surrogate pair above U+FFFF).
    package static func writeString(_ text: String, ascii: Bool, to out: inout [UInt8]) {
        out.append(0x22)
        if ascii {
            for scalar in text.unicodeScalars {
                if scalar.value < 0x7F {
                    writeByte(UInt8(scalar.value), to: &out)
                } else {
                    for unit in String(scalar).utf16 { writeEscape(unit, to: &out) }
                }
            }
        } else {
            for byte in text.utf8 { writeByte(byte, to: &out) }
        }
        out.append(0x22)
    }

    @inline(__always)
    private static func writeByte(_ byte: UInt8, to out: inout [UInt8]) {
        switch byte {
        case 0x22: out.append(0x5C); out.append(0x22)
        case 0x5C: out.append(0x5C); out.append(0x5C)
        case 0x08: out.append(0x5C); out.append(UInt8(ascii: "b"))
        case 0x0C: out.append(0x5C); out.append(UInt8(ascii: "f"))
        case 0x0A: out.append(0x5C); out.append(UInt8(ascii: "n"))
        case 0x0D: out.append(0x5C); out.append(UInt8(ascii: "r"))
        case 0x09: out.append(0x5C); out.append(UInt8(ascii: "t"))
        case 0..<0x20: writeEscape(UInt16(byte), to: &out)
        default: out.append(byte)
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private static func writeEscape(_ unit: UInt16, to out: inout [UInt8]) {
        out += [0x5C, UInt8(ascii: "u")]
        for shift in stride(from: 12, through: 0, by: -4) {
            out.append(hexDigits[Int((unit >> UInt16(shift)) & 0xF)])
        }
    }
}
