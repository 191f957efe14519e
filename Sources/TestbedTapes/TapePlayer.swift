import Synchronization
import TestbedModel

/// Answers requests from a tape: the replay side of an HTTP link.
///
/// A request matches a recorded one when the method, the path, the query parameters (in
/// any order) and the body (JSON compared as data, other bodies byte for byte) are the
/// same, with the ``TapeMatchRules`` adding headers or leaving out query parameters and
/// JSON paths. Identical requests get their recorded answers in recording order; when
/// those are used up, the last one is answered again. A request without a match is a
/// ``TapeMiss`` naming the closest recorded request and how it differs.
///
/// The index is built in two steps, so that a link serving a large tape is ready at once:
/// up front only each exchange's route (a hash of the method and the path, cheap to
/// compute); the full key of a recorded request (query parameters parsed, JSON body parsed)
/// is computed for the exchanges of a route when a request for that route first comes, or
/// for all of them when a request misses (the miss names the closest of them all).
///
/// Thread-safe: the state sits behind a `Mutex`, so one player serves every connection of
/// a link.
public final class TapePlayer: Sendable {
    private struct State {
        var tape: Tape
        /// Each exchange's key, once computed.
        var keys: [TapeRequestKey?]
        /// The exchanges whose key is computed, by key, in tape order.
        var indexes: [TapeRequestKey: [Int]] = [:]
        /// The first exchange of each route not yet keyed; `next` chains the others.
        var pending: [Int: Int] = [:]
        var next: [Int]
        var served: [TapeRequestKey: Int] = [:]
        var used: [Bool]
        var misses: [TapeMiss] = []

        init(tape: Tape) {
            self.tape = tape
            keys = Array(repeating: nil, count: tape.exchanges.count)
            next = Array(repeating: -1, count: tape.exchanges.count)
            used = Array(repeating: false, count: tape.exchanges.count)
            for index in tape.exchanges.indices.reversed() {
                let route = TapePlayer.route(of: tape.exchanges[index].request)
                if let first = pending.updateValue(index, forKey: route) { next[index] = first }
            }
        }

        /// Computes the key of every exchange of `route` not keyed yet, and indexes them.
        mutating func resolve(_ route: Int, rules: TapeMatchRules, paths: [JSONPath]) {
            guard var index = pending.removeValue(forKey: route) else { return }
            var count = 0
            var counting = index
            while counting >= 0 { count += 1; counting = next[counting] }
            indexes.reserveCapacity(indexes.count + count)
            while index >= 0 {
                let key = self.key(index, rules: rules, paths: paths)
                indexes[key, default: []].append(index)
                index = next[index]
            }
        }

        /// The key of exchange `index`, computed once.
        mutating func key(_ index: Int, rules: TapeMatchRules, paths: [JSONPath]) -> TapeRequestKey {
            if let key = keys[index] { return key }
            let key = TapeRequestKey(tape.exchanges[index].request, rules: rules, paths: paths)
            keys[index] = key
            return key
        }

        /// Adds an exchange recorded from the upstream (its route already resolved).
        mutating func add(_ exchange: TapeExchange, key: TapeRequestKey) {
            let index = tape.exchanges.count
            tape.exchanges.append(exchange)
            keys.append(key)
            next.append(-1)
            indexes[key, default: []].append(index)
            used.append(true)
        }
    }

    private let rules: TapeMatchRules
    private let paths: [JSONPath]
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
        paths = rules.ignoredJSON.compactMap { try? JSONPath(bodyRule: $0) }
        state = Mutex(State(tape: tape))
    }

    /// Where a request's exchanges are looked for: a hash of what every key of the route has
    /// in common, the upper-cased method and the path (two routes may share a hash; their
    /// requests are then told apart by their keys).
    private static func route(of request: TapeRequest) -> Int {
        var hasher = Hasher()
        hasher.combine(request.method.uppercased())
        hasher.combine(request.questionMark.map { request.target[..<$0] } ?? request.target[...])
        return hasher.finalize()
    }

    /// The recorded answer for `request`, or a miss (which is also kept in ``misses``; with
    /// a redaction, the miss holds the redacted request, so no secret reaches a report).
    package func answer(for request: TapeRequest) -> TapeAnswer {
        let request = redaction.map { $0.redact(request) } ?? request
        let key = TapeRequestKey(request, rules: rules, paths: paths)
        let route = Self.route(of: request)
        return state.withLock { state in
            state.resolve(route, rules: rules, paths: paths)
            if let indexes = state.indexes[key] {
                let turn = state.served[key, default: 0]
                state.served[key] = turn + 1
                let index = indexes[min(turn, indexes.count - 1)]
                state.used[index] = true
                return .hit(state.tape.exchanges[index], index: index)
            }
            let miss = Self.miss(request, key: key, in: &state, rules: rules, paths: paths)
            state.misses.append(miss)
            return .miss(miss)
        }
    }

    /// Adds an exchange recorded from the upstream (modes record and record_missing). It
    /// counts as used; a later identical request is answered with it (as the last of its kind).
    package func record(_ exchange: TapeExchange) {
        let key = TapeRequestKey(exchange.request, rules: rules, paths: paths)
        let route = Self.route(of: exchange.request)
        state.withLock { state in
            state.resolve(route, rules: rules, paths: paths)
            state.add(exchange, key: key)
            state.served[key] = state.indexes[key, default: []].count
        }
    }

    /// The tape as it stands: the exchanges it was made with and those recorded since.
    package var tape: Tape {
        state.withLock { $0.tape }
    }

    /// Every request that found no match, in order.
    package var misses: [TapeMiss] {
        state.withLock { $0.misses }
    }

    /// The indexes (0-based) of the exchanges that no request has used yet.
    package var unusedExchanges: [Int] {
        state.withLock { state in state.used.indices.filter { !state.used[$0] } }
    }

    private static func miss(_ request: TapeRequest, key: TapeRequestKey, in state: inout State,
                             rules: TapeMatchRules, paths: [JSONPath]) -> TapeMiss {
        guard !state.keys.isEmpty else { return TapeMiss(request: request) }
        let keys = state.keys.indices.map { state.key($0, rules: rules, paths: paths) }
        func rank(_ other: TapeRequestKey) -> Int {
            (other.path == key.path ? 0 : 2) + (other.method == key.method ? 0 : 1)
        }
        let best = keys.map(rank).min() ?? 0
        var closest = -1
        var closestDifferences: [String] = []
        for (index, other) in keys.enumerated() where rank(other) == best {
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
