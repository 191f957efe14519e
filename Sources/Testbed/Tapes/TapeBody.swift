import Foundation

/// How a tape file stores one body so that a reviewer can read it and a replay gives back
/// its exact bytes.
///
/// - `{"json": VALUE, "layout": "compact"}`: a JSON object or array whose bytes the
///   ``TapeJSONLayout`` reproduces exactly, shown pretty-printed in the tape;
/// - `{"text": "..."}`: any other UTF-8 body without NUL bytes (JSON that no layout
///   reproduces, HTML, form data, plain text);
/// - `{"base64": "..."}`: everything else.
///
/// An empty body is not written at all.
enum TapeBody {
    case json(JSONNode, TapeJSONLayout)
    case text(String)
    case base64(String)

    /// The form `bytes` are stored in; nil for an empty body.
    init?(bytes: [UInt8]) {
        guard !bytes.isEmpty else { return nil }
        if let node = Self.parseContainer(bytes), let layout = TapeJSONLayout.detect(node, bytes: bytes) {
            self = .json(node, layout)
        } else if !bytes.contains(0), let text = String(validating: bytes, as: UTF8.self) {
            self = .text(text)
        } else {
            self = .base64(Data(bytes).base64EncodedString())
        }
    }

    /// `bytes` parsed as JSON when they hold an object or an array; nil otherwise.
    static func parseContainer(_ bytes: [UInt8]) -> JSONNode? {
        guard let first = bytes.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }),
              first == UInt8(ascii: "{") || first == UInt8(ascii: "[") else { return nil }
        var scanner = JSONScanner(bytes: bytes, file: "body")
        return try? scanner.parseDocument()
    }

    /// The body's bytes.
    var bytes: [UInt8]? {
        switch self {
        case .json(let node, let layout): layout.bytes(of: node)
        case .text(let text): Array(text.utf8)
        case .base64(let text): Data(base64Encoded: text).map { [UInt8]($0) }
        }
    }
}
