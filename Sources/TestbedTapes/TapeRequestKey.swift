import Foundation
import TestbedModel

/// A request reduced to what the match rules compare, so that matching is one dictionary
/// lookup and a miss can say, field by field, how it differs from a recorded request.
struct TapeRequestKey: Hashable, Sendable {
    enum Body: Hashable, Sendable {
        case ignored
        case empty
        /// The body as data (``JSONValue/canonical``), ignored paths taken out.
        case json(JSONValue)
        case bytes([UInt8])
    }

    struct Parameter: Hashable, Comparable, Sendable {
        var name: String
        var value: String?
        static func < (left: Parameter, right: Parameter) -> Bool {
            (left.name, left.value ?? "") < (right.name, right.value ?? "")
        }
    }

    var method: String
    var path: String
    /// Query parameters, percent-decoded, sorted; ignored ones left out.
    var query: [Parameter]
    /// Each header the rules name (lowercased) with its values, in the rules' order.
    var headers: [Header]

    struct Header: Hashable, Sendable {
        var name: String
        var values: [String]
    }
    var body: Body

    init(_ request: TapeRequest, rules: TapeMatchRules, paths: [JSONPath]) {
        method = request.method.uppercased()
        path = request.path
        let ignored = Set(rules.ignoredQuery)
        query = Self.parameters(request.query).filter { !ignored.contains($0.name) }.sorted()
        headers = rules.headers.map { name in
            Header(name: name.lowercased(), values: request.headers.filter { $0.matches(name) }.map(\.value))
        }
        if !rules.body {
            body = .ignored
        } else if request.body.isEmpty {
            body = .empty
        } else if var value = TapeBody.parseContainer(request.body) {
            for path in paths { path.apply(.erase, to: &value) }
            body = .json(value.canonical)
        } else {
            body = .bytes(request.body)
        }
    }

    /// `a=1&b=%20` → [a: "1", b: " "]; a name without `=` has no value.
    static func parameters(_ query: String?) -> [Parameter] {
        guard let query, !query.isEmpty else { return [] }
        return query.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return Parameter(name: decode(parts[0]), value: parts.count > 1 ? decode(parts[1]) : nil)
        }
    }

    private static func decode(_ text: Substring) -> String {
        guard text.contains(where: { $0 == "%" || $0 == "+" }) else { return String(text) }
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }

    /// How `got` differs from `self` (the recorded request), one line per difference, e.g.
    /// `query 'page': recorded "2", got "3"` or `body $.amount: recorded 100, got 250`.
    func differences(from got: TapeRequestKey) -> [String] {
        var lines: [String] = []
        if method != got.method { lines.append("method: recorded \(method), got \(got.method)") }
        if path != got.path { lines.append("path: recorded \(Self.quoted(path)), got \(Self.quoted(got.path))") }
        if query != got.query {
            let names = Set(query.map(\.name)).union(got.query.map(\.name)).sorted()
            for name in names {
                let recorded = query.filter { $0.name == name }
                let received = got.query.filter { $0.name == name }
                guard recorded != received else { continue }
                lines.append("query '\(name)': recorded \(Self.values(recorded)), got \(Self.values(received))")
            }
        }
        for (recorded, received) in zip(headers, got.headers) where recorded != received {
            lines.append("header '\(recorded.name)': recorded \(Self.list(recorded.values)), got \(Self.list(received.values))")
        }
        lines += Self.bodyDifferences(body, got.body)
        return lines
    }

    private static func bodyDifferences(_ recorded: Body, _ got: Body) -> [String] {
        switch (recorded, got) {
        case _ where recorded == got: []
        case (.json(let left), .json(let right)): jsonDifferences(left, right, at: .root).map { "body " + $0 }
        default: ["body: recorded \(describe(recorded)), got \(describe(got))"]
        }
    }

    private static func describe(_ body: Body) -> String {
        switch body {
        case .ignored: "(not compared)"
        case .empty: "no body"
        case .json(let value): "JSON " + summary(value)
        case .bytes(let bytes):
            if let text = String(validating: bytes, as: UTF8.self) {
                "\(bytes.count) bytes " + quoted(text.count > 60 ? String(text.prefix(60)) + "…" : text)
            } else {
                "\(bytes.count) bytes of binary data"
            }
        }
    }

    private static func quoted(_ text: String) -> String {
        var out: [UInt8] = []
        JSONLayout.writeString(text, ascii: false, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    private static func values(_ parameters: [Parameter]) -> String {
        guard !parameters.isEmpty else { return "none" }
        return parameters.map { $0.value.map(quoted) ?? "(no value)" }.joined(separator: ", ")
    }

    private static func list(_ values: [String]) -> String {
        values.isEmpty ? "none" : values.map(quoted).joined(separator: ", ")
    }

    /// Where `got` differs from `recorded` (both canonical), as `$.a.b: recorded X, got Y`
    /// lines, depth first, keys sorted.
    private static func jsonDifferences(_ recorded: JSONValue, _ got: JSONValue, at path: JSONPath) -> [String] {
        switch (recorded, got) {
        case (.object, .object):
            let left = recorded.membersByKey!, right = got.membersByKey!
            var lines: [String] = []
            for key in Set(left.keys).union(right.keys).sorted() {
                let child = path.appending(.field(key))
                switch (left[key], right[key]) {
                case (let one?, let two?): lines += jsonDifferences(one, two, at: child)
                case (let one?, nil): lines.append("\(child): recorded \(summary(one)), got none")
                case (nil, let two?): lines.append("\(child): recorded none, got \(summary(two))")
                case (nil, nil): break
                }
            }
            return lines
        case (.array(let left), .array(let right)) where left.count == right.count:
            return zip(left, right).enumerated().flatMap { index, pair in
                jsonDifferences(pair.0, pair.1, at: path.appending(.index(index)))
            }
        case (.array(let left), .array(let right)):
            return ["\(path): recorded \(left.count) items, got \(right.count)"]
        default:
            return recorded == got ? [] : ["\(path): recorded \(summary(recorded)), got \(summary(got))"]
        }
    }

    /// Compact JSON of a canonical value (keys sorted), cut after `limit` characters with `…`.
    private static func summary(_ value: JSONValue, limit: Int = 60) -> String {
        let text = value.compactText
        return text.count > limit ? String(text.prefix(limit)) + "…" : text
    }
}
