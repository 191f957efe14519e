import Foundation

/// A link's `http:` block: the link speaks HTTP, records to or replays from a tape, and
/// takes HTTP faults.
///
/// ```yaml
/// links:
///   payments:
///     to: https://api.payments.example/v1     # or a service: api / api.ports.http
///     http:
///       tape: tapes/payments.json             # relative to the manifest's folder
///       mode: replay                          # record | replay | record_missing | passthrough | once
///       strict: true
///       match: {headers: [X-Api-Version], ignore_query: [ts], ignore_json: [$.nonce], body: true}
///       redact: {headers: [X-Api-Key], query: [token], json: [$.card.number]}
///       ca_file: certs/private-ca.pem         # trust this CA (PEM) for an https upstream
///       tape_shared: true                     # 0644 instead of 0600
///       volatile_headers: [X-Request-Id]      # besides Date: kept as recorded before when nothing else changed
/// ```
package struct HTTPLinkSpec: Sendable {
    /// The tape file, absolute (resolved against the manifest's folder); nil when not given
    /// (only `passthrough` works without one).
    package var tape: String?
    /// A `tape:` with `${VAR}` placeholders, resolved into ``tape`` against the caller's
    /// environment when the run is planned; nil for a literal `tape:`.
    package var tapeTemplate: Template?
    /// The mode, `once` when not given (record when the tape does not exist, else replay).
    package var mode: TapeMode
    /// Fail the run on any miss or unused recorded exchange.
    package var strict: Bool
    /// `match.headers`.
    package var matchHeaders: [String] = []
    /// `match.ignore_query`.
    package var ignoreQuery: [String] = []
    /// `match.ignore_json`.
    package var ignoreJSON: [String] = []
    /// `match.body` (default true).
    package var matchBody = true
    /// `redact.headers`.
    package var redactHeaders: [String] = []
    /// `redact.query`.
    package var redactQuery: [String] = []
    /// `redact.json`.
    package var redactJSON: [String] = []
    /// `ca_file`, absolute (resolved against the manifest's folder): CA certificates (PEM)
    /// trusted for an https upstream instead of the system's roots; nil when not given.
    package var caFile: String?
    /// `tape_shared`: the tape is written 0644 (less the umask) instead of 0600.
    package var tapeShared = false
    /// `volatile_headers`: header names whose values change on every recording, besides `Date`.
    package var volatileHeaders: [String] = []
    /// Where the block is.
    package var location: SourceLocation

    /// Makes a spec.
    package init(tape: String?, mode: TapeMode = .once, strict: Bool = false, location: SourceLocation) {
        self.tape = tape
        self.mode = mode
        self.strict = strict
        self.location = location
    }

    /// The link's settings with `upstream`.
    package func settings(upstream: HTTPUpstreamURL) -> HTTPLinkOptions {
        HTTPLinkOptions(upstream: upstream, tape: tape, mode: mode, strict: strict, matchHeaders: matchHeaders,
                         ignoreQuery: ignoreQuery, ignoreJSON: ignoreJSON, matchBody: matchBody, redactHeaders: redactHeaders,
                         redactQuery: redactQuery, redactJSON: redactJSON, caFile: caFile,
                         tapeShared: tapeShared, volatileHeaders: volatileHeaders)
    }
}
