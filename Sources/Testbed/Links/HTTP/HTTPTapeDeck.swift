import Foundation

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
    private let player: TapePlayer
    private let redaction: TapeRedaction

    /// Loads the tape at `path` when `load` is true (else starts empty, as `record` does).
    /// Throws ``LinkError`` (`tape`) with the tape's own error (file and line) when it cannot
    /// be read.
    init(link: String, path: String, settings: HTTPLinkSettings, load: Bool) throws {
        self.path = path
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
        player = TapePlayer(tape: tape, rules: rules, redaction: redaction)
    }

    /// The recorded answer for `request`, matched after redaction (the player redacts it:
    /// a redacted query parameter or JSON field compares as its placeholder, as the tape
    /// holds it, and a miss names no secret).
    func answer(for request: TapeRequest) -> Answer {
        switch player.answer(for: request) {
        case .hit(let exchange, _): return .hit(exchange.response)
        case .miss(let miss): return .miss(miss)
        }
    }

    /// Keeps a new exchange, redacted, for the tape written at teardown.
    func record(_ exchange: TapeExchange) {
        player.record(redaction.redact(exchange))
    }

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

    /// Writes the tape atomically; returns how many exchanges it holds.
    func write() throws -> Int {
        let tape = player.tape
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty { try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        try tape.write(to: URL(fileURLWithPath: path))
        return tape.exchanges.count
    }
}
