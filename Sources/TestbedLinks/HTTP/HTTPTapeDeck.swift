import Foundation
import Synchronization
import TestbedModel
import TestbedTapes

/// An HTTP link's tape while the link runs: the player that matches requests against the
/// recorded exchanges, the redaction applied before anything is kept, and the file it is
/// written back to at teardown.
final class HTTPTapeDeck: Sendable {
    /// What the tape has for a request.
    enum Answer: Sendable {
        case hit(TapeResponse)
        case miss(TapeMiss)
    }

    /// The tape file.
    let path: String
    /// How many exchanges the tape held when the link started.
    let loaded: Int
    private let player: TapePlayer
    private let redaction: TapeRedaction
    private let volatility: TapeVolatility
    private let shared: Bool
    /// The tape as it was before a `record` run, read (when it can be) so that exchanges
    /// recorded again unchanged are written as they were (``TapeVolatility``).
    private let previous: Tape?
    /// Requests answered from the tape, and exchanges recorded from the upstream.
    private let counts = Mutex((answered: 0, recorded: 0))

    /// Loads the tape at `path` when `load` is true (else starts empty, as `record` does,
    /// keeping the old file's exchanges aside, when it has one, for ``write()``). With
    /// `writes`, the tape's folder is made and checked now (``TapeFolder``), so that a folder
    /// another account could change stops the start rather than the tape at teardown.
    /// Throws ``LinkError`` (`tape`) with the tape's own error (file and line) when it cannot
    /// be read, or its folder cannot be used.
    init(link: String, path: String, settings: HTTPLinkOptions, load: Bool, writes: Bool = false) throws {
        self.path = path
        volatility = TapeVolatility(extra: settings.volatileHeaders)
        shared = settings.tapeShared
        var rules = TapeMatchRules.default
        rules.headers = settings.matchHeaders
        rules.ignoredQuery = settings.ignoreQuery
        rules.ignoredJSON = settings.ignoreJSON
        rules.body = settings.matchBody
        var redaction = TapeRedaction()
        redaction.headers = settings.redactHeaders
        redaction.query = settings.redactQuery
        redaction.json = settings.redactJSON
        self.redaction = redaction
        let tape: Tape
        do {
            tape = load ? try Tape.load(from: URL(fileURLWithPath: path)) : Tape()
        } catch {
            throw LinkError(.tape, "link '\(link)': the tape cannot be read: \(error)")
        }
        if writes {
            do { _ = try TapeFolder.open(path, create: true, followLast: false) } catch {
                throw LinkError(.tape, "link '\(link)': the tape cannot be written: \(error)")
            }
        }
        previous = load ? nil : try? Tape.load(from: URL(fileURLWithPath: path))
        loaded = tape.exchanges.count
        player = TapePlayer(tape: tape, rules: rules, redaction: redaction)
    }

    /// The recorded answer for `request`, matched after redaction (the player redacts it:
    /// a redacted query parameter or JSON field compares as its placeholder, as the tape
    /// holds it, and a miss names no secret).
    func answer(for request: TapeRequest) -> Answer {
        switch player.answer(for: request) {
        case .hit(let exchange, _):
            counts.withLock { $0.answered += 1 }
            return .hit(exchange.response)
        case .miss(let miss): return .miss(miss)
        }
    }

    /// Keeps a new exchange, redacted, for the tape written at teardown.
    func record(_ exchange: TapeExchange) {
        player.record(redaction.redact(exchange))
        counts.withLock { $0.recorded += 1 }
    }

    /// Requests answered from the tape so far.
    var answered: Int { counts.withLock { $0.answered } }
    /// Exchanges recorded from the upstream so far.
    var recorded: Int { counts.withLock { $0.recorded } }

    /// How many of the exchanges the tape started with answered a request.
    var replayed: Int { loaded - player.unusedExchanges.filter { $0 < loaded }.count }

    /// Every miss, described (the request, the closest recorded one, the differences).
    var misses: [String] { player.misses.map(\.description) }

    /// Every recorded exchange never answered: `#3 GET /v1/users?id=7 → 200`.
    var unusedDescriptions: [String] {
        let exchanges = player.tape.exchanges
        return player.unusedExchanges.map { index in
            guard exchanges.indices.contains(index) else { return "#\(index)" }
            let exchange = exchanges[index]
            return "#\(index) \(exchange.request.method) \(exchange.request.target) → \(exchange.response.status)"
        }
    }

    /// The redaction rules that matched nothing on the tape (a rule that matches nothing is
    /// likely misspelt).
    var unusedRedactionRules: [String] { redaction.unusedRules(in: player.tape.exchanges) }

    /// What ``write()`` wrote.
    struct Written: Sendable {
        /// The exchanges on the tape.
        var count: Int
        /// Header names that look like credentials and are on the tape in clear
        /// (``TapeRedaction/credentialsInClear(in:)``).
        var credentialsInClear: [String]
    }

    /// Writes the tape atomically (its folders made when missing), mode 0600, or 0644 for a
    /// shared tape; an exchange recorded again unchanged but for its volatile parts is
    /// written as the previous tape had it. Throws ``TapeError``.
    func write() throws -> Written {
        var tape = player.tape
        if let previous { tape.exchanges = volatility.keepingUnchanged(tape.exchanges, previous: previous.exchanges) }
        try AtomicTapeFile(url: URL(fileURLWithPath: path), permissions: shared ? 0o644 : 0o600, createFolders: true)
            .write(TapeFileWriter.bytes(of: tape))
        return Written(count: tape.exchanges.count, credentialsInClear: redaction.credentialsInClear(in: tape.exchanges))
    }
}
