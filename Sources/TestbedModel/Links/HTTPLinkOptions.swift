/// How an HTTP link works: where it forwards, its tape and mode, how requests are matched
/// against the tape and what is redacted before the tape reaches disk.
///
/// The manifest's `http:` block of a link (docs/manifest.md, "links"); a link with these
/// settings speaks HTTP/1.1 to its clients instead of forwarding bytes.
package struct HTTPLinkOptions: Sendable, Hashable {
    /// Where requests go (a service's port or an external base URL).
    package var upstream: HTTPUpstreamURL
    /// The tape file (an absolute path); nil only for `passthrough`.
    package var tape: String?
    /// The mode the manifest asks for (before `TESTBED_TAPES` / `--tapes`).
    package var mode: TapeMode
    /// Fail the run when a request had no recorded answer or a recorded exchange was never used.
    package var strict: Bool
    /// Header names compared too when matching (case-insensitive).
    package var matchHeaders: [String]
    /// Query parameters left out of the comparison.
    package var ignoreQuery: [String]
    /// JSON paths left out of the body comparison (`$.nonce`, `$.items[*].id`).
    package var ignoreJSON: [String]
    /// Compare bodies at all.
    package var matchBody: Bool
    /// Headers redacted on top of the defaults (Authorization, Cookie, Set-Cookie, Proxy-Authorization).
    package var redactHeaders: [String]
    /// Query parameters redacted.
    package var redactQuery: [String]
    /// JSON paths redacted in request and response bodies.
    package var redactJSON: [String]
    /// A PEM file of CA certificates the upstream client trusts instead of the system's
    /// roots (an absolute path); nil for the system's. Host names are still verified.
    package var caFile: String?
    /// Write the tape readable by every local account (0644 less the umask) instead of this
    /// account alone (0600): for a team whose tapes another account commits or reads.
    package var tapeShared: Bool
    /// Header names whose values change on every recording (on top of `Date`): a new
    /// recording that differs from the previous tape only there keeps the previous exchange
    /// (``TapeVolatility``).
    package var volatileHeaders: [String]

    /// Makes settings; by default the mode is `once`, nothing is strict, matching and
    /// redaction take tapes' defaults.
    package init(upstream: HTTPUpstreamURL, tape: String?, mode: TapeMode = .once, strict: Bool = false,
                matchHeaders: [String] = [], ignoreQuery: [String] = [], ignoreJSON: [String] = [], matchBody: Bool = true,
                redactHeaders: [String] = [], redactQuery: [String] = [], redactJSON: [String] = [],
                caFile: String? = nil, tapeShared: Bool = false, volatileHeaders: [String] = []) {
        self.upstream = upstream
        self.tape = tape
        self.mode = mode
        self.strict = strict
        self.matchHeaders = matchHeaders
        self.ignoreQuery = ignoreQuery
        self.ignoreJSON = ignoreJSON
        self.matchBody = matchBody
        self.redactHeaders = redactHeaders
        self.redactQuery = redactQuery
        self.redactJSON = redactJSON
        self.caFile = caFile
        self.tapeShared = tapeShared
        self.volatileHeaders = volatileHeaders
    }
}
