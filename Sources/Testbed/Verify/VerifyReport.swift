/// What `testbed verify` found for one tape against one provider: a result per recorded
/// exchange, in tape order. Its JSON form (`--json`) is documented in docs/tapes.md.
public struct VerifyReport: Sendable, Hashable, Codable {
    /// The tape, as named by the caller (its path).
    package var tape: String
    /// The provider's base URL the requests went to.
    package var provider: String
    /// One result per exchange of the tape.
    package var exchanges: [ExchangeResult]
    /// Every path learned volatile (`--learn`), over all exchanges, sorted.
    package var learned: [String]

    /// Makes a report.
    public init(tape: String, provider: String, exchanges: [ExchangeResult], learned: [String] = []) {
        self.tape = tape
        self.provider = provider
        self.exchanges = exchanges
        self.learned = learned
    }

    /// True when any exchange broke the contract.
    public var broken: Bool { exchanges.contains { $0.broken } }

    /// The result of one recorded exchange.
    public struct ExchangeResult: Sendable, Hashable, Codable {
        /// Its place on the tape, from 0.
        package var index: Int
        /// The recorded request's method.
        package var method: String
        /// The recorded request's target (path and query).
        package var target: String
        /// The status the consumer saw.
        package var recordedStatus: Int
        /// The status the provider answers now; nil when it did not answer.
        package var status: Int?
        /// Paths learned volatile for this exchange (ignored in its comparison).
        package var learned: [String]
        /// Every difference found, breaking or not.
        package var differences: [ContractDifference]

        /// Makes a result.
        package init(index: Int, method: String, target: String, recordedStatus: Int, status: Int?,
                    learned: [String] = [], differences: [ContractDifference]) {
            self.index = index
            self.method = method
            self.target = target
            self.recordedStatus = recordedStatus
            self.status = status
            self.learned = learned
            self.differences = differences
        }

        /// True when a difference breaks the contract.
        package var broken: Bool { differences.contains { $0.breaking } }

        enum CodingKeys: String, CodingKey {
            case index, method, target, status, learned, differences, broken
            case recordedStatus = "recorded_status"
        }

        /// Reads a result of the `--json` document; `learned` may be absent.
        public init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            index = try container.decode(Int.self, forKey: .index)
            method = try container.decode(String.self, forKey: .method)
            target = try container.decode(String.self, forKey: .target)
            recordedStatus = try container.decode(Int.self, forKey: .recordedStatus)
            status = try container.decodeIfPresent(Int.self, forKey: .status)
            learned = try container.decodeIfPresent([String].self, forKey: .learned) ?? []
            differences = try container.decode([ContractDifference].self, forKey: .differences)
        }

        /// Writes the result as the `--json` document has it, with `broken` computed.
        public func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(index, forKey: .index)
            try container.encode(method, forKey: .method)
            try container.encode(target, forKey: .target)
            try container.encode(recordedStatus, forKey: .recordedStatus)
            try container.encode(status, forKey: .status)
            try container.encode(learned, forKey: .learned)
            try container.encode(differences, forKey: .differences)
            try container.encode(broken, forKey: .broken)
        }
    }

    enum CodingKeys: String, CodingKey {
        case tape, provider, exchanges, learned, broken
    }

    /// Reads a report of the `--json` document; `learned` may be absent.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        tape = try container.decode(String.self, forKey: .tape)
        provider = try container.decode(String.self, forKey: .provider)
        exchanges = try container.decode([ExchangeResult].self, forKey: .exchanges)
        learned = try container.decodeIfPresent([String].self, forKey: .learned) ?? []
    }

    /// Writes the report as `testbed verify --json` prints it, with `broken` computed.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(tape, forKey: .tape)
        try container.encode(provider, forKey: .provider)
        try container.encode(broken, forKey: .broken)
        try container.encode(learned, forKey: .learned)
        try container.encode(exchanges, forKey: .exchanges)
    }
}
