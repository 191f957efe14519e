import TestbedModel
extension JSONValue {
    /// A response body as JSON (any value at the top, not only objects), or nil when it is
    /// empty or not JSON.
    init?(body bytes: [UInt8]) {
        guard !bytes.isEmpty, let value = try? JSONValue(parsing: bytes) else { return nil }
        self = value
    }

    /// True when the two mean the same data as a consumer reads it: numbers by their value
    /// (`12`, `12.0` and `1.2e1` are one number, as most JSON parsers read them), objects
    /// whatever their key order (the last of repeated keys counting).
    func isSameData(as other: JSONValue) -> Bool {
        switch (self, other) {
        case (.number(let one), .number(let two)):
            guard let left = Double(one), let right = Double(two) else { return one == two }
            return left == right
        case (.array(let one), .array(let two)):
            return one.count == two.count && zip(one, two).allSatisfy { $0.isSameData(as: $1) }
        case (.object, .object):
            let one = membersByKey!, two = other.membersByKey!
            return one.count == two.count && one.allSatisfy { key, value in two[key].map(value.isSameData) ?? false }
        default:
            return self == other
        }
    }

    /// A short rendering for a verify report: scalars as JSON (numbers by their value),
    /// containers by their size.
    var reportSummary: String {
        switch self {
        case .null: "null"
        case .bool(let value): value ? "true" : "false"
        case .number(let text):
            if let value = Double(text) {
                value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
            } else {
                text
            }
        case .string(let value):
            "\"" + (value.count > 60 ? value.prefix(57) + "…" : value) + "\""
        case .array(let items): "an array of \(items.count)"
        case .object: "an object of \(membersByKey!.count) fields"
        }
    }
}
