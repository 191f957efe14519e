import Foundation
import TestbedModel

/// What is taken out of an exchange before it reaches a tape: secrets in headers, query
/// parameters and JSON bodies, each replaced by ``placeholder``.
///
/// Authorization, Cookie, Set-Cookie and Proxy-Authorization are always redacted
/// (``defaultHeaders``); ``headers``, ``query`` and ``json`` add to them. Query parameters are
/// redacted in the request target and in `application/x-www-form-urlencoded` request
/// bodies; JSON paths (`$.card.number`, `$.items[*].token`) in request and response bodies,
/// whose value becomes the placeholder string. See docs/tapes.md, "Redaction".
public struct TapeRedaction: Sendable, Hashable {
    /// The headers redacted whatever the rules say.
    package static let defaultHeaders = ["Authorization", "Cookie", "Set-Cookie", "Proxy-Authorization"]
    /// The default placeholder: `REDACTED` (safe in a header, a query and a JSON string).
    public static let defaultPlaceholder = "REDACTED"

    /// Header names redacted in addition to ``defaultHeaders`` (case-insensitive).
    package var headers: [String]
    /// Query parameter names (as decoded, case-sensitive).
    package var query: [String]
    /// JSON paths in request and response bodies.
    package var json: [String]
    /// What replaces a secret; percent-encoded where it goes into a query.
    package var placeholder: String

    /// Makes rules; with no arguments, only the default headers are redacted.
    public init(headers: [String] = [], query: [String] = [], json: [String] = [],
                placeholder: String = TapeRedaction.defaultPlaceholder) {
        self.headers = headers
        self.query = query
        self.json = json
        self.placeholder = placeholder
    }

    /// The entries of ``json`` that are not JSON paths of the supported grammar.
    package var invalidPaths: [String] {
        json.filter { JSONPath.bodyRuleError($0) != nil }
    }

    /// `exchange` with every secret the rules name replaced by the placeholder.
    package func redact(_ exchange: TapeExchange) -> TapeExchange {
        var used: Set<String> = []
        return redact(exchange, used: &used)
    }

    /// `request` with every secret the rules name replaced: what a request looks like on
    /// the tape, so that a player compares like with like (see ``TapePlayer/init(tape:rules:redaction:)``).
    package func redact(_ request: TapeRequest) -> TapeRequest {
        redact(TapeExchange(request: request, response: TapeResponse(status: 200))).request
    }

    /// The rules the caller named (``headers``, ``query``, ``json``) that matched nothing in
    /// `exchanges`, as `header X-Api-Key`, `query token`, `json $.card.number`; invalid JSON
    /// paths are listed too. A link reports them: a rule that never matches usually has a typo.
    public func unusedRules(in exchanges: [TapeExchange]) -> [String] {
        var used: Set<String> = []
        for exchange in exchanges { _ = redact(exchange, used: &used) }
        return headers.map { "header " + $0 }.filter { !used.contains($0.lowercased()) }
            + query.map { "query " + $0 }.filter { !used.contains($0) }
            + json.map { "json " + $0 }.filter { !used.contains($0) }
    }

    private func redact(_ exchange: TapeExchange, used: inout Set<String>) -> TapeExchange {
        var result = exchange
        let names = Self.defaultHeaders + headers
        result.request.headers = redact(exchange.request.headers, names: names, used: &used)
        result.response.headers = redact(exchange.response.headers, names: names, used: &used)
        if !query.isEmpty {
            if let questionMark = exchange.request.target.firstIndex(of: "?") {
                let query = String(exchange.request.target[exchange.request.target.index(after: questionMark)...])
                result.request.target = String(exchange.request.target[...questionMark]) + redact(query: query, used: &used)
            }
            let type = exchange.request.headers.first("Content-Type")?.lowercased() ?? ""
            if type.hasPrefix("application/x-www-form-urlencoded"),
               let form = String(validating: exchange.request.body, as: UTF8.self) {
                result.request.body = Array(redact(query: form, used: &used).utf8)
            }
        }
        let paths = json.compactMap { text in (try? JSONPath(bodyRule: text)).map { (text, $0) } }
        if !paths.isEmpty {
            result.request.body = redact(json: result.request.body, paths: paths, used: &used)
            result.response.body = redact(json: result.response.body, paths: paths, used: &used)
        }
        return result
    }

    private func redact(_ list: [TapeHeader], names: [String], used: inout Set<String>) -> [TapeHeader] {
        list.map { header in
            guard let name = names.first(where: { header.matches($0) }) else { return header }
            used.insert("header " + name.lowercased())
            return TapeHeader(header.name, placeholder)
        }
    }

    /// `query` with the value of every named parameter replaced; the rest byte for byte.
    private func redact(query text: String, used: inout Set<String>) -> String {
        let secret = Set(query)
        let encoded = placeholder.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=+#"))) ?? placeholder
        let pairs = text.split(separator: "&", omittingEmptySubsequences: false).map { pair -> String in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = TapeRequestKey.parameters(String(parts[0])).first?.name ?? String(parts[0])
            guard secret.contains(name) else { return String(pair) }
            used.insert("query " + name)
            return parts[0] + "=" + encoded
        }
        return pairs.joined(separator: "&")
    }

    /// `body` with the value at every path replaced, written back in the body's own layout
    /// (compact when no layout reproduced it); unchanged when it is not JSON or no path reaches.
    private func redact(json body: [UInt8], paths: [(text: String, path: JSONPath)], used: inout Set<String>) -> [UInt8] {
        guard let original = TapeBody.parseContainer(body) else { return body }
        var value = original
        var reached = false
        for (text, path) in paths where path.apply(.replace(placeholder), to: &value) > 0 {
            used.insert("json " + text)
            reached = true
        }
        guard reached else { return body }
        let layout = JSONLayout.detect(original, bytes: body) ?? .compact
        return layout.bytes(of: value)
    }
}
