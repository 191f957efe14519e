extension JSONLayout {
    /// The JSON value that starts at `start` in `bytes`, written in this layout without
    /// building a tree: how a tape's `json` body becomes the recorded bytes again.
    ///
    /// `bytes` must hold valid JSON from `start` on (the tape reader has checked it); the
    /// output is what ``bytes(of:)`` gives for the parsed value.
    package func rewrite(_ bytes: [UInt8], from start: Int) -> [UInt8] {
        var out: [UInt8] = []
        var position = start
        rewriteValue(bytes, &position, depth: 0, &out)
        if newline { out.append(0x0A) }
        return out
    }

    /// Reads the JSON value at the cursor, checking its syntax, and writes it in this layout:
    /// one pass for a tape whose `layout` comes before its `json` (as Testbed writes them),
    /// and a fixture's nested value as compact text. The output is what ``bytes(of:)`` gives
    /// for the value ``JSONValue/read(from:)`` would read.
    package func rewrite(from cursor: inout JSONCursor) throws(JSONSyntaxError) -> [UInt8] {
        var out: [UInt8] = []
        try rewriteValue(&cursor, depth: 0, unit: indentUnit, &out)
        if newline { out.append(0x0A) }
        return out
    }

    private func rewriteValue(_ cursor: inout JSONCursor, depth: Int, unit: [UInt8], _ out: inout [UInt8]) throws(JSONSyntaxError) {
        cursor.skipWhitespace()
        guard let byte = cursor.current else { throw cursor.fail("unexpected end of file, expected a value") }
        func separate(_ index: Int) {
            if index > 0 {
                out.append(0x2C)
                if base == .spaced { out.append(0x20) }
            }
            guard !unit.isEmpty else { return }
            out.append(0x0A)
            for _ in 0...depth { out.append(contentsOf: unit) }
        }
        func close(_ count: Int, _ byte: UInt8) {
            if count > 0, !unit.isEmpty {
                out.append(0x0A)
                for _ in 0..<depth { out.append(contentsOf: unit) }
            }
            out.append(byte)
        }
        switch byte {
        case UInt8(ascii: "{"):
            try cursor.beginObject()
            out.append(byte)
            var first = true
            var count = 0
            while let key = try cursor.nextKey(&first) {
                separate(count)
                // A key is copied as it stands unless the layout would write it otherwise.
                let token = cursor.bytes[key.range]
                if key.escaped || token.contains(where: { $0 >= 0x7F }) {
                    Self.writeString(cursor.text(of: key), ascii: ascii, to: &out)
                } else {
                    out.append(0x22)
                    out.append(contentsOf: token)
                    out.append(0x22)
                }
                out.append(0x3A)
                if base != .compact { out.append(0x20) }
                try rewriteValue(&cursor, depth: depth + 1, unit: unit, &out)
                count += 1
            }
            close(count, UInt8(ascii: "}"))
        case UInt8(ascii: "["):
            try cursor.beginArray()
            out.append(byte)
            var first = true
            var count = 0
            while try cursor.nextElement(&first) {
                separate(count)
                try rewriteValue(&cursor, depth: depth + 1, unit: unit, &out)
                count += 1
            }
            close(count, UInt8(ascii: "]"))
        case UInt8(ascii: "\""):
            let start = cursor.position
            let escaped = try cursor.skipString()
            let token = cursor.bytes[start..<cursor.position]
            if escaped || (ascii && token.contains { $0 >= 0x7F }) {
                let text = cursor.text(of: JSONCursor.Key(range: start + 1..<cursor.position - 1, escaped: true))
                Self.writeString(text, ascii: ascii, to: &out)
            } else {
                out.append(contentsOf: token)
            }
        case UInt8(ascii: "t"): try cursor.word("true"); out.append(contentsOf: "true".utf8)
        case UInt8(ascii: "f"): try cursor.word("false"); out.append(contentsOf: "false".utf8)
        case UInt8(ascii: "n"): try cursor.word("null"); out.append(contentsOf: "null".utf8)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let start = cursor.position
            try cursor.skipNumber()
            out.append(contentsOf: cursor.bytes[start..<cursor.position])
        default:
            throw cursor.fail("unexpected \(cursor.describeCurrent()), expected a value")
        }
    }

    private static func skipWhitespace(_ bytes: [UInt8], _ position: inout Int) {
        while position < bytes.count, bytes[position] == 0x20 || bytes[position] == 0x0A || bytes[position] == 0x0D || bytes[position] == 0x09 {
            position += 1
        }
    }

    private func rewriteValue(_ bytes: [UInt8], _ position: inout Int, depth: Int, _ out: inout [UInt8]) {
        Self.skipWhitespace(bytes, &position)
        guard position < bytes.count else { return }
        switch bytes[position] {
        case UInt8(ascii: "{"):
            rewriteContainer(bytes, &position, close: UInt8(ascii: "}"), depth: depth, &out) { position, out in
                rewriteString(bytes, &position, &out)
                Self.skipWhitespace(bytes, &position)
                position += 1
                out.append(0x3A)
                if base != .compact { out.append(0x20) }
                rewriteValue(bytes, &position, depth: depth + 1, &out)
            }
        case UInt8(ascii: "["):
            rewriteContainer(bytes, &position, close: UInt8(ascii: "]"), depth: depth, &out) { position, out in
                rewriteValue(bytes, &position, depth: depth + 1, &out)
            }
        case UInt8(ascii: "\""):
            rewriteString(bytes, &position, &out)
        default:
            let start = position
            while position < bytes.count {
                let byte = bytes[position]
                if byte == 0x2C || byte == 0x5D || byte == 0x7D || byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { break }
                position += 1
            }
            out.append(contentsOf: bytes[start..<position])
        }
    }

    private func rewriteContainer(_ bytes: [UInt8], _ position: inout Int, close: UInt8, depth: Int, _ out: inout [UInt8],
                                  element: (inout Int, inout [UInt8]) -> Void) {
        out.append(bytes[position])
        position += 1
        Self.skipWhitespace(bytes, &position)
        if position < bytes.count, bytes[position] == close {
            position += 1
            out.append(close)
            return
        }
        let unit: [UInt8] = switch base {
        case .compact, .spaced: []
        case .indent2: [0x20, 0x20]
        case .indent4: [0x20, 0x20, 0x20, 0x20]
        case .tab: [0x09]
        }
        var index = 0
        while position < bytes.count {
            if index > 0 {
                out.append(0x2C)
                if base == .spaced { out.append(0x20) }
            }
            if !unit.isEmpty {
                out.append(0x0A)
                for _ in 0...depth { out.append(contentsOf: unit) }
            }
            Self.skipWhitespace(bytes, &position)
            element(&position, &out)
            index += 1
            Self.skipWhitespace(bytes, &position)
            guard position < bytes.count else { break }
            let separator = bytes[position]
            position += 1
            if separator == close { break }
        }
        if !unit.isEmpty {
            out.append(0x0A)
            for _ in 0..<depth { out.append(contentsOf: unit) }
        }
        out.append(close)
    }

    /// Copies a string token as it is when the layout would write it the same way (no
    /// escapes in it, and nothing to escape for `+ascii`); else decodes and writes it.
    private func rewriteString(_ bytes: [UInt8], _ position: inout Int, _ out: inout [UInt8]) {
        var end = position + 1
        var plain = true
        while end < bytes.count, bytes[end] != 0x22 {
            if bytes[end] == 0x5C || (ascii && bytes[end] >= 0x7F) { plain = false; break }
            end += 1
        }
        if plain, end < bytes.count {
            out.append(contentsOf: bytes[position...end])
            position = end + 1
            return
        }
        var cursor = JSONCursor(bytes: bytes)
        cursor.seek((position, 1))
        let text = (try? cursor.string()) ?? ""
        position = cursor.position
        Self.writeString(text, ascii: ascii, to: &out)
    }
}
