import TestbedModel
/// One way a provider's current response differs from the response a consumer recorded.
///
/// ``message`` is the line a report prints, e.g. `$.items[0].price: recorded number, now string`.
package struct ContractDifference: Sendable, Hashable, Codable, CustomStringConvertible {
    /// What changed.
    package enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// The status code differs.
        case status
        /// The request is now answered 404, 405 or 410: the endpoint is gone.
        case removedEndpoint = "removed_endpoint"
        /// The media type of `Content-Type` differs (parameters such as charset are not compared).
        case contentType = "content_type"
        /// The body was JSON and is not any more (or is empty); or, with values compared, a
        /// non-JSON body differs.
        case body
        /// A field the consumer saw is gone.
        case missing
        /// A field the consumer never saw is there now.
        case added
        /// A value has another JSON type.
        case typeChanged = "type_changed"
        /// `null` where the consumer saw a value.
        case becameNull = "became_null"
        /// A value where the consumer saw `null`.
        case nullFilled = "null_filled"
        /// The same type with another value (only when values are compared).
        case value
        /// The provider did not answer the request at all.
        case unreachable
    }

    /// What changed.
    package var kind: Kind
    /// Where in the body, for body differences (`$` is the whole body).
    package var path: String?
    /// What the consumer saw: a status, a media type, a JSON type, or a value.
    package var recorded: String?
    /// What the provider answers now.
    package var current: String?
    /// Whether this difference breaks the contract (see docs/tapes.md for the policy).
    package var breaking: Bool
    /// How many array elements showed this same difference (reported once, at the first).
    package var occurrences: Int
    /// The report's line.
    package var message: String

    /// Makes a difference and its message.
    package init(_ kind: Kind, path: JSONPath? = nil, recorded: String? = nil, current: String? = nil, breaking: Bool, occurrences: Int = 1) {
        self.kind = kind
        self.path = path?.description
        self.recorded = recorded
        self.current = current
        self.breaking = breaking
        self.occurrences = occurrences
        self.message = ""
        self.message = Self.message(self)
    }

    package var description: String { message }

    private static func message(_ difference: ContractDifference) -> String {
        let recorded = difference.recorded ?? "none"
        let current = difference.current ?? "none"
        let place = difference.path.map { $0 + ": " } ?? ""
        var text: String
        switch difference.kind {
        case .status: text = "status: recorded \(recorded), now \(current)"
        case .removedEndpoint: text = "endpoint removed: recorded \(recorded), now \(current)"
        case .contentType: text = "content type: recorded \(recorded), now \(current)"
        case .body: text = "\(place)recorded \(recorded), now \(current)"
        case .missing: text = "\(place)missing (recorded \(recorded))"
        case .added: text = "\(place)new field (\(current))"
        case .typeChanged, .becameNull, .nullFilled, .value: text = "\(place)recorded \(recorded), now \(current)"
        case .unreachable: text = "no answer: \(current)"
        }
        if difference.occurrences > 1 { text += " (in \(difference.occurrences) elements)" }
        return text
    }

    /// The same difference counted `occurrences` times.
    func counted(_ occurrences: Int) -> ContractDifference {
        var copy = self
        copy.occurrences = occurrences
        copy.message = Self.message(copy)
        return copy
    }
}
