import Foundation
import NIOHTTP1
import Yams
import TestbedModel

/// Reads a VCR.py cassette (the YAML that vcrpy and pytest-recording write) into a ``Tape``.
///
/// A cassette is `version: 1` and a list of `interactions`, each a `request` (`method`,
/// `uri`, `headers` as name → list of values, `body` as a string, `!!binary` or null) and
/// a `response` (`status: {code, message}`, `headers`, `body: {string: ...}`). The URI's
/// path and query become the request target (the host is dropped: a tape serves whatever
/// host the link stands for). A reason phrase is kept only when it is not the usual one.
/// A body recorded still compressed (vcrpy without `decode_compressed_response`) stays as
/// it was, with its `Content-Encoding` header.
struct VCRCassetteReader {
    let file: String

    func read(_ bytes: [UInt8]) throws(TapeError) -> Tape {
        let root: Node?
        do {
            root = try Yams.compose(yaml: String(decoding: bytes, as: UTF8.self))
        } catch let error as YamlError {
            throw TapeError(.malformed, file: file, line: Self.line(of: error), "malformed YAML: \(Self.problem(of: error))")
        } catch {
            throw TapeError(.malformed, file: file, "malformed YAML: \(error)")
        }
        guard let root, root.mapping != nil, let interactions = root["interactions"] else {
            throw TapeError(.invalid, file: file, line: root?.mark?.line,
                            "neither a Testbed tape (a JSON object with \"testbed_tape\") nor a VCR.py cassette "
                            + "(YAML with \"interactions:\")")
        }
        if let version = root["version"], version.int != 1 {
            throw TapeError(version.int.map { $0 > 1 } == true ? .newerVersion : .invalid, file: file,
                            line: version.mark?.line,
                            "VCR.py cassette version \(version.string ?? "?") is not supported (this build reads version 1)")
        }
        guard let items = interactions.sequence else {
            if interactions.null != nil { return Tape() }
            throw fail(interactions, "\"interactions\" must be a list")
        }
        var exchanges: [TapeExchange] = []
        for item in items {
            guard item.mapping != nil, let request = item["request"], let response = item["response"] else {
                throw fail(item, "an interaction must have a \"request\" and a \"response\"")
            }
            exchanges.append(TapeExchange(request: try self.request(request), response: try self.response(response)))
        }
        return Tape(exchanges: exchanges)
    }

    private func fail(_ node: Node, _ message: String) -> TapeError {
        TapeError(.invalid, file: file, line: node.mark?.line, message)
    }

    private func request(_ node: Node) throws(TapeError) -> TapeRequest {
        guard let method = node["method"]?.string, !method.isEmpty else { throw fail(node, "the request has no \"method\"") }
        guard let uri = node["uri"]?.string else { throw fail(node, "the request has no \"uri\"") }
        var body = node["body"]
        if let wrapped = body?["string"] { body = wrapped }
        return TapeRequest(method: method.uppercased(), target: Self.target(of: uri),
                           headers: try headers(node["headers"]), body: try self.body(body))
    }

    private func response(_ node: Node) throws(TapeError) -> TapeResponse {
        guard let code = node["status"]?["code"]?.int ?? node["status"]?.int, (100...999).contains(code) else {
            throw fail(node, "the response has no \"status: {code: ...}\" between 100 and 999")
        }
        var reason = node["status"]?["message"]?.string
        if reason == HTTPResponseStatus(statusCode: code).reasonPhrase { reason = nil }
        var body = node["body"]
        if let wrapped = body?["string"] { body = wrapped }
        return TapeResponse(status: code, reason: reason, headers: try headers(node["headers"]), body: try self.body(body))
    }

    private func headers(_ node: Node?) throws(TapeError) -> [TapeHeader] {
        guard let node, node.null == nil else { return [] }
        guard let mapping = node.mapping else { throw fail(node, "\"headers\" must map names to lists of values") }
        var result: [TapeHeader] = []
        for (name, values) in mapping {
            guard let name = name.string else { throw fail(name, "a header name must be a string") }
            if let list = values.sequence {
                for value in list {
                    guard let text = value.string else { throw fail(value, "header \(name): values must be strings") }
                    result.append(TapeHeader(name, text))
                }
            } else if let text = values.string {
                result.append(TapeHeader(name, text))
            } else {
                throw fail(values, "header \(name): values must be a list of strings")
            }
        }
        return result
    }

    private func body(_ node: Node?) throws(TapeError) -> [UInt8] {
        guard let node, node.null == nil, let text = node.string else { return [] }
        guard node.tag.rawValue == Tag.Name.binary.rawValue else { return Array(text.utf8) }
        let compact = text.filter { !$0.isWhitespace }
        guard let data = Data(base64Encoded: compact) else { throw fail(node, "a !!binary body is not valid base64") }
        return [UInt8](data)
    }

    /// `http://host:port/path?query` → `/path?query`.
    static func target(of uri: String) -> String {
        var rest = Substring(uri)
        if let scheme = rest.range(of: "://") {
            rest = rest[scheme.upperBound...]
            rest = rest[(rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex)...]
        }
        if let fragment = rest.firstIndex(of: "#") { rest = rest[..<fragment] }
        if rest.isEmpty { return "/" }
        return rest.first == "?" ? "/" + rest : String(rest)
    }

    private static func line(of error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): mark.line
        default: nil
        }
    }

    private static func problem(of error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, _, _), .parser(_, let problem, _, _), .composer(_, let problem, _, _): problem
        default: "\(error)"
        }
    }
}
