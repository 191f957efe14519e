import Foundation

/// A place in a JSON document, in the one path grammar of Testbed: verify's `ignore`, and a
/// tape's `match.ignore_json` and `redact.json` (docs/tapes.md, "JSON paths").
///
/// `$.items[0].price`, `$["content-type"]`, `$['odd.key']`; as a pattern also `[*]` and `.*`,
/// which both stand for every member of an object or element of an array (as in RFC 9535).
/// The leading `$` may be left out (`items[*].id`, `.id`, `[0]`); `$` alone (or nothing) is
/// the whole document. A pattern covers a path when it matches the path's first steps:
/// `$.meta` covers everything below `meta`.
public struct JSONPath: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// One step of a path.
    public enum Component: Sendable, Hashable {
        /// `.name` or `["name"]`: an object's member.
        case field(String)
        /// `[N]`: an array's element, from 0.
        case index(Int)
        /// `.*`: every member or element.
        case anyField
        /// `[*]`: every element or member.
        case anyIndex

        /// True for `.*` and `[*]`.
        package var isWildcard: Bool { self == .anyField || self == .anyIndex }
    }

    /// The steps from the document's root.
    package var components: [Component]

    /// The root, `$`.
    package static let root = JSONPath(components: [])

    /// Makes a path from its steps.
    public init(components: [Component]) {
        self.components = components
    }

    /// Parses `$.a.b[0]["c d"][*].*`; the leading `$` may be left out (`items[*].id`), and
    /// whitespace around the path is ignored. Throws ``JSONPathError`` with the position of
    /// the offending character.
    public init(parsing text: String) throws(JSONPathError) {
        var parser = Parser(text: text)
        components = try parser.parse()
    }

    /// This path with one more step.
    package func appending(_ component: Component) -> JSONPath {
        JSONPath(components: components + [component])
    }

    /// This path with every element index replaced by `[*]`: what a learned volatile field is
    /// recorded as, so that `$.items[0].id` covers every element's `id`.
    package var generalized: JSONPath {
        JSONPath(components: components.map { if case .index = $0 { .anyIndex } else { $0 } })
    }

    /// True when this pattern covers `path`: each of its steps matches the path's step at the
    /// same place (`[*]` and `.*` any index or field), and the path is at least as long.
    package func covers(_ path: JSONPath) -> Bool {
        guard components.count <= path.components.count else { return false }
        for (pattern, step) in zip(components, path.components) where !pattern.isWildcard && pattern != step {
            return false
        }
        return true
    }

    /// The path in its usual spelling: `$`, then `.name` for a name of letters, digits, `_`
    /// and `-` that does not start with a digit, else `["name"]`.
    public var description: String {
        var text = "$"
        for component in components {
            switch component {
            case .field(let name):
                let plain = !name.isEmpty && name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" } && !(name.first?.isNumber ?? false)
                text += plain ? "." + name : "[\"" + name.replacingOccurrences(of: "\"", with: "\\\"") + "\"]"
            case .index(let index): text += "[\(index)]"
            case .anyField: text += ".*"
            case .anyIndex: text += "[*]"
            }
        }
        return text
    }

    /// Orders paths by their text, so reports list them the same way in every run.
    public static func < (lhs: JSONPath, rhs: JSONPath) -> Bool {
        lhs.description < rhs.description
    }
}

extension JSONPath {
    /// Reads the grammar one character at a time, remembering where each step starts.
    private struct Parser {
        package let text: String
        package let characters: [Character]
        package var position: Int

        package init(text: String) {
            self.text = text
            characters = Array(text)
            position = 0
        }

        package func fail(at position: Int, _ message: String) -> JSONPathError {
            JSONPathError(path: text, position: position + 1, message: message)
        }

        package mutating func parse() throws(JSONPathError) -> [Component] {
            var end = characters.count
            while position < end, characters[position].isWhitespace { position += 1 }
            while end > position, characters[end - 1].isWhitespace { end -= 1 }
            var components: [Component] = []
            if position < end, characters[position] == "$" {
                position += 1
            } else if position < end, characters[position] != ".", characters[position] != "[" {
                components.append(try name(end: end))  // `items[0]`: a first name without its dot
            }
            while position < end {
                switch characters[position] {
                case ".":
                    position += 1
                    components.append(try name(end: end))
                case "[":
                    components.append(try bracket(end: end))
                default:
                    throw fail(at: position, "unexpected '\(characters[position])': write fields as .name or [\"name\"] and elements as [0] or [*]")
                }
            }
            return components
        }

        /// A name after `.` (or at the start): everything up to the next `.` or `[`.
        package mutating func name(end: Int) throws(JSONPathError) -> Component {
            let start = position
            while position < end, characters[position] != ".", characters[position] != "[" { position += 1 }
            guard position > start else { throw fail(at: start - 1, "a '.' must be followed by a field name") }
            let name = String(characters[start..<position])
            return name == "*" ? .anyField : .field(name)
        }

        /// `[N]`, `[*]`, `["name"]` or `['name']`, the cursor on its `[`. A quoted name ends
        /// at the first quote followed by `]`, so it may hold `]`, `.` and `[`.
        package mutating func bracket(end: Int) throws(JSONPathError) -> Component {
            let open = position
            let inside = open + 1
            if inside < end, characters[inside] == "\"" || characters[inside] == "'" {
                let quote = characters[inside]
                var close = inside + 1
                while close + 1 < end, !(characters[close] == quote && characters[close + 1] == "]") { close += 1 }
                if close + 1 < end {
                    position = close + 2
                    return .field(String(characters[(inside + 1)..<close]))
                }
            }
            guard let close = characters[inside..<end].firstIndex(of: "]") else { throw fail(at: open, "'[' is never closed") }
            let content = String(characters[inside..<close])
            position = close + 1
            if content == "*" { return .anyIndex }
            if let index = Int(content), index >= 0 { return .index(index) }
            throw fail(at: open, "'[\(content)]' is neither an index, [*] nor a quoted field name")
        }
    }
}
