import TestbedSystem
/// A manifest string with `${...}` placeholders, parsed once and resolved when the run is planned.
///
/// Forms: `${VAR}`, `${VAR:-default}` (unset or empty), `${VAR-default}` (unset),
/// `${VAR:?message}` / `${VAR?message}` (required), `${service.key}` (a value another
/// service exposes, such as `${api.ports.http}` or `${db.url}`), `${run.dir}`, and `$$`
/// for a literal `$`. A `$` not followed by `{` or `$` is kept as it is, so shell
/// variables in commands pass through to the shell.
package struct Template: Sendable, Hashable, CustomStringConvertible {
    /// One piece of a parsed template.
    package enum Part: Sendable, Hashable {
        /// Text used as it is (`$$` already turned into `$`).
        case literal(String)
        /// A variable from the caller's environment.
        case variable(name: String, fallback: Fallback?)
        /// A value of another service (or of the run, for `run.dir`).
        case reference(service: String, key: String)
    }

    /// What a `${VAR…}` placeholder does when the variable is unset (or, with `:`, empty).
    package enum Fallback: Sendable, Hashable {
        /// `:-` (when `emptyCounts`) or `-`: use this text.
        case defaultValue(String, emptyCounts: Bool)
        /// `:?` or `?`: fail with this message.
        case required(String, emptyCounts: Bool)
    }

    /// The literal text and placeholders, in order.
    package var parts: [Part]
    /// Where the string is in the manifest, for error messages.
    package var location: SourceLocation

    /// The text as written, for messages.
    package var source: String

    /// A template that stands for `literal` exactly; any `$` in it is taken literally.
    package init(literal: String, location: SourceLocation = .init(file: "", line: 0, column: 0)) {
        self.parts = literal.isEmpty ? [] : [.literal(literal)]
        self.location = location
        self.source = literal.replacingOccurrences(of: "$", with: "$$")
    }

    /// A template made of `parts` (its source is their text, for messages).
    package init(parts: [Part], location: SourceLocation) {
        self.parts = parts
        self.location = location
        self.source = parts.map { part -> String in
            switch part {
            case .literal(let text): text.replacingOccurrences(of: "$", with: "$$")
            case .reference(let service, let key): "${\(service).\(key)}"
            case .variable(let name, _): "${\(name)}"
            }
        }.joined()
    }

    /// Parses `text`; throws a message (without location) for malformed placeholders.
    package init(parsing text: String, location: SourceLocation) throws(TemplateSyntaxError) {
        self.source = text
        self.location = location
        var parts: [Part] = []
        var literal = ""
        var index = text.startIndex
        while index < text.endIndex {
            let char = text[index]
            guard char == "$" else {
                literal.append(char)
                index = text.index(after: index)
                continue
            }
            let next = text.index(after: index)
            if next < text.endIndex, text[next] == "$" {
                literal.append("$")
                index = text.index(after: next)
                continue
            }
            guard next < text.endIndex, text[next] == "{" else {
                literal.append("$")
                index = next
                continue
            }
            guard let close = text[next...].firstIndex(of: "}") else {
                throw TemplateSyntaxError(message: "'${' at column offset \(text.distance(from: text.startIndex, to: index)) is never closed with '}'")
            }
            let body = String(text[text.index(after: next)..<close])
            if !literal.isEmpty {
                parts.append(.literal(literal))
                literal = ""
            }
            parts.append(try Template.parsePlaceholder(body))
            index = text.index(after: close)
        }
        if !literal.isEmpty { parts.append(.literal(literal)) }
        self.parts = parts
    }

    private static func parsePlaceholder(_ body: String) throws(TemplateSyntaxError) -> Part {
        let variableEnd = body.firstIndex { !($0.isLetter || $0.isNumber || $0 == "_") } ?? body.endIndex
        // `${service.key}`: service names may contain '-', and keys start with a letter,
        // which tells `${my-api.url}` (a reference) from `${VERSION-1.2}` (a default).
        if variableEnd < body.endIndex, body[variableEnd] == "." || body[variableEnd] == "-",
           let dotIndex = body.firstIndex(of: "."), body[body.index(after: dotIndex)...].first?.isLetter == true,
           body.allSatisfy({ $0.isLetter || $0.isNumber || "_.-".contains($0) }) {
            let dot = body.firstIndex(of: ".")!
            let service = String(body[..<dot])
            let key = String(body[body.index(after: dot)...])
            guard !service.isEmpty, !key.isEmpty else {
                throw TemplateSyntaxError(message: "'${\(body)}' is not of the form ${service.key}")
            }
            return .reference(service: service, key: key)
        }
        let name = String(body[..<variableEnd])
        let rest = body[variableEnd...]
        guard !name.isEmpty else {
            throw TemplateSyntaxError(message: "'${\(body)}' has no variable name")
        }
        guard name.first.map({ $0.isLetter || $0 == "_" }) == true else {
            throw TemplateSyntaxError(message: "'${\(body)}': '\(name)' is not a valid variable name")
        }
        if rest.isEmpty { return .variable(name: name, fallback: nil) }
        for (op, emptyCounts, isDefault) in [(":-", true, true), ("-", false, true), (":?", true, false), ("?", false, false)] {
            if rest.hasPrefix(op) {
                let value = String(rest.dropFirst(op.count))
                let fallback: Fallback = isDefault
                    ? .defaultValue(value, emptyCounts: emptyCounts)
                    : .required(value, emptyCounts: emptyCounts)
                return .variable(name: name, fallback: fallback)
            }
        }
        throw TemplateSyntaxError(message: "'${\(body)}': expected ':-', '-', ':?' or '?' after '\(name)'")
    }

    /// The service names this template refers to (not `run`).
    package var referencedServices: [String] {
        parts.compactMap {
            if case .reference(let service, _) = $0, service != "run" { return service }
            return nil
        }
    }

    /// True when the template contains no placeholders.
    package var isLiteral: Bool {
        parts.allSatisfy { if case .literal = $0 { return true } else { return false } }
    }

    /// The text as written in the manifest.
    package var description: String { source }
}

/// A malformed placeholder; the manifest loader adds the location.
package struct TemplateSyntaxError: TestbedError {
    /// What is wrong with the placeholder, without the manifest location.
    package var message: String
}

import Foundation
