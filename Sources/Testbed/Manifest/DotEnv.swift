import Foundation
import TestbedModel

/// The `.env` file beside a manifest: variables for `${VAR}` interpolation, as Compose reads it.
///
/// Lines are `NAME=value`; blank lines and `#` comments are skipped, and an `export ` in
/// front is allowed. A value in single quotes is taken as it is; in double quotes, `\n`,
/// `\t`, `\"` and `\\` are unescaped; an unquoted value is trimmed and ends at ` #`.
/// Values are not interpolated. The variables only feed `${…}`: they are not added to the
/// services' environment, and a variable set in the caller's environment wins.
enum DotEnv {
    /// The variables of `DIRECTORY/.env`; empty when there is no such file. Throws a problem at
    /// the line of a malformed entry.
    static func read(directory: String) throws(ManifestProblem) -> [String: String] {
        let path = (directory as NSString).appendingPathComponent(".env")
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { return [:] }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ManifestProblem(SourceLocation(file: path, line: 1, column: 1), "the .env file beside the manifest cannot be read",
                                  hint: "make it readable, or remove it")
        }
        let text: String
        do {
            text = try TextFile.utf8(data, file: path, what: "the .env file")
        } catch {
            throw error.problems[0]
        }
        return try parse(text, file: path)
    }

    /// Parses `.env` text; `file` names it in problems.
    static func parse(_ text: String, file: String) throws(ManifestProblem) -> [String: String] {
        var variables: [String: String] = [:]
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            line = line.drop { $0 == " " || $0 == "\t" }
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = line.dropFirst("export ".count).drop { $0 == " " } }
            let location = SourceLocation(file: file, line: index + 1, column: 1)
            guard let equals = line.firstIndex(of: "=") else {
                throw ManifestProblem(location, "a line of the .env file must look like NAME=value, found '\(line)'",
                                      hint: "comment it out with '#', or add '='")
            }
            let name = String(line[..<equals]).trimmingCharacters(in: .whitespaces)
            guard ManifestLoader.isValidVariableName(name) else {
                throw ManifestProblem(location, "'\(name)' in the .env file is not a valid variable name",
                                      hint: "use letters, digits and '_', not starting with a digit")
            }
            variables[name] = try value(line[line.index(after: equals)...], location: location)
        }
        return variables
    }

    private static func value(_ raw: Substring, location: SourceLocation) throws(ManifestProblem) -> String {
        let text = raw.drop { $0 == " " || $0 == "\t" }
        guard let quote = text.first, quote == "\"" || quote == "'" else {
            var value = String(text)
            if let comment = value.range(of: " #") { value = String(value[..<comment.lowerBound]) }
            return value.trimmingCharacters(in: .whitespaces)
        }
        var result = ""
        var index = text.index(after: text.startIndex)
        while index < text.endIndex {
            let character = text[index]
            if character == quote { return result }
            if quote == "\"" && character == "\\" && text.index(after: index) < text.endIndex {
                index = text.index(after: index)
                switch text[index] {
                case "n": result.append("\n")
                case "t": result.append("\t")
                case "r": result.append("\r")
                default: result.append(text[index])
                }
            } else {
                result.append(character)
            }
            index = text.index(after: index)
        }
        throw ManifestProblem(location, "a value in the .env file has no closing \(quote)",
                              hint: "close the quote on the same line")
    }
}
