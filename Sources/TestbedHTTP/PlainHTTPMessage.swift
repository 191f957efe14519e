import NIOHTTP1

/// One request a ``PlainHTTPClient`` sends: `Host`, `Connection: close` and, with a body
/// (or for `POST`, `PUT` and `PATCH`), `Content-Length` are added by the client.
package struct PlainHTTPRequest: Sendable {
    /// The method, e.g. `GET`.
    package var method: String
    /// The request target: path and query, e.g. `/health?full=1`.
    package var target: String
    /// Further headers, in order, e.g. `("Accept", "application/json")`.
    package var headers: [(name: String, value: String)] = []
    /// The body; nil for none.
    package var body: [UInt8]?

    /// The head sent to `endpoint`.
    package func head(for endpoint: PlainHTTPEndpoint) -> HTTPRequestHead {
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

    /// Makes the value from its fields.
    package init(method: String, target: String, headers: [(name: String, value: String)] = [], body: [UInt8]? = nil) {
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
    }
}

/// An answer of any status.
package struct PlainHTTPResponse: Sendable {
    /// The status code, e.g. `503`.
    package var status: Int
    /// The answer's headers.
    package var headers: HTTPHeaders
    /// The body, de-chunked; empty when the caller asked for the head only.
    package var body: [UInt8]
}
