extension JSONValue {
    /// The value as data, in one spelling: object keys sorted (of repeated keys the last one
    /// counts, as most parsers do), numbers in one form (``canonicalNumber(_:)``). Two values
    /// that mean the same data — keys in another order, `100` and `1e2` — have equal canonical
    /// forms, so a canonical value works as a dictionary key (how a tape player matches a
    /// request's JSON body) and its compact text is a stable summary.
    package var canonical: JSONValue {
        switch self {
        case .null, .bool, .string: self
        case .number(let text): .number(Self.canonicalNumber(text))
        case .array(let items): .array(items.map(\.canonical))
        case .object(let members): .object(Self.canonical(members))
        }
    }

    /// Members sorted by key, each value canonical; of repeated keys the last one counts.
    private static func canonical(_ members: [Member]) -> [Member] {
        var sorted = members.map { Member(key: $0.key, value: $0.value.canonical) }
        sorted.sort { $0.key < $1.key }
        guard zip(sorted, sorted.dropFirst()).contains(where: { $0.key == $1.key }) else { return sorted }
        var last: [String: JSONValue] = [:]
        for member in members { last[member.key] = member.value }
        return last.map { Member(key: $0.key, value: $0.value.canonical) }.sorted { $0.key < $1.key }
    }

    /// One spelling per number: whole numbers up to 2^53 as integers, other integers as
    /// written, the rest as Swift prints the Double.
    package static func canonicalNumber(_ text: String) -> String {
        guard let value = Double(text), value.isFinite else { return text }
        if value == value.rounded(), abs(value) < 9_007_199_254_740_992 { return String(Int64(value)) }
        if !text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) { return text }
        return "\(value)"
    }
}
