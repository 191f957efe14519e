import Yams

/// Reads typed values out of a composed YAML document, collecting every problem with
/// its location instead of stopping at the first.
package struct NodeReader {
    let file: String
    /// The manifest's folder: `template:` files are read from it.
    package var directory: String = ""
    package var problems: [ManifestProblem] = []

    package init(file: String) {
        self.file = file
    }

    package func location(_ node: Node) -> SourceLocation {
        SourceLocation(file: file, line: node.mark?.line ?? 0, column: node.mark?.column ?? 0)
    }

    package mutating func fail(_ node: Node, service: String? = nil, _ message: String, hint: String? = nil) {
        problems.append(ManifestProblem(location(node), service: service, message, hint: hint))
    }

    /// A mapping's entries with string keys, YAML merge keys (`<<: *anchor`) applied.
    package mutating func entries(_ node: Node, _ what: String, service: String? = nil) -> [(key: String, keyNode: Node, value: Node)]? {
        guard case .mapping(let mapping) = node else {
            fail(node, service: service, "\(what) must be a mapping (key: value lines), found \(kindName(node))")
            return nil
        }
        var result: [(key: String, keyNode: Node, value: Node)] = []
        var merged: [(key: String, keyNode: Node, value: Node)] = []
        var seen = Set<String>()
        for (keyNode, value) in mapping {
            guard case .scalar(let key) = keyNode else {
                fail(keyNode, service: service, "keys of \(what) must be plain strings")
                continue
            }
            if key.string == "<<" {
                let sources: [Node] = value.sequence.map(Array.init) ?? [value]
                for source in sources {
                    merged += entries(source, "a merged mapping", service: service) ?? []
                }
                continue
            }
            if !seen.insert(key.string).inserted {
                fail(keyNode, service: service, "'\(key.string)' appears twice in \(what)")
                continue
            }
            result.append((key.string, keyNode, value))
        }
        for entry in merged where seen.insert(entry.key).inserted {
            result.append(entry)
        }
        return result
    }

    /// Reports keys that are not in `allowed` (extension keys `x-…` are always allowed).
    package mutating func checkKeys(_ entries: [(key: String, keyNode: Node, value: Node)], allowed: [String],
                            in what: String, service: String? = nil, extra: [String: String] = [:]) {
        // An empty `what` is the service itself, which the problem already names.
        let place = what.isEmpty ? "" : " in \(what)"
        for entry in entries where !allowed.contains(entry.key) && !entry.key.hasPrefix("x-") {
            if let explanation = extra[entry.key] {
                fail(entry.keyNode, service: service, "'\(entry.key)' is not supported\(place): \(explanation)")
                continue
            }
            let hint = suggestion(for: entry.key, among: allowed).map { "did you mean '\($0)'?" }
                ?? "known keys: \(allowed.joined(separator: ", "))"
            fail(entry.keyNode, service: service, "unknown key '\(entry.key)'\(place)", hint: hint)
        }
    }

    package mutating func sequence(_ node: Node, _ what: String, service: String? = nil) -> [Node]? {
        guard case .sequence(let sequence) = node else {
            fail(node, service: service, "\(what) must be a list, found \(kindName(node))")
            return nil
        }
        return Array(sequence)
    }

    /// A scalar as text (numbers and booleans are accepted as their text).
    package mutating func string(_ node: Node, _ what: String, service: String? = nil) -> String? {
        guard case .scalar(let scalar) = node else {
            fail(node, service: service, "\(what) must be a single value, found \(kindName(node))")
            return nil
        }
        if isNull(node) {
            fail(node, service: service, "\(what) is empty")
            return nil
        }
        return scalar.string
    }

    package mutating func template(_ node: Node, _ what: String, service: String? = nil) -> Template? {
        guard let text = string(node, what, service: service) else { return nil }
        do {
            return try Template(parsing: text, location: location(node))
        } catch {
            fail(node, service: service, "\(what): \(error.message)", hint: "write $$ for a literal '$'")
            return nil
        }
    }

    package mutating func int(_ node: Node, _ what: String, service: String? = nil, range: ClosedRange<Int>? = nil) -> Int? {
        guard let text = string(node, what, service: service) else { return nil }
        guard let value = Int(text) else {
            fail(node, service: service, "\(what) must be a whole number, found '\(text)'")
            return nil
        }
        if let range, !range.contains(value) {
            fail(node, service: service, "\(what) must be between \(range.lowerBound) and \(range.upperBound), found \(value)")
            return nil
        }
        return value
    }

    package mutating func bool(_ node: Node, _ what: String, service: String? = nil) -> Bool? {
        guard let text = string(node, what, service: service) else { return nil }
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default:
            fail(node, service: service, "\(what) must be true or false, found '\(text)'")
            return nil
        }
    }

    package mutating func duration(_ node: Node, _ what: String, service: String? = nil) -> Duration? {
        guard let text = string(node, what, service: service) else { return nil }
        switch Duration.parseManifest(text) {
        case .valid(let value):
            return value
        case .overLimit:
            fail(node, service: service, "\(what) must be at most \(Duration.manifestLimitText), found '\(text)'")
        case .malformed:
            fail(node, service: service, "\(what) must be a duration such as 50ms, 2s or 1m30s, found '\(text)'")
        }
        return nil
    }

    /// A list of strings or a single string, for lists of names and file paths.
    package mutating func strings(_ node: Node, _ what: String, service: String? = nil) -> [String]? {
        if case .scalar = node { return string(node, what, service: service).map { [$0] } }
        guard let items = sequence(node, what, service: service) else { return nil }
        return items.compactMap { string($0, "an entry of \(what)", service: service) }
    }

    /// `KEY: value` mapping or `- KEY=value` list, as Compose accepts for `environment`.
    package mutating func keyValues(_ node: Node, _ what: String, service: String? = nil) -> [(name: String, value: Template, node: Node)]? {
        if case .sequence(let items) = node {
            var result: [(name: String, value: Template, node: Node)] = []
            for item in items {
                guard let text = string(item, "an entry of \(what)", service: service) else { continue }
                guard let equals = text.firstIndex(of: "=") else {
                    fail(item, service: service, "an entry of \(what) must look like NAME=value, found '\(text)'")
                    continue
                }
                do {
                    let value = try Template(parsing: String(text[text.index(after: equals)...]), location: location(item))
                    result.append((String(text[..<equals]), value, item))
                } catch {
                    fail(item, service: service, "\(what): \(error.message)")
                }
            }
            return result
        }
        guard let entries = entries(node, what, service: service) else { return nil }
        return entries.compactMap { entry in
            if isNull(entry.value) { return (entry.key, Template(literal: ""), entry.keyNode) }
            return template(entry.value, "\(what) '\(entry.key)'", service: service).map { (entry.key, $0, entry.keyNode) }
        }
    }

    package func isNull(_ node: Node) -> Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain || scalar.style == .any else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    func kindName(_ node: Node) -> String {
        switch node {
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .scalar: isNull(node) ? "nothing" : "a single value"
        case .alias: "an alias"
        }
    }
}

/// The closest candidate within an edit distance of 2 (or sharing a prefix), for "did you mean".
package func suggestion(for word: String, among candidates: [String]) -> String? {
    let scored = candidates.map { ($0, editDistance(word.lowercased(), $0.lowercased())) }
    if let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(2, word.count / 3) { return best.0 }
    return candidates.first { $0.hasPrefix(word) || word.hasPrefix($0) }
}

func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}
