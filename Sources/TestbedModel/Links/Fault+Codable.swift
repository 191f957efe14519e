/// Toxiproxy's JSON form of a toxic:
/// `{"name": "…", "type": "latency", "stream": "downstream", "toxicity": 1, "attributes": {"latency": 100, "jitter": 0}}`.
///
/// Decoding accepts what Toxiproxy accepts: `name`, `stream` and `toxicity` may be left out
/// (`TYPE_STREAM`, downstream, 1); attributes may be whole numbers written as floats.
/// Testbed adds an optional `seed`, written only when set, and the text attributes of HTTP
/// faults (`"method": "POST"`, `"path": "/charges"`, `"body": "…"`, `"headers": {"Retry-After": "2"}`). A semantic problem (unknown
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
        let given = try container.decodeIfPresent(FaultAttributes.self, forKey: .attributes) ?? FaultAttributes()
        let attributes = try given.numbers(of: type)
        let streamName = try container.decodeIfPresent(String.self, forKey: .stream) ?? "downstream"
        guard let stream = Stream(rawValue: streamName) else {
            throw LinkError(.invalidFault, "stream '\(streamName)' is not valid: use upstream or downstream")
        }
        let toxicity = try container.decodeIfPresent(Double.self, forKey: .toxicity) ?? 1
        var name = try container.decodeIfPresent(String.self, forKey: .name)
        if name?.isEmpty == true { name = nil }
        try self.init(type: type, attributes: attributes, text: given.text, name: name, stream: stream, toxicity: toxicity,
                      seed: try container.decodeIfPresent(UInt64.self, forKey: .seed))
    }

    /// Writes Toxiproxy's JSON form.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(name, forKey: .name)
        try container.encode(type, forKey: .type)
        try container.encode(stream.rawValue, forKey: .stream)
        try container.encode(toxicity, forKey: .toxicity)
        var values = container.nestedContainer(keyedBy: AttributeKey.self, forKey: .attributes)
        for (key, value) in attributes { try values.encode(value, forKey: AttributeKey(stringValue: key)) }
        var headers: [String: String] = [:]
        for (key, value) in text {
            if key.hasPrefix("header.") { headers[String(key.dropFirst("header.".count))] = value } else {
                try values.encode(value, forKey: AttributeKey(stringValue: key))
            }
        }
        if !headers.isEmpty { try values.encode(headers, forKey: AttributeKey(stringValue: "headers")) }
        try container.encodeIfPresent(seed, forKey: .seed)
    }
}
