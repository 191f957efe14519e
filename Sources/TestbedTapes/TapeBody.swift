import Foundation
import TestbedModel

/// How a tape file stores one body so that a reviewer can read it and a replay gives back
/// its exact bytes.
///
/// - `{"json": VALUE, "layout": "compact"}`: a JSON object or array whose bytes the
///   ``JSONLayout`` reproduces exactly, shown pretty-printed in the tape;
/// - `{"text": "..."}`: any other UTF-8 body without NUL bytes (JSON that no layout
///   reproduces, HTML, form data, plain text);
/// - `{"base64": "..."}`: everything else.
///
/// An empty body is not written at all.
enum TapeBody {
    case json(JSONValue, JSONLayout)
    case text(String)
    case base64(String)

    /// The form `bytes` are stored in; nil for an empty body.
    init?(bytes: [UInt8]) {
        guard !bytes.isEmpty else { return nil }
        if let value = Self.parseContainer(bytes), let layout = JSONLayout.detect(value, bytes: bytes) {
            self = .json(value, layout)
        } else if !bytes.contains(0), let text = String(validating: bytes, as: UTF8.self) {
            self = .text(text)
        } else {
            self = .base64(Data(bytes).base64EncodedString())
        }
    }

    /// `bytes` parsed as JSON when they hold an object or an array; nil otherwise.
    static func parseContainer(_ bytes: [UInt8]) -> JSONValue? {
        guard let first = bytes.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }),
              first == UInt8(ascii: "{") || first == UInt8(ascii: "[") else { return nil }
        return try? JSONValue(parsing: bytes)
    }

    /// The body's bytes.
    var bytes: [UInt8]? {
        switch self {
        case .json(let value, let layout): layout.bytes(of: value)
        case .text(let text): Array(text.utf8)
        case .base64(let text): Data(base64Encoded: text).map { [UInt8]($0) }
        }
    }
}
