import Foundation

/// Locations in the text of a manifest (or a file beside it) for problems that the YAML
/// parser reports without a usable line: bytes that are not UTF-8, a character offset, the
/// second occurrence of a duplicate key.
package enum TextFile {
    /// The file's bytes as text; throws a problem at the line and column of the first byte
    /// that is not UTF-8.
    package static func utf8(_ data: Data, file: String, what: String) throws(ManifestError) -> String {
        if var text = String(validating: data, as: UTF8.self) {
            if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
            return text
        }
        // Not UTF-8: find the first bad byte's line and column.
        let bytes = [UInt8](data)
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0, line = 1, column = 1
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded):
                offset += encoded.count
                if encoded.count == 1 && encoded.first == 0x0A {
                    line += 1
                    column = 1
                } else {
                    column += 1
                }
            case .error(let length):
                let byte = bytes[offset]
                throw ManifestError(problems: [ManifestProblem(SourceLocation(file: file, line: line, column: column),
                    "\(what) is not UTF-8 text: byte 0x\(String(byte, radix: 16, uppercase: true)) (\(length) byte\(length == 1 ? "" : "s")) is not valid UTF-8",
                    hint: "save the file as UTF-8")])
            case .emptyInput:
                var text = String(decoding: bytes, as: UTF8.self)
                if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
                return text
            }
        }
    }

    /// The line and column of the character at `offset` (in Characters, as Yams counts).
    package static func location(ofCharacter offset: Int, in text: String, file: String) -> SourceLocation {
        var line = 1, column = 1
        for character in text.prefix(offset) {
            if character == "\n" || character == "\r\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return SourceLocation(file: file, line: line, column: column)
    }

    /// Where `key` is written again after its first occurrence `first` in the same mapping:
    /// the next line at the same indentation that starts with the key (block style), or a
    /// later `key:` on the same line (flow style). Nil when it cannot be found.
    package static func duplicateKey(_ key: String, after first: SourceLocation, in text: String) -> SourceLocation? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
        guard first.line >= 1, first.line <= lines.count else { return nil }
        let spellings = [key, "\"\(key)\"", "'\(key)'"]
        func keyStarts(_ rest: Substring) -> Bool {
            spellings.contains { spelling in
                guard rest.hasPrefix(spelling) else { return false }
                return rest.dropFirst(spelling.count).drop { $0 == " " || $0 == "\t" }.first == ":"
            }
        }
        // Flow style: a later occurrence on the same line.
        let firstLine = Array(lines[first.line - 1])
        if first.column - 1 + key.count < firstLine.count {
            var index = first.column - 1 + key.count
            while index < firstLine.count {
                if index > 0, "{, ".contains(firstLine[index - 1]), keyStarts(Substring(String(firstLine[index...]))) {
                    return SourceLocation(file: first.file, line: first.line, column: index + 1)
                }
                index += 1
            }
        }
        // Block style: the mapping goes on while lines are blank, comments or indented deeper.
        let indent = first.column - 1
        for number in first.line..<lines.count {
            let line = lines[number]
            let leading = line.prefix { $0 == " " }.count
            let rest = line.dropFirst(leading)
            if rest.isEmpty || rest.hasPrefix("#") { continue }
            if leading < indent { return nil }
            if leading == indent {
                if keyStarts(rest) { return SourceLocation(file: first.file, line: number + 1, column: leading + 1) }
            }
        }
        return nil
    }
}
