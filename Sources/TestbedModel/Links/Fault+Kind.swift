extension Fault {
    /// What a fault does, with its settings. The cases are Toxiproxy's toxics.
    public enum Kind: Sendable, Hashable {
        /// Each chunk waits `latency` ± a uniformly drawn `jitter` (never below zero) before it
        /// is forwarded; order is kept.
        case latency(Duration, jitter: Duration)
        /// Throughput is held to the rate (1 KB = 1,024 bytes); 0 means no limit, as in Toxiproxy.
        case bandwidth(kilobytesPerSecond: Int)
        /// When one side closes, the close reaches the other side this much later.
        case slowClose(Duration)
        /// Data is dropped; the connection is closed this long after the fault first hit it,
        /// or never for zero.
        case timeout(Duration)
        /// The connection is reset (TCP RST to both ends) this long after the fault first
        /// hit it; data flows until then.
        case resetPeer(Duration)
        /// Chunks are cut into segments of `averageSize` ± `sizeVariation` bytes, `delay` apart.
        case slicer(averageSize: Int, sizeVariation: Int, delay: Duration)
        /// The connection is closed once this many bytes went through in the fault's direction.
        case limitData(bytes: Int)
        /// A fault of an HTTP link, which acts on matching requests (see ``HTTPFault``).
        case http(HTTPFault)

        /// Toxiproxy's type names, in the order of its documentation (the TCP faults).
        package static let types = ["latency", "bandwidth", "slow_close", "timeout", "reset_peer", "slicer",
                                   "limit_data"]

        /// True for the faults of HTTP links.
        package var isHTTP: Bool {
            if case .http = self { return true }
            return false
        }

        /// The allowed range of each attribute of each type.
        package static let ranges: [String: [String: ClosedRange<Int>]] = [
            "latency": ["latency": 0...3_600_000, "jitter": 0...3_600_000],
            "bandwidth": ["rate": 0...10_000_000],
            "slow_close": ["delay": 0...3_600_000],
            "timeout": ["timeout": 0...3_600_000],
            "reset_peer": ["timeout": 0...3_600_000],
            "slicer": ["average_size": 1...1_048_576, "size_variation": 0...1_048_575, "delay": 0...60_000_000],
            "limit_data": ["bytes": 0...(1 << 50)],
        ].merging(HTTPFault.ranges) { own, _ in own }

        /// The unit of an attribute, for messages and docs.
        static func unit(of attribute: String, in type: String) -> String {
            switch (type, attribute) {
            case ("bandwidth", _): "KB/s"
            case ("slicer", "delay"): "microseconds"
            case ("slicer", _), ("limit_data", _), ("http_cut_body", _): "bytes"
            case ("http_status", _): "(an HTTP status)"
            default: "milliseconds"
            }
        }

        /// Toxiproxy's type name.
        package var type: String {
            switch self {
            case .latency: "latency"
            case .bandwidth: "bandwidth"
            case .slowClose: "slow_close"
            case .timeout: "timeout"
            case .resetPeer: "reset_peer"
            case .slicer: "slicer"
            case .limitData: "limit_data"
            case .http(let fault): fault.type
            }
        }

        /// Every attribute under Toxiproxy's name and unit.
        package var attributes: [String: Int] {
            switch self {
            case .latency(let latency, let jitter):
                ["latency": latency.wholeMilliseconds, "jitter": jitter.wholeMilliseconds]
            case .bandwidth(let rate): ["rate": rate]
            case .slowClose(let delay): ["delay": delay.wholeMilliseconds]
            case .timeout(let after): ["timeout": after.wholeMilliseconds]
            case .resetPeer(let after): ["timeout": after.wholeMilliseconds]
            case .slicer(let average, let variation, let delay):
                ["average_size": average, "size_variation": variation, "delay": delay.wholeMicroseconds]
            case .limitData(let bytes): ["bytes": bytes]
            case .http(let fault): fault.numbers
            }
        }

        /// The attributes that are text (an HTTP fault's `method`, `path`, `body`, `header.NAME`).
        package var text: [String: String] {
            if case .http(let fault) = self { return fault.texts }
            return [:]
        }

        /// Reads a type and its attributes in Toxiproxy's names and units; missing attributes
        /// take Toxiproxy's defaults (zero; an `average_size` of 1 for the slicer).
        /// `text` holds an HTTP fault's text attributes (`method`, `path`, `body`, `header.NAME`).
        /// Throws ``LinkError`` (`invalidFault`) for an unknown type or attribute.
        public init(type: String, attributes: [String: Int], text: [String: String] = [:]) throws {
            if HTTPFault.types.contains(type) {
                self = .http(try HTTPFault(type: type, numbers: attributes, texts: text))
                return
            }
            guard let known = Self.ranges[type] else {
                throw LinkError(.invalidFault, "unknown fault type '\(type)': use one of \(Self.types.joined(separator: ", ")) "
                                + "(TCP links) or \(HTTPFault.types.joined(separator: ", ")) (HTTP links)")
            }
            if let name = text.keys.sorted().first {
                throw LinkError(.invalidFault, "fault type '\(type)' has no attribute '\(name)' that takes text: its attributes are "
                                + known.keys.sorted().joined(separator: ", "))
            }
            for name in attributes.keys.sorted() where known[name] == nil {
                throw LinkError(.invalidFault, "fault type '\(type)' has no attribute '\(name)': its attributes are "
                                + known.keys.sorted().joined(separator: ", "))
            }
            func value(_ name: String, default fallback: Int = 0) -> Int { attributes[name] ?? fallback }
            switch type {
            case "latency":
                self = .latency(.milliseconds(value("latency")), jitter: .milliseconds(value("jitter")))
            case "bandwidth": self = .bandwidth(kilobytesPerSecond: value("rate"))
            case "slow_close": self = .slowClose(.milliseconds(value("delay")))
            case "timeout": self = .timeout(.milliseconds(value("timeout")))
            case "reset_peer": self = .resetPeer(.milliseconds(value("timeout")))
            case "slicer":
                self = .slicer(averageSize: value("average_size", default: 1), sizeVariation: value("size_variation"),
                               delay: .microseconds(value("delay")))
            default: self = .limitData(bytes: value("bytes"))
            }
        }
    }
}

extension Duration {
    /// Whole milliseconds, rounded toward zero.
    package var wholeMilliseconds: Int {
        let (seconds, attoseconds) = components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }

    /// Whole microseconds, rounded toward zero.
    package var wholeMicroseconds: Int {
        let (seconds, attoseconds) = components
        return Int(seconds) * 1_000_000 + Int(attoseconds / 1_000_000_000_000)
    }

    /// Whole nanoseconds, rounded toward zero (saturating).
    package var wholeNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        return product + attoseconds / 1_000_000_000
    }
}
