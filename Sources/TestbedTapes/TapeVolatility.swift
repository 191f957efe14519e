import TestbedModel
/// Headers whose values change every time the same traffic is recorded — `Date`, and what
/// a link lists in `volatile_headers:` (a request id, a trace id) — and how a new recording
/// keeps them from showing up in a diff.
///
/// When a tape is recorded again (mode `record`), each new exchange that equals one of the
/// previous tape's except for these headers' values, `recorded_at` and `duration_ms` is
/// written as the previous one was, so re-recording unchanged traffic leaves the file
/// byte for byte as it was, and a diff shows only what really changed (docs/tapes.md).
public struct TapeVolatility: Sendable, Hashable {
    /// The headers always treated as volatile: `Date`, which every server sends with the time.
    package static let defaultHeaders = ["Date"]

    /// The volatile header names, the defaults included (case-insensitive; requests and responses).
    package var headers: [String]

    /// Makes rules with ``defaultHeaders`` and `extra`.
    public init(extra: [String] = []) {
        headers = Self.defaultHeaders + extra
    }

    /// `new` with each exchange that only differs from an unused one of `previous` in its
    /// volatile parts replaced by that previous exchange (matched in order).
    package func keepingUnchanged(_ new: [TapeExchange], previous: [TapeExchange]) -> [TapeExchange] {
        guard !previous.isEmpty else { return new }
        var waiting: [TapeExchange: [Int]] = [:]
        for (index, exchange) in previous.enumerated().reversed() { waiting[normalized(exchange), default: []].append(index) }
        return new.map { exchange in
            let key = normalized(exchange)
            guard let index = waiting[key]?.popLast() else { return exchange }
            return previous[index]
        }
    }

    /// The exchange without what changes from one recording to the next: the volatile
    /// headers' values emptied (their names and places kept), no time, no duration.
    func normalized(_ exchange: TapeExchange) -> TapeExchange {
        var copy = exchange
        copy.recordedAt = nil
        copy.duration = nil
        copy.request.headers = blanked(copy.request.headers)
        copy.response.headers = blanked(copy.response.headers)
        return copy
    }

    private func blanked(_ list: [TapeHeader]) -> [TapeHeader] {
        list.map { header in headers.contains { header.matches($0) } ? TapeHeader(header.name, "") : header }
    }
}

extension TapeRedaction {
    /// The header names that look like credentials (`*key*`, `*token*`, `*secret*`, `*auth*`,
    /// `*cookie*`, case-insensitive; not the challenges `WWW-Authenticate` and
    /// `Proxy-Authenticate`) whose value in `exchanges` is not the placeholder: what redaction
    /// missed. A link names them in its `tape-written` event. Each name once, as first seen.
    package func credentialsInClear(in exchanges: [TapeExchange]) -> [String] {
        var names: [String] = []
        var seen: Set<String> = []
        for exchange in exchanges {
            for header in exchange.request.headers + exchange.response.headers where header.value != placeholder {
                let lower = header.name.lowercased()
                guard !seen.contains(lower), Self.looksLikeCredential(lower) else { continue }
                seen.insert(lower)
                names.append(header.name)
            }
        }
        return names
    }

    /// True for a lower-cased header name that looks like it carries a credential.
    static func looksLikeCredential(_ lower: String) -> Bool {
        guard lower != "www-authenticate" && lower != "proxy-authenticate" else { return false }
        return ["key", "token", "secret", "auth", "cookie"].contains { lower.contains($0) }
    }
}
