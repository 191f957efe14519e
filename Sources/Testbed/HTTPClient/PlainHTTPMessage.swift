import NIOHTTP1

/// One request a ``PlainHTTPClient`` sends: `Host`, `Connection: close` and, with a body
/// (or for `POST`, `PUT` and `PATCH`), `Content-Length` are added by the client.
struct PlainHTTPRequest: Sendable {
    /// The method, e.g. `GET`.
    var method: String
    /// The request target: path and query, e.g. `/health?full=1`.
    var target: String
    /// Further headers, in order, e.g. `("Accept", "application/json")`.
    var headers: [(name: String, value: String)] = []
    /// The body; nil for none.
    var body: [UInt8]?

    /// The head sent to `endpoint`.
    func head(for endpoint: PlainHTTPEndpoint) -> HTTPRequestHead {
        var fields = HTTPHeaders()
        fields.add(name: "Host", value: endpoint.hostHeader)
        for header in headers { fields.add(name: header.name, value: header.value) }
        fields.add(name: "Connection", value: "close")
        if let body {
            fields.add(name: "Content-Length", value: String(body.count))
        } else if ["POST", "PUT", "PATCH"].contains(method) {
            fields.add(name: "Content-Length", value: "0")  // else NIO's encoder would send an empty chunked body
        }
        return HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: method), uri: target, headers: fields)
    }
}

/// An answer of any status.
struct PlainHTTPResponse: Sendable {
    /// The status code, e.g. `503`.
    var status: Int
    /// The answer's headers.
    var headers: HTTPHeaders
    /// The body, de-chunked; empty when the caller asked for the head only.
    var body: [UInt8]
}
