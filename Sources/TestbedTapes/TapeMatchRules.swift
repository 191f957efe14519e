import TestbedModel
/// What makes a request match a recorded one, beyond the defaults (method, path, query
/// parameters in any order, and the body, JSON compared as data).
///
/// See docs/tapes.md, "Matching".
public struct TapeMatchRules: Sendable, Hashable {
    /// Header names compared too (case-insensitive; all values of the header, in order).
    /// Default: none.
    package var headers: [String]
    /// Query parameters left out of the comparison (e.g. a timestamp or a cache buster).
    package var ignoredQuery: [String]
    /// JSON paths left out of the body comparison, e.g. `$.nonce`, `$.items[*].id`
    /// (``JSONPath``; docs/tapes.md, "JSON paths"). A path that is not valid is reported by
    /// ``invalidPaths``.
    package var ignoredJSON: [String]
    /// Whether bodies are compared at all (default true).
    package var body: Bool

    /// Method, path, query and body; no headers; nothing ignored.
    public static let `default` = TapeMatchRules()

    /// Makes rules.
    public init(headers: [String] = [], ignoredQuery: [String] = [], ignoredJSON: [String] = [], body: Bool = true) {
        self.headers = headers
        self.ignoredQuery = ignoredQuery
        self.ignoredJSON = ignoredJSON
        self.body = body
    }

    /// The entries of ``ignoredJSON`` that are not JSON paths of the supported grammar
    /// (a manifest reader reports them with their line).
    package var invalidPaths: [String] {
        ignoredJSON.filter { JSONPath.bodyRuleError($0) != nil }
    }
}
