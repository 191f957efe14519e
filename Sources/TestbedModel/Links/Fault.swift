/// One misbehaviour of a link — Toxiproxy's "toxic": a kind with its attributes, the
/// direction it acts on, the share of connections it hits, and a name to remove it by.
///
/// Build faults with the typed constructors (`.latency(.milliseconds(300))`,
/// `.resetPeer(after: .seconds(1))`, …) from Swift, or from Toxiproxy's JSON
/// (`{"name","type","stream","toxicity","attributes":{…}}`) through `Codable`, or from a
/// type name and an attribute dictionary with `init(type:attributes:text:name:stream:toxicity:seed:)`.
/// A fault is checked when it is added to a link (`validate()`).
public struct Fault: Sendable, Hashable {
    /// The direction a fault acts on. Toxiproxy's words: upstream is client → server,
    /// downstream is server → client (the default).
    public enum Stream: String, Sendable, Hashable, Codable, CaseIterable {
        /// Bytes the client sends to the service.
        case upstream
        /// Bytes the service sends back to the client.
        case downstream
    }

    /// The fault's name, unique on its link; defaults to `TYPE_STREAM` as in Toxiproxy.
    package var name: String
    /// What the fault does.
    package var kind: Kind
    /// The direction it acts on.
    package var stream: Stream
    /// The probability (0…1) that a connection is hit, drawn once per connection.
    package var toxicity: Double
    /// Seeds the random draws (toxicity, jitter, slicer sizes) so a failing test replays
    /// the same way; nil takes the link's seed, or a random one.
    package var seed: UInt64?

    /// Makes a fault; `name` defaults to `TYPE_STREAM` (e.g. `latency_downstream`).
    public init(_ kind: Kind, stream: Stream = .downstream, toxicity: Double = 1, name: String? = nil,
                seed: UInt64? = nil) {
        self.kind = kind
        self.stream = stream
        self.toxicity = toxicity
        self.name = name ?? (kind.isHTTP ? kind.type : "\(kind.type)_\(stream.rawValue)")
        self.seed = seed
    }

    /// Makes a fault from Toxiproxy's type name and attributes; attributes not given take
    /// Toxiproxy's defaults. `text` holds an HTTP fault's text attributes (`method`, `path`,
    /// `body`, `header.NAME`). Throws ``LinkError`` (`invalidFault`) for an unknown type or
    /// attribute, or a value out of range.
    public init(type: String, attributes: [String: Int] = [:], text: [String: String] = [:], name: String? = nil,
                stream: Stream = .downstream, toxicity: Double = 1, seed: UInt64? = nil) throws {
        self.init(try Kind(type: type, attributes: attributes, text: text), stream: stream, toxicity: toxicity, name: name,
                  seed: seed)
        try validate()
    }

    /// Toxiproxy's type name: `latency`, `bandwidth`, `slow_close`, `timeout`, `reset_peer`,
    /// `slicer` or `limit_data`.
    package var type: String { kind.type }

    /// The attributes under Toxiproxy's names and units (milliseconds, KB/s, bytes;
    /// microseconds for the slicer's `delay`).
    package var attributes: [String: Int] { kind.attributes }

    /// The text attributes of an HTTP fault (`method`, `path`, `body`, `header.NAME`); empty
    /// for TCP faults.
    package var text: [String: String] { kind.text }

    /// Checks the name, the toxicity and every attribute against its range.
    /// Throws ``LinkError`` (`invalidFault`) naming the fault, the attribute and what is allowed.
    package func validate() throws {
        guard !name.isEmpty, name.count <= 200,
              name.allSatisfy({ $0.isLetter || $0.isNumber || "_-.:".contains($0) })
        else {
            throw LinkError(.invalidFault, "fault name '\(name)' is not valid: use 1-200 letters, digits, '_', '-', '.' or ':'")
        }
        guard toxicity.isFinite, (0...1).contains(toxicity) else {
            throw LinkError(.invalidFault, "fault '\(name)': toxicity \(toxicity) is out of range: it is a probability from 0 to 1")
        }
        for (attribute, value) in attributes {
            guard let range = Kind.ranges[type]?[attribute] else { continue }
            guard range.contains(value) else {
                throw LinkError(.invalidFault, "fault '\(name)' (\(type)): \(attribute) \(value) is out of range: "
                                + "allowed \(range.lowerBound)...\(range.upperBound) \(Kind.unit(of: attribute, in: type))")
            }
        }
        if case .slicer(let average, let variation, _) = kind, variation >= average {
            throw LinkError(.invalidFault, "fault '\(name)' (slicer): size_variation \(variation) must be smaller than "
                            + "average_size \(average)")
        }
    }

    /// A copy with `attributes` and `text` merged over the current ones and, when given, a
    /// new toxicity (Toxiproxy's update of a toxic). `text` is an HTTP fault's `method`,
    /// `path`, `body` and `header.NAME` (a header given replaces that header's value; `*` or
    /// an empty `method`/`path` matches any). The merged fault is checked as an added one is:
    /// throws ``LinkError`` (`invalidFault`) with the same messages.
    package func updated(attributes: [String: Int], text: [String: String] = [:], toxicity: Double? = nil) throws -> Fault {
        var merged = self.attributes
        for (key, value) in attributes { merged[key] = value }
        var mergedText = self.text
        for (key, value) in text { mergedText[key] = value }
        var copy = self
        copy.kind = try Kind(type: type, attributes: merged, text: mergedText)
        if let toxicity { copy.toxicity = toxicity }
        try copy.validate()
        return copy
    }
}

// MARK: - Typed constructors

extension Fault {
    /// Delays each chunk by `latency`, ± a random `jitter` (Toxiproxy `latency`).
    public static func latency(_ latency: Duration, jitter: Duration = .zero, stream: Stream = .downstream,
                               toxicity: Double = 1, name: String? = nil, seed: UInt64? = nil) -> Fault {
        Fault(.latency(latency, jitter: jitter), stream: stream, toxicity: toxicity, name: name, seed: seed)
    }

    /// Limits throughput to `kilobytesPerSecond` KB/s (Toxiproxy `bandwidth`).
    public static func bandwidth(kilobytesPerSecond: Int, stream: Stream = .downstream, toxicity: Double = 1,
                                 name: String? = nil) -> Fault {
        Fault(.bandwidth(kilobytesPerSecond: kilobytesPerSecond), stream: stream, toxicity: toxicity, name: name)
    }

    /// Delays the close of the connection by `delay` once a side closed it (Toxiproxy `slow_close`).
    public static func slowClose(_ delay: Duration, stream: Stream = .downstream, toxicity: Double = 1,
                                 name: String? = nil) -> Fault {
        Fault(.slowClose(delay), stream: stream, toxicity: toxicity, name: name)
    }

    /// Stops forwarding (data is dropped) and closes the connection after `after`, or never
    /// when nil (Toxiproxy `timeout`, where 0 means never).
    public static func timeout(after: Duration?, stream: Stream = .downstream, toxicity: Double = 1,
                               name: String? = nil) -> Fault {
        Fault(.timeout(after ?? .zero), stream: stream, toxicity: toxicity, name: name)
    }

    /// Resets the connection (TCP RST) at once or after `after` (Toxiproxy `reset_peer`).
    public static func resetPeer(after: Duration = .zero, stream: Stream = .downstream, toxicity: Double = 1,
                                 name: String? = nil) -> Fault {
        Fault(.resetPeer(after), stream: stream, toxicity: toxicity, name: name)
    }

    /// Splits data into segments of about `averageSize` bytes (± `sizeVariation`), sent
    /// `delay` apart (Toxiproxy `slicer`).
    public static func slicer(averageSize: Int, sizeVariation: Int = 0, delay: Duration = .zero,
                              stream: Stream = .downstream, toxicity: Double = 1, name: String? = nil,
                              seed: UInt64? = nil) -> Fault {
        Fault(.slicer(averageSize: averageSize, sizeVariation: sizeVariation, delay: delay), stream: stream,
              toxicity: toxicity, name: name, seed: seed)
    }

    /// Closes the connection once `bytes` bytes went through (Toxiproxy `limit_data`).
    public static func limitData(bytes: Int, stream: Stream = .downstream, toxicity: Double = 1,
                                 name: String? = nil) -> Fault {
        Fault(.limitData(bytes: bytes), stream: stream, toxicity: toxicity, name: name)
    }
}
