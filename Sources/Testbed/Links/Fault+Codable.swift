/// Toxiproxy's JSON form of a toxic:
/// `{"name": "…", "type": "latency", "stream": "downstream", "toxicity": 1, "attributes": {"latency": 100, "jitter": 0}}`.
///
/// Decoding accepts what Toxiproxy accepts: `name`, `stream` and `toxicity` may be left out
/// (`TYPE_STREAM`, downstream, 1); attributes may be whole numbers written as floats.
/// Testbed adds an optional `seed`, written only when set. A semantic problem (unknown
/// type, out-of-range value) is thrown as ``LinkError``, not as a `DecodingError`.
extension Fault: Codable {
    private enum Key: String, CodingKey {
        case name, type, stream, toxicity, attributes, seed
    }

    private struct AttributeKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Reads Toxiproxy's JSON form.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        let type = try container.decode(String.self, forKey: .type)
        var attributes: [String: Int] = [:]
        if container.contains(.attributes), try !container.decodeNil(forKey: .attributes) {
            let values = try container.nestedContainer(keyedBy: AttributeKey.self, forKey: .attributes)
            for key in values.allKeys {
                if let whole = try? values.decode(Int.self, forKey: key) {
                    attributes[key.stringValue] = whole
                } else {
                    let number = try values.decode(Double.self, forKey: key)
                    guard number.rounded() == number, abs(number) < 1e15 else {
                        throw LinkError(.invalidFault, "attribute '\(key.stringValue)' of a \(type) fault must be a whole number, not \(number)")
                    }
                    attributes[key.stringValue] = Int(number)
                }
            }
        }
        let streamName = try container.decodeIfPresent(String.self, forKey: .stream) ?? "downstream"
        guard let stream = Stream(rawValue: streamName) else {
            throw LinkError(.invalidFault, "stream '\(streamName)' is not valid: use upstream or downstream")
        }
        let toxicity = try container.decodeIfPresent(Double.self, forKey: .toxicity) ?? 1
        var name = try container.decodeIfPresent(String.self, forKey: .name)
        if name?.isEmpty == true { name = nil }
        try self.init(type: type, attributes: attributes, name: name, stream: stream, toxicity: toxicity,
                      seed: try container.decodeIfPresent(UInt64.self, forKey: .seed))
    }

    /// Writes Toxiproxy's JSON form.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(name, forKey: .name)
        try container.encode(type, forKey: .type)
        try container.encode(stream.rawValue, forKey: .stream)
        try container.encode(toxicity, forKey: .toxicity)
        try container.encode(attributes, forKey: .attributes)
        try container.encodeIfPresent(seed, forKey: .seed)
    }
}
