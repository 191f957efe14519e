import Synchronization

/// Answers requests from a tape: the replay side of an HTTP link.
///
/// A request matches a recorded one when the method, the path, the query parameters (in
/// any order) and the body (JSON compared as data, other bodies byte for byte) are the
/// same, with the ``TapeMatchRules`` adding headers or leaving out query parameters and
/// JSON paths. Identical requests get their recorded answers in recording order; when
/// those are used up, the last one is answered again. A request without a match is a
/// ``TapeMiss`` naming the closest recorded request and how it differs.
///
/// Thread-safe: the state sits behind a `Mutex`, so one player serves every connection of
/// a link.
public final class TapePlayer: Sendable {
    private struct State {
        var tape: Tape
        var keys: [TapeRequestKey] = []
        var indexes: [TapeRequestKey: [Int]] = [:]
        var served: [TapeRequestKey: Int] = [:]
        var used: [Bool] = []
        var misses: [TapeMiss] = []

        mutating func add(_ exchange: TapeExchange, key: TapeRequestKey, used isUsed: Bool) {
            let index = keys.count
            if index == tape.exchanges.count { tape.exchanges.append(exchange) }
            keys.append(key)
            indexes[key, default: []].append(index)
            used.append(isUsed)
        }
    }

    private let rules: TapeMatchRules
    private let paths: [TapeJSONPath]
    private let redaction: TapeRedaction?
    private let state: Mutex<State>

    /// Makes a player for `tape`. Entries of `rules.ignoredJSON` that are not valid paths
    /// are left out (see ``TapeMatchRules/invalidPaths``).
    ///
    /// With `redaction` (the rules the tape was recorded with), each request is redacted
    /// before it is compared, so that a secret query parameter or JSON value, which is the
    /// placeholder on the tape, still matches.
    public init(tape: Tape, rules: TapeMatchRules = .default, redaction: TapeRedaction? = nil) {
        self.rules = rules
        self.redaction = redaction
        let paths = rules.ignoredJSON.compactMap(TapeJSONPath.init)
        self.paths = paths
        var state = State(tape: tape)
        for exchange in tape.exchanges {
            state.add(exchange, key: TapeRequestKey(exchange.request, rules: rules, paths: paths), used: false)
        }
        self.state = Mutex(state)
    }

    /// The recorded answer for `request`, or a miss (which is also kept in ``misses``; with
    /// a redaction, the miss holds the redacted request, so no secret reaches a report).
    public func answer(for request: TapeRequest) -> TapeAnswer {
        let request = redaction.map { $0.redact(request) } ?? request
        let key = TapeRequestKey(request, rules: rules, paths: paths)
        return state.withLock { state in
            if let indexes = state.indexes[key] {
                let turn = state.served[key, default: 0]
                state.served[key] = turn + 1
                let index = indexes[min(turn, indexes.count - 1)]
                state.used[index] = true
                return .hit(state.tape.exchanges[index], index: index)
            }
            let miss = Self.miss(request, key: key, in: state)
            state.misses.append(miss)
            return .miss(miss)
        }
    }

    /// Adds an exchange recorded from the upstream (modes record and record_missing). It
    /// counts as used; a later identical request is answered with it (as the last of its kind).
    public func record(_ exchange: TapeExchange) {
        let key = TapeRequestKey(exchange.request, rules: rules, paths: paths)
        state.withLock { state in
            state.add(exchange, key: key, used: true)
            state.served[key] = state.indexes[key, default: []].count
        }
    }

    /// The tape as it stands: the exchanges it was made with and those recorded since.
    public var tape: Tape {
        state.withLock { $0.tape }
    }

    /// Every request that found no match, in order.
    public var misses: [TapeMiss] {
        state.withLock { $0.misses }
    }

    /// The indexes (0-based) of the exchanges that no request has used yet.
    public var unusedExchanges: [Int] {
        state.withLock { state in state.used.indices.filter { !state.used[$0] } }
    }

    private static func miss(_ request: TapeRequest, key: TapeRequestKey, in state: State) -> TapeMiss {
        guard !state.keys.isEmpty else { return TapeMiss(request: request) }
        func rank(_ other: TapeRequestKey) -> Int {
            (other.path == key.path ? 0 : 2) + (other.method == key.method ? 0 : 1)
        }
        let best = state.keys.map(rank).min() ?? 0
        var closest = -1
        var closestDifferences: [String] = []
        for (index, other) in state.keys.enumerated() where rank(other) == best {
            let differences = other.differences(from: key)
            if closest < 0 || differences.count < closestDifferences.count {
                closest = index
                closestDifferences = differences
            }
        }
        let recorded = state.tape.exchanges[closest].request
        return TapeMiss(request: request, closest: closest, closestRequest: "\(recorded.method) \(recorded.target)",
                        differences: closestDifferences)
    }
}
