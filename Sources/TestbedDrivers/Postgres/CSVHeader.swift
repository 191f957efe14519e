import Foundation

/// Reads the column names from the first row of a CSV file (quotes and `""` aware).
enum CSVHeader {
    static func columns(path: String, delimiter: Character) -> [String]? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let data = try? handle.read(upToCount: 1 << 16), !data.isEmpty else { return nil }
        return parse(String(decoding: data, as: UTF8.self), delimiter: delimiter)
    }

    static func parse(_ text: String, delimiter: Character) -> [String] {
        var fields: [String] = []
        var field = ""
        var quoted = false
        var iterator = text.makeIterator()
        var pending: Character? = nil
        while let char = pending ?? iterator.next() {
            pending = nil
            if quoted {
                if char == "\"" {
                    let next = iterator.next()
                    if next == "\"" { field.append("\"") } else { quoted = false; pending = next }
                } else { field.append(char) }
            } else if char == "\"" {
                quoted = true
            } else if char == delimiter {
                fields.append(field); field = ""
            } else if char == "\n" || char == "\r\n" || char == "\r" {
                break
            } else {
                field.append(char)
            }
        }
        fields.append(field)
        if text.hasPrefix("\u{FEFF}"), !fields.isEmpty { fields[0] = String(fields[0].drop { $0 == "\u{FEFF}" }) }
        return fields.map { $0.trimmingCharacters(in: .whitespaces) }
    }
}
