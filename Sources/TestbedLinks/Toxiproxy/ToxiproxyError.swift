import Foundation
import TestbedSystem
import TestbedModel

/// An answer of the Toxiproxy endpoint that is not a success, in Toxiproxy's own shape:
/// `{"error": "proxy not found", "status": 404}`.
///
/// The endpoint makes one from every failed request (a ``LinkError``, malformed JSON, an
/// unknown route); ``ToxiproxyClient`` throws one for every answer with a status of 400 or
/// more, and with status 0 when no answer came (nothing listens, the connection broke).
package struct ToxiproxyError: TestbedError, Hashable, Codable {
    /// What went wrong, written for the user.
    package var message: String
    /// The HTTP status; 0 when the endpoint could not be reached.
    package var status: Int

    private enum CodingKeys: String, CodingKey {
        case message = "error"
        case status
    }

    /// Makes an error with an HTTP status.
    package init(status: Int, _ message: String) {
        self.status = status
        self.message = message
    }

    /// Toxiproxy's status for a ``LinkError``: 404 for an unknown link or fault, 409 for a
    /// duplicate or an address that cannot be bound, 400 for everything else.
    package init(_ error: LinkError) {
        let status = switch error.code {
        case .unknownLink, .unknownFault: 404
        case .duplicate, .bind: 409
        default: 400
        }
        self.init(status: status, error.message)
    }

    /// The JSON body of the answer.
    var body: [UInt8] {
        let data = (try? JSONEncoder.toxiproxy.encode(self)) ?? Data(#"{"error":"internal error","status":500}"#.utf8)
        return Array(data)
    }
}

extension JSONEncoder {
    /// Sorted keys and unescaped slashes: stable answers that read like Toxiproxy's.
    static var toxiproxy: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
