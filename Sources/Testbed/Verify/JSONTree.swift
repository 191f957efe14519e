import Foundation

/// A JSON document as data, for comparing a recorded response body with a current one.
///
/// Numbers are one kind (`12` and `12.5` are both a number, as JSON Schema's `number`):
/// a consumer parsing JSON rarely tells integers from decimals, and a provider that sends
/// `12.0` for `12` has not broken anything.
public indirect enum JSONTree: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONTree])
    case object([String: JSONTree])

    /// The kinds a JSON value can have, by the names a report uses.
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
        case null, boolean, number, string, array, object

        public static func < (lhs: Kind, rhs: Kind) -> Bool {
            allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
        }
    }

    /// Parses `bytes` as JSON (any value at the top, not only objects), or nil when they are not JSON.
    public init?(parsing bytes: [UInt8]) {
        guard !bytes.isEmpty, let tree = try? JSONDecoder().decode(JSONTree.self, from: Data(bytes)) else { return nil }
        self = tree
    }

    /// This value's kind.
    public var kind: Kind {
        switch self {
        case .null: .null
        case .bool: .boolean
        case .number: .number
        case .string: .string
        case .array: .array
        case .object: .object
        }
    }

    /// A short rendering for reports: scalars as JSON, containers by their size.
    public var summary: String {
        switch self {
        case .null: "null"
        case .bool(let value): value ? "true" : "false"
        case .number(let value):
            value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
        case .string(let value):
            "\"" + (value.count > 60 ? value.prefix(57) + "…" : value) + "\""
        case .array(let items): "an array of \(items.count)"
        case .object(let fields): "an object of \(fields.count) fields"
        }
    }
}

extension JSONTree: Decodable {
    public init(from decoder: Decoder) throws {
        if var array = try? decoder.unkeyedContainer() {
            var items: [JSONTree] = []
            while !array.isAtEnd { items.append(try array.decode(JSONTree.self)) }
            self = .array(items)
            return
        }
        if let object = try? decoder.container(keyedBy: AnyKey.self) {
            var fields: [String: JSONTree] = [:]
            for key in object.allKeys { fields[key.stringValue] = try object.decode(JSONTree.self, forKey: key) }
            self = .object(fields)
            return
        }
        let value = try decoder.singleValueContainer()
        if value.decodeNil() {
            self = .null
        } else if let bool = try? value.decode(Bool.self) {
            self = .bool(bool)
        } else if let number = try? value.decode(Double.self) {
            self = .number(number)
        } else {
            self = .string(try value.decode(String.self))
        }
    }

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
