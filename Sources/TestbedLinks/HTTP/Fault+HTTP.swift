import TestbedModel
/// Typed constructors of the faults of HTTP links (see ``HTTPFault``).
///
/// ```swift
/// try link.add(.httpStatus(503, headers: [TapeHeader("Retry-After", "2")], method: "POST", path: "/charges",
///                          toxicity: 0.5))
/// try await link.with(.httpLatency(.milliseconds(800), path: "/slow*")) { … }
/// ```
/// `method` nil matches any method; `path` is exact, or a prefix when it ends in `*`.
/// `toxicity` is the share of matching *requests* that are hit, each drawn on its own.
extension Fault {
    /// Answers matching requests with `status` (and `body`, `headers`) instead of forwarding them.
    public static func httpStatus(_ status: Int, body: String = "", headers: [TapeHeader] = [], method: String? = nil,
                                  path: String? = nil, toxicity: Double = 1, name: String? = nil,
                                  seed: UInt64? = nil) -> Fault {
        Fault(.http(HTTPFault(.status(status, body: body, headers: headers), method: method, path: path)),
              toxicity: toxicity, name: name, seed: seed)
    }

    /// Holds back the answers to matching requests by `latency` ± `jitter`.
    public static func httpLatency(_ latency: Duration, jitter: Duration = .zero, method: String? = nil,
                                   path: String? = nil, toxicity: Double = 1, name: String? = nil,
                                   seed: UInt64? = nil) -> Fault {
        Fault(.http(HTTPFault(.latency(latency, jitter: jitter), method: method, path: path)),
              toxicity: toxicity, name: name, seed: seed)
    }

    /// Cuts the body of the answers to matching requests after `bytes` bytes (the head still
    /// announces the whole body), then closes the connection.
    public static func httpCutBody(after bytes: Int, method: String? = nil, path: String? = nil,
                                   toxicity: Double = 1, name: String? = nil, seed: UInt64? = nil) -> Fault {
        Fault(.http(HTTPFault(.cutBody(bytes: bytes), method: method, path: path)),
              toxicity: toxicity, name: name, seed: seed)
    }

    /// Answers matching requests with an expired-token 401 (`WWW-Authenticate: Bearer
    /// error="invalid_token"`).
    public static func httpExpiredToken(method: String? = nil, path: String? = nil, toxicity: Double = 1,
                                        name: String? = nil, seed: UInt64? = nil) -> Fault {
        Fault(.http(HTTPFault(.expiredToken, method: method, path: path)), toxicity: toxicity, name: name, seed: seed)
    }
}
