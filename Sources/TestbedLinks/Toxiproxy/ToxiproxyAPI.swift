import Foundation
import TestbedModel

/// Toxiproxy's REST API over an environment's ``LinkSet``: one request in, one answer out,
/// with Toxiproxy's routes, status codes and JSON shapes (its README's "HTTP API" and
/// `api.go`), so existing Toxiproxy clients work unchanged.
///
/// Every failure is an answer — 400 for malformed JSON or a bad fault, 404 for an unknown
/// proxy or toxic, 409 for a duplicate — in Toxiproxy's error shape
/// (`{"error": "…", "status": N}`); nothing a client sends stops the environment.
struct ToxiproxyAPI: Sendable {
    /// What `GET /version` reports: the Toxiproxy API release this endpoint follows.
    static let version = "2.12.0-testbed"
    /// Request bodies larger than this are refused (413).
    static let bodyLimit = 1 << 20

    /// One answer: a status and a JSON body (empty for 204).
    struct Answer: Sendable {
        var status: Int
        var body: [UInt8]

        static func json<T: Encodable>(_ value: T, status: Int = 200) -> Answer {
            do {
                return Answer(status: status, body: Array(try JSONEncoder.toxiproxy.encode(value)))
            } catch {
                return failure(ToxiproxyError(status: 500, "cannot encode the answer: \(error)"))
            }
        }

        static func failure(_ error: ToxiproxyError) -> Answer { Answer(status: error.status, body: error.body) }

        static let noContent = Answer(status: 204, body: [])
    }

    let links: LinkSet

    /// Routes one request. Never throws: every failure becomes an error answer.
    func answer(method: String, path: String, body: [UInt8]) async -> Answer {
        do {
            return try await route(method: method, path: path, body: body)
        } catch let error as ToxiproxyError {
            return .failure(error)
        } catch let error as LinkError {
            return .failure(ToxiproxyError(error))
        } catch let error as DecodingError {
            return .failure(ToxiproxyError(status: 400, "bad request body: \(Self.describe(error))"))
        } catch {
            return .failure(ToxiproxyError(status: 500, "\(error)"))
        }
    }

    private func route(method: String, path: String, body: [UInt8]) async throws -> Answer {
        let target = path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? path
        let parts = target.split(separator: "/").map { String($0).removingPercentEncoding ?? String($0) }
        switch (method, parts.count, parts.first) {
        case ("GET", 1, "version"):
            return .json(["version": Self.version])
        case ("POST", 1, "reset"):
            try await links.reset()
            return .noContent
        case ("GET", 1, "proxies"):
            return .json(Dictionary(uniqueKeysWithValues: links.all.map { ($0.name, Self.describe($0)) }))
        case ("POST", 1, "proxies"):
            let link = try await links.create(try configuration(body, index: nil))
            return .json(Self.describe(link), status: 201)
        case ("POST", 1, "populate"):
            return try await populate(body)
        case (_, 2, "proxies"):
            return try await proxy(method: method, link: try links.link(named: parts[1]), body: body)
        case ("GET", 3, "proxies") where parts[2] == "toxics":
            return .json(try links.link(named: parts[1]).faults)
        case ("POST", 3, "proxies") where parts[2] == "toxics":
            let link = try links.link(named: parts[1])
            return .json(try link.add(try JSONDecoder().decode(Fault.self, from: Data(body))))
        case (_, 4, "proxies") where parts[2] == "toxics":
            return try toxic(method: method, link: try links.link(named: parts[1]), name: parts[3], body: body)
        default:
            let known = ["version", "reset", "proxies", "populate"]
            if let first = parts.first, known.contains(first), parts.count <= 4 {
                throw ToxiproxyError(status: 405, "\(method) is not allowed on \(target)")
            }
            throw ToxiproxyError(status: 404, "no such endpoint: \(method) \(target) (see Toxiproxy's HTTP API)")
        }
    }

    /// `GET`, `POST`/`PATCH` (update) and `DELETE` of `/proxies/NAME`.
    private func proxy(method: String, link: Link, body: [UInt8]) async throws -> Answer {
        switch method {
        case "GET":
            return .json(Self.describe(link))
        case "POST", "PATCH":
            let change = try JSONDecoder().decode(ProxyChange.self, from: Data(body.isEmpty ? Array("{}".utf8) : body))
            let listen = try change.listen.map { try LinkAddress(parsing: $0) }
            let upstream = try change.upstream.map { try checkedUpstream($0, proxy: link.name) }
            if let listen, listen.port != 0, listen != link.listen {
                // A new listen address is a new link under the same name, as in Toxiproxy.
                let faults = link.faults
                try await links.delete(name: link.name)
                let moved = try await links.create(LinkSet.Options(
                    name: link.name, listen: listen.description, upstream: (upstream ?? link.upstream).description,
                    enabled: change.enabled ?? link.enabled))
                for fault in faults { try moved.add(fault) }
                return .json(Self.describe(moved))
            }
            if let upstream, upstream != link.upstream { link.setUpstream(upstream) }
            if let enabled = change.enabled { try await link.setEnabled(enabled) }
            return .json(Self.describe(link))
        case "DELETE":
            try await links.delete(name: link.name)
            return .noContent
        default:
            throw ToxiproxyError(status: 405, "\(method) is not allowed on /proxies/\(link.name)")
        }
    }

    /// `GET`, `POST`/`PATCH` (update) and `DELETE` of `/proxies/NAME/toxics/TOXIC`.
    private func toxic(method: String, link: Link, name: String, body: [UInt8]) throws -> Answer {
        switch method {
        case "GET":
            return .json(try link.fault(named: name))
        case "POST", "PATCH":
            let change = try JSONDecoder().decode(ToxicChange.self, from: Data(body.isEmpty ? Array("{}".utf8) : body))
            let given = change.attributes ?? FaultAttributes()
            let numbers = try given.numbers(of: try link.fault(named: name).type)
            return .json(try link.update(name: name, attributes: numbers, text: given.text, toxicity: change.toxicity))
        case "DELETE":
            try link.remove(name: name)
            return .noContent
        default:
            throw ToxiproxyError(status: 405, "\(method) is not allowed on /proxies/\(link.name)/toxics/\(name)")
        }
    }

    /// `POST /populate`: Toxiproxy answers 201 with `{"proxies": […]}`, or the error's status
    /// with the error's fields and the proxies made before it.
    private func populate(_ body: [UInt8]) async throws -> Answer {
        guard let list = (try? JSONSerialization.jsonObject(with: Data(body))) as? [Any] else {
            throw ToxiproxyError(status: 400, "bad request body: /populate takes a JSON array of proxies")
        }
        var configurations: [LinkSet.Options] = []
        for (index, item) in list.enumerated() {
            let data = try JSONSerialization.data(withJSONObject: item)
            configurations.append(try configuration(Array(data), index: index + 1))
        }
        do {
            let made = try await links.populate(configurations)
            return .json(["proxies": made.map(Self.describe)], status: 201)
        } catch {
            let problem = (error as? LinkError).map(ToxiproxyError.init)
                ?? (error as? ToxiproxyError) ?? ToxiproxyError(status: 500, "\(error)")
            let made = configurations.compactMap { try? links.link(named: $0.name) }.map(Self.describe)
            return .json(PopulateFailure(error: problem.message, status: problem.status, proxies: made), status: problem.status)
        }
    }

    /// Reads one proxy of `POST /proxies` or `/populate` (number `index`), with Toxiproxy's
    /// defaults: enabled, and a free loopback port when `listen` is missing.
    private func configuration(_ body: [UInt8], index: Int?) throws -> LinkSet.Options {
        let input = try JSONDecoder().decode(ProxyChange.self, from: Data(body))
        let at = index.map { " at proxy \($0)" } ?? ""
        guard let name = input.name, !name.isEmpty else {
            throw ToxiproxyError(status: 400, "missing required field: name\(at)")
        }
        guard let upstream = input.upstream, !upstream.isEmpty else {
            throw ToxiproxyError(status: 400, "missing required field: upstream\(at)")
        }
        _ = try checkedUpstream(upstream, proxy: name)
        let listen = input.listen.flatMap { $0.isEmpty ? nil : $0 } ?? "127.0.0.1:0"
        return LinkSet.Options(name: name, listen: listen, upstream: upstream, enabled: input.enabled ?? true)
    }

    private func checkedUpstream(_ text: String, proxy: String) throws -> LinkAddress {
        let upstream = try LinkAddress(parsing: text)
        if let reason = EndpointGuard.refusal(for: upstream) {
            throw ToxiproxyError(status: 400, "proxy '\(proxy)' cannot forward to \(text): \(reason); anyone who can "
                + "connect to the proxy would control the endpoint as the user running testbed")
        }
        return upstream
    }

    /// A link in Toxiproxy's proxy shape.
    static func describe(_ link: Link) -> ProxyDescription {
        ProxyDescription(name: link.name, listen: link.listen.description, upstream: link.upstream.description,
                         enabled: link.enabled, toxics: link.faults)
    }

    /// A decoding error in a sentence: which field, what was wrong.
    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map(\.stringValue).joined(separator: ".")
            return keys.isEmpty ? "" : " at '\(keys)'"
        }
        switch error {
        case .dataCorrupted(let context): return "invalid JSON\(path(context)): \(context.debugDescription)"
        case .keyNotFound(let key, let context): return "missing required field: \(key.stringValue)\(path(context))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "wrong type\(path(context)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}

/// The fields of a proxy a client may send; all optional (an update sends only some).
private struct ProxyChange: Decodable {
    var name: String?
    var listen: String?
    var upstream: String?
    var enabled: Bool?
}

/// The fields of a toxic update: attributes (numbers, and an HTTP fault's text attributes and
/// headers, read as an add reads them) merge into the toxic's, toxicity replaces it.
private struct ToxicChange: Decodable {
    var attributes: FaultAttributes?
    var toxicity: Double?
}

/// Toxiproxy's `/populate` answer after an error: the error's fields and the proxies so far.
private struct PopulateFailure: Encodable {
    var error: String
    var status: Int
    var proxies: [ProxyDescription]
}
