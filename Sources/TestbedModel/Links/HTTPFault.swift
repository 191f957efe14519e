/// A fault of an HTTP link: it understands requests, and hits those whose method and path
/// match (each request draws the fault's toxicity on its own).
///
/// Carried by ``Fault`` as ``Fault/Kind/http(_:)``, so it is named, added, removed, listed
/// and reported like a TCP fault; only an HTTP link takes it (a TCP link refuses it, and an
/// HTTP link refuses TCP faults).
public struct HTTPFault: Sendable, Hashable {
    /// What happens to a request the fault hits.
    public enum Action: Sendable, Hashable {
        /// The link answers itself with this status, body and headers (e.g. 503 with
        /// `Retry-After: 2`); the upstream and the tape never see the request.
        case status(Int, body: String, headers: [TapeHeader])
        /// The answer is held back this long (± a uniformly drawn jitter, never below zero).
        case latency(Duration, jitter: Duration)
        /// The response's head announces the whole body, but the connection is closed after
        /// this many bytes of it: the client sees a truncated body.
        case cutBody(bytes: Int)
        /// The link answers 401 with `WWW-Authenticate: Bearer error="invalid_token"` and a
        /// JSON body saying the access token expired (RFC 6750's expired-token answer).
        case expiredToken
    }

    /// What the fault does.
    package var action: Action
    /// The method a request must have (case-insensitive); nil matches any.
    package var method: String?
    /// The path a request must have: exact, or a prefix when it ends in `*` (`/v1/charges*`);
    /// the query is not part of it. nil matches any.
    package var path: String?

    /// Makes an HTTP fault; the method is kept in upper case.
    public init(_ action: Action, method: String? = nil, path: String? = nil) {
        self.action = action
        self.method = method?.uppercased()
        self.path = path
    }

    /// Toxiproxy-style type names of the HTTP faults.
    package static let types = ["http_status", "http_latency", "http_cut_body", "http_expired_token"]

    /// True when a request with `method` and `target` (path and query) is one this fault hits.
    package func matches(method: String, target: String) -> Bool {
        if let wanted = self.method, wanted.caseInsensitiveCompare(method) != .orderedSame { return false }
        guard let pattern = path else { return true }
        let path = target.firstIndex(of: "?").map { String(target[..<$0]) } ?? target
        if pattern.hasSuffix("*") { return path.hasPrefix(pattern.dropLast()) }
        return path == pattern
    }

    /// The type name (`http_status`, …).
    package var type: String {
        switch action {
        case .status: "http_status"
        case .latency: "http_latency"
        case .cutBody: "http_cut_body"
        case .expiredToken: "http_expired_token"
        }
    }

    /// The numeric attributes: `status`, `latency` and `jitter` (milliseconds), `bytes`.
    var numbers: [String: Int] {
        switch action {
        case .status(let status, _, _): ["status": status]
        case .latency(let latency, let jitter): ["latency": latency.wholeMilliseconds, "jitter": jitter.wholeMilliseconds]
        case .cutBody(let bytes): ["bytes": bytes]
        case .expiredToken: [:]
        }
    }

    /// The text attributes: `method`, `path`, `body`, and `header.NAME` for each header.
    var texts: [String: String] {
        var text: [String: String] = [:]
        if let method { text["method"] = method }
        if let path { text["path"] = path }
        if case .status(_, let body, let headers) = action {
            if !body.isEmpty { text["body"] = body }
            for header in headers { text["header.\(header.name)"] = header.value }
        }
        return text
    }

    /// The numeric attributes each type takes, with their ranges.
    static let ranges: [String: [String: ClosedRange<Int>]] = [
        "http_status": ["status": 100...599],
        "http_latency": ["latency": 0...3_600_000, "jitter": 0...3_600_000],
        "http_cut_body": ["bytes": 0...(1 << 50)],
        "http_expired_token": [:],
    ]

    /// The text attributes each type takes (`header.NAME` counts as `header`).
    static let textKeys: [String: [String]] = [
        "http_status": ["method", "path", "body", "header"],
        "http_latency": ["method", "path"],
        "http_cut_body": ["method", "path"],
        "http_expired_token": ["method", "path"],
    ]

    /// Reads a type with its numeric and text attributes. Throws ``LinkError`` (`invalidFault`)
    /// for an unknown attribute, a missing status, a malformed method or path.
    init(type: String, numbers: [String: Int], texts: [String: String]) throws {
        let known = Self.ranges[type] ?? [:]
        let textKeys = Self.textKeys[type] ?? []
        for name in numbers.keys.sorted() where known[name] == nil {
            throw LinkError(.invalidFault, "fault type '\(type)' has no numeric attribute '\(name)': its attributes are "
                            + Self.attributeList(type))
        }
        for name in texts.keys.sorted() {
            let base = name.hasPrefix("header.") ? "header" : name
            guard textKeys.contains(base) else {
                throw LinkError(.invalidFault, "fault type '\(type)' has no attribute '\(name)'"
                                + (known[name] != nil ? " that takes text: '\(name)' is a whole number" : "")
                                + ": its attributes are \(Self.attributeList(type))")
            }
        }
        let method = texts["method"].flatMap { $0 == "*" || $0.isEmpty ? nil : $0.uppercased() }
        if let method, !method.allSatisfy({ $0.isLetter || $0 == "-" }) {
            throw LinkError(.invalidFault, "fault type '\(type)': method '\(method)' is not an HTTP method (e.g. GET, POST)")
        }
        let path = texts["path"].flatMap { $0 == "*" || $0.isEmpty ? nil : $0 }
        if let path, !path.hasPrefix("/") {
            throw LinkError(.invalidFault, "fault type '\(type)': path '\(path)' must start with '/' (a trailing '*' matches a prefix)")
        }
        let action: Action
        switch type {
        case "http_status":
            guard let status = numbers["status"] else {
                throw LinkError(.invalidFault, "fault type 'http_status' needs a status, e.g. status=503")
            }
            let headers = texts.keys.sorted().filter { $0.hasPrefix("header.") }.map {
                TapeHeader(String($0.dropFirst("header.".count)), texts[$0]!)
            }
            for header in headers where header.name.isEmpty || !header.name.allSatisfy({ $0.isASCII && !$0.isWhitespace && $0 != ":" }) {
                throw LinkError(.invalidFault, "fault type 'http_status': header name '\(header.name)' is not valid")
            }
            action = .status(status, body: texts["body"] ?? "", headers: headers)
        case "http_latency":
            action = .latency(.milliseconds(numbers["latency"] ?? 0), jitter: .milliseconds(numbers["jitter"] ?? 0))
        case "http_cut_body":
            action = .cutBody(bytes: numbers["bytes"] ?? 0)
        default:
            action = .expiredToken
        }
        self.init(action, method: method, path: path)
    }

    package static func attributeList(_ type: String) -> String {
        let names = (ranges[type] ?? [:]).keys.sorted() + (textKeys[type] ?? []).map { $0 == "header" ? "header.NAME" : $0 }
        return names.joined(separator: ", ")
    }
}
