import NIOCore
import NIOHTTP1
import TestbedModel
import TestbedTapes

/// A whole request as a client sent it to an HTTP link (the body de-chunked, still encoded
/// as the client encoded it).
struct HTTPLinkRequest: Sendable {
    var method: HTTPMethod
    var target: String
    var version: HTTPVersion
    var headers: HTTPHeaders
    var body: ByteBuffer

    /// The request as a tape keeps it: headers in order, the body decoded. `Host` is left
    /// out: it names the link's own per-run address, not the upstream's (which the upstream
    /// client sets), and a tape serves whatever host its link stands for.
    var tapeRequest: TapeRequest {
        let (decoded, headers) = HTTPBodyCoding.decoded(Array(body.readableBytesView), headers: headers)
        return TapeRequest(method: method.rawValue, target: target, headers: headers.filter { !$0.matches("Host") }, body: decoded)
    }
}

/// What an HTTP link sends back for one request.
struct HTTPLinkAnswer: Sendable {
    var status: HTTPResponseStatus
    var headers: HTTPHeaders
    var body: ByteBuffer
    /// Close the connection after this many body bytes (the `http_cut_body` fault).
    var cutAfter: Int?
    /// Send the head only (an answer to HEAD, a 204 or 304): the framing headers are the
    /// upstream's, as they describe the body a GET would get.
    var headOnly = false

    /// An answer the link makes itself, with a plain-text or JSON body and its length.
    static func own(_ status: Int, reason: String? = nil, body: String, contentType: String = "text/plain; charset=utf-8",
                    headers extra: [TapeHeader] = []) -> HTTPLinkAnswer {
        var headers = HTTPHeaders()
        for header in extra { headers.add(name: header.name, value: header.value) }
        if !headers.contains(name: "content-type") { headers.add(name: "Content-Type", value: contentType) }
        let buffer = ByteBuffer(string: body)
        headers.replaceOrAdd(name: "Content-Length", value: String(buffer.readableBytes))
        let status = reason.map { HTTPResponseStatus(statusCode: status, reasonPhrase: $0) } ?? HTTPResponseStatus(statusCode: status)
        return HTTPLinkAnswer(status: status, headers: headers, body: buffer)
    }

    /// The answer for a recorded response: its status, reason and headers, its body with a
    /// `Content-Length` (the recorded framing is dropped). A body the tape holds decoded has
    /// no `Content-Encoding` left, so it goes out plain (docs/tapes.md, "Compressed bodies").
    static func replay(_ response: TapeResponse, method: HTTPMethod) -> HTTPLinkAnswer {
        var headers = HTTPHeaders()
        let headOnly = method == .HEAD || response.status < 200 || response.status == 204 || response.status == 304
        for header in response.headers {
            switch header.name.lowercased() {
            case "transfer-encoding", "connection", "keep-alive": continue
            case "content-length" where !headOnly: continue
            default: headers.add(name: header.name, value: header.value)
            }
        }
        if !headOnly { headers.add(name: "Content-Length", value: String(response.body.count)) }
        let status = response.reason.map { HTTPResponseStatus(statusCode: response.status, reasonPhrase: $0) }
            ?? HTTPResponseStatus(statusCode: response.status)
        return HTTPLinkAnswer(status: status, headers: headers, body: ByteBuffer(bytes: response.body), headOnly: headOnly)
    }

    /// The answer for what the upstream sent: its head without hop-by-hop headers, its body
    /// as it came (still encoded), framed with a `Content-Length`.
    static func forwarded(_ response: HTTPUpstream.Response, method: HTTPMethod) -> HTTPLinkAnswer {
        var headers = HTTPHeaders()
        let headOnly = method == .HEAD || response.status < 200 || response.status == 204 || response.status == 304
        for (name, value) in response.headers {
            switch name.lowercased() {
            case "transfer-encoding", "connection", "keep-alive": continue
            case "content-length" where !headOnly: continue
            default: headers.add(name: name, value: value)
            }
        }
        if !headOnly { headers.add(name: "Content-Length", value: String(response.body.readableBytes)) }
        return HTTPLinkAnswer(status: HTTPResponseStatus(statusCode: response.status, reasonPhrase: response.reason),
                              headers: headers, body: response.body, headOnly: headOnly)
    }
}

extension HTTPUpstream.Response {
    /// The response as a tape keeps it: headers in order, the body decoded.
    var tapeResponse: TapeResponse {
        let (decoded, headers) = HTTPBodyCoding.decoded(Array(body.readableBytesView), headers: headers)
        let usual = HTTPResponseStatus(statusCode: status).reasonPhrase
        return TapeResponse(status: status, reason: reason == usual ? nil : reason, headers: headers, body: decoded)
    }
}
