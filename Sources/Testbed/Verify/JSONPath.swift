import Foundation

/// A place in a JSON document, written as in JSONPath: `$`, `$.items[0].price`,
/// `$["content-type"]`; as a pattern also `[*]` (any element) and `.*` (any field).
///
/// A pattern matches a path when it matches the path's first components: `$.meta` covers
/// everything below `meta`.
public struct JSONPath: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// One step of a path.
    public enum Component: Sendable, Hashable {
        case field(String)
        case index(Int)
        /// `.*` in a pattern: any field.
        case anyField
        /// `[*]` in a pattern: any element.
        case anyIndex
    }

    /// The steps from the document's root.
    public var components: [Component]

    /// The root, `$`.
    public static let root = JSONPath(components: [])

    /// Makes a path from its steps.
    public init(components: [Component]) {
        self.components = components
    }

    /// Parses `$.a.b[0]["c d"][*].*`; the leading `$` may be left out (`items[*].id`).
    /// Throws ``JSONPathError`` naming the offending character.
    public init(parsing text: String) throws(JSONPathError) {
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        if rest.hasPrefix("$") { rest = rest.dropFirst() } else if !rest.isEmpty && !rest.hasPrefix(".") && !rest.hasPrefix("[") { rest = "." + rest }
        var components: [Component] = []
        while let first = rest.first {
            if first == "." {
                rest = rest.dropFirst()
                let name = rest.prefix { $0 != "." && $0 != "[" }
                guard !name.isEmpty else { throw JSONPathError(path: text, message: "a '.' must be followed by a field name") }
                components.append(name == "*" ? .anyField : .field(String(name)))
                rest = rest.dropFirst(name.count)
            } else if first == "[" {
                guard let close = rest.firstIndex(of: "]") else { throw JSONPathError(path: text, message: "'[' is never closed") }
                let inside = rest[rest.index(after: rest.startIndex)..<close]
                if inside == "*" {
                    components.append(.anyIndex)
                } else if let index = Int(inside), index >= 0 {
                    components.append(.index(index))
                } else if inside.count >= 2, let quote = inside.first, quote == "\"" || quote == "'", inside.last == quote {
                    components.append(.field(String(inside.dropFirst().dropLast())))
                } else {
                    throw JSONPathError(path: text, message: "'[\(inside)]' is neither an index, [*] nor a quoted field name")
                }
                rest = rest[rest.index(after: close)...]
            } else {
                throw JSONPathError(path: text, message: "unexpected '\(first)': write fields as .name or [\"name\"] and elements as [0] or [*]")
            }
        }
        self.components = components
    }

    /// This path with one more step.
    public func appending(_ component: Component) -> JSONPath {
        JSONPath(components: components + [component])
    }

    /// This path with every element index replaced by `[*]`: what a learned volatile field is
    /// recorded as, so that `$.items[0].id` covers every element's `id`.
    public var generalized: JSONPath {
        JSONPath(components: components.map { if case .index = $0 { .anyIndex } else { $0 } })
    }

    /// True when this pattern covers `path`: each of its steps matches the path's step at the
    /// same place (`[*]` any index, `.*` any field), and the path is at least as long.
    public func covers(_ path: JSONPath) -> Bool {
        guard components.count <= path.components.count else { return false }
        for (pattern, step) in zip(components, path.components) {
            switch (pattern, step) {
            case (.anyIndex, .index), (.anyIndex, .anyIndex), (.anyField, .field), (.anyField, .anyField): continue
            default: if pattern != step { return false }
            }
        }
        return true
    }

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

    public static func < (lhs: JSONPath, rhs: JSONPath) -> Bool {
        lhs.description < rhs.description
    }
}

/// A JSON path that cannot be read (`--ignore`, a manifest's `ignore:`).
public struct JSONPathError: TestbedError, Hashable {
    /// The path as written.
    public var path: String
    /// What is wrong with it.
    public var message: String

    /// `invalid JSON path 'PATH': MESSAGE`, with examples of valid paths.
    public var description: String { "invalid JSON path '\(path)': \(message) (e.g. $.id, $.items[*].created_at)" }
}
