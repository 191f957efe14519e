/// A JSON value as it was written: object members in their order (repeated keys kept),
/// numbers as their text. Testbed's one JSON model.
///
/// Keeping what was written lets a tape give back a body's exact bytes (``JSONLayout``) and
/// a fixture keep its column order; comparing as data — keys in any order, `100` equal to
/// `1e2` — goes through ``canonical``. Parsed by ``init(parsing:)`` (strict RFC 8259, errors
/// at their line) or read at a ``JSONCursor`` with ``read(from:)``; written by ``JSONLayout``.
package indirect enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    /// The number's text, valid by the JSON grammar (`12`, `12.50`, `1e2`).
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([Member])

    /// One member of an object.
    package struct Member: Sendable, Hashable {
        package var key: String
        package var value: JSONValue

        package init(key: String, value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    /// The kinds a JSON value can have, by the names JSON Schema and reports use.
    package enum Kind: String, Sendable, Hashable, CaseIterable, Comparable {
        case null, boolean, number, string, array, object

        package static func < (lhs: Kind, rhs: Kind) -> Bool {
            allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
        }
    }

    /// This value's kind.
    package var kind: Kind {
        switch self {
        case .null: .null
        case .bool: .boolean
        case .number: .number
        case .string: .string
        case .array: .array
        case .object: .object
        }
    }

    /// An object's members by key, the last of repeated keys counting (as most parsers do);
    /// nil for any other kind.
    package var membersByKey: [String: JSONValue]? {
        guard case .object(let members) = self else { return nil }
        var result = [String: JSONValue](minimumCapacity: members.count)
        for member in members { result[member.key] = member.value }
        return result
    }

    /// Parses `bytes` as one JSON document (any value at the top, whitespace around it, a
    /// UTF-8 byte order mark skipped).
    package init(parsing bytes: [UInt8]) throws(JSONSyntaxError) {
        var cursor = JSONCursor(bytes: bytes)
        try cursor.beginDocument()
        self = try Self.read(from: &cursor)
        try cursor.endDocument()
    }

    /// Reads the value at the cursor (whitespace before it skipped), leaving the cursor
    /// after it.
    package static func read(from cursor: inout JSONCursor) throws(JSONSyntaxError) -> JSONValue {
        cursor.skipWhitespace()
        guard let byte = cursor.current else { throw cursor.fail("unexpected end of file, expected a value") }
        switch byte {
        case UInt8(ascii: "{"):
            try cursor.beginObject()
            var members: [Member] = []
            var first = true
            while let key = try cursor.nextMember(&first) {
                members.append(Member(key: key, value: try read(from: &cursor)))
            }
            return .object(members)
        case UInt8(ascii: "["):
            try cursor.beginArray()
            var items: [JSONValue] = []
            var first = true
            while try cursor.nextElement(&first) { items.append(try read(from: &cursor)) }
            return .array(items)
        case UInt8(ascii: "\""): return .string(try cursor.string())
        case UInt8(ascii: "t"): try cursor.word("true"); return .bool(true)
        case UInt8(ascii: "f"): try cursor.word("false"); return .bool(false)
        case UInt8(ascii: "n"): try cursor.word("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(String(try cursor.number()))
        default: throw cursor.fail("unexpected \(cursor.describeCurrent()), expected a value")
        }
    }

    /// Compact JSON text (`{"a":1,"b":[true,null]}`), members in their order, numbers as
    /// written; strings escaped as ``JSONLayout`` does.
    package var compactText: String {
        String(decoding: JSONLayout.compact.bytes(of: self), as: UTF8.self)
    }
}
