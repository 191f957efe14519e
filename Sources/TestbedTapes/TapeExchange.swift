import Foundation
import TestbedModel

/// A request as a tape keeps it: what the client sent, with its body decoded (no
/// `Content-Encoding`, no chunking), after redaction.
public struct TapeRequest: Sendable, Hashable {
    /// The method, e.g. `GET`.
    package var method: String
    /// The request target as sent: the path and, after `?`, the query (`/v1/users?id=7`).
    package var target: String
    /// The headers, in the order sent.
    package var headers: [TapeHeader]
    /// The body's bytes, decoded; empty when there was none.
    package var body: [UInt8]

    /// Makes a request.
    package init(method: String, target: String, headers: [TapeHeader] = [], body: [UInt8] = []) {
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
    }

    /// The target's path, before any `?`.
    package var path: String {
        questionMark.map { String(target[..<$0]) } ?? target
    }

    /// The target's query, after the first `?`, or nil when there is none.
    package var query: String? {
        questionMark.map { String(target[target.index(after: $0)...]) }
    }

    /// The first `?` of the target. In an ASCII target (as HTTP targets are, percent-encoded)
    /// each `?` byte is a `?` character, so the bytes are searched, which is much faster.
    var questionMark: String.Index? {
        // The byte offset of the `?` (the count when there is none), or nil when not ASCII.
        let offset: Int? = target.utf8.withContiguousStorageIfAvailable { bytes in
            bytes.contains { $0 >= 0x80 } ? nil : bytes.firstIndex(of: UInt8(ascii: "?")) ?? bytes.count
        } ?? nil
        guard let offset else { return target.firstIndex(of: "?") }
        return offset < target.utf8.count ? target.utf8.index(target.startIndex, offsetBy: offset) : nil
    }
}

/// A response as a tape keeps it: its status, headers and decoded body.
public struct TapeResponse: Sendable, Hashable {
    /// The status code, e.g. 200.
    package var status: Int
    /// The reason phrase the server sent, when it is not the usual one for ``status``.
    package var reason: String?
    /// The headers, in the order sent (`Content-Length` / `Transfer-Encoding` as recorded;
    /// a replay sets the framing for the body it sends).
    package var headers: [TapeHeader]
    /// The body's bytes, decoded.
    package var body: [UInt8]

    /// Makes a response.
    package init(status: Int, reason: String? = nil, headers: [TapeHeader] = [], body: [UInt8] = []) {
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
    }
}

/// One recorded request and the response it got.
public struct TapeExchange: Sendable, Hashable {
    /// What the client sent.
    package var request: TapeRequest
    /// What the upstream answered.
    package var response: TapeResponse
    /// When the request was recorded, if known.
    package var recordedAt: Date?
    /// How long the upstream took to answer, if known (a replay may reproduce it).
    package var duration: Duration?

    /// Makes an exchange.
    public init(request: TapeRequest, response: TapeResponse, recordedAt: Date? = nil, duration: Duration? = nil) {
        self.request = request
        self.response = response
        self.recordedAt = recordedAt
        self.duration = duration
    }
}

/// A tape: the exchanges of one HTTP link, in the order they were recorded.
///
/// A tape file is read and written by the functions of the Tapes folder (see docs/tapes.md
/// for the format); this type is only the data.
public struct Tape: Sendable, Hashable {
    /// The version of the file format this build writes; a file of a newer version is refused.
    package static let formatVersion = 1

    /// The exchanges, in recording order.
    package var exchanges: [TapeExchange]

    /// Makes a tape.
    public init(exchanges: [TapeExchange] = []) {
        self.exchanges = exchanges
    }
}
