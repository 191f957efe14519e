/// One compatibility check the manifest asks for (`verify:`): replay a consumer's tape
/// against a provider of the stack once it is healthy, and fail the run when the provider
/// no longer keeps the contract (see docs/tapes.md).
///
/// ```yaml
/// verify:
///   - tape: tapes/checkout-web.json    # relative to the manifest's folder
///     against: api                     # a service or link (its ${api.url}), or an http(s) URL template
///     ignore: ["$.id", "$.items[*].created_at"]   # quoted: [ ] * are YAML syntax in a flow list
///     values: false
///     learn: false
///     fail_on_new_fields: false
///     headers: {Authorization: "Bearer ${API_TOKEN}"}
///     timeout: 30s
/// ```
package struct VerifySpec: Sendable, Hashable {
    /// A header set on every replayed request, replacing a recorded one of the same name.
    package struct Header: Sendable, Hashable {
        /// The header's name.
        package var name: String
        /// Its value, resolved like every template once the stack is up.
        package var value: Template

        /// Makes the value from its fields.
        package init(name: String, value: Template) {
            self.name = name
            self.value = value
        }
    }

    /// The tape's path as written (resolve it with ``Manifest/resolvePath(_:)``).
    package var tape: String
    /// A service or link name, or an http(s) URL template (`${api.url}/v2`).
    package var against: Template
    /// JSON paths left out of the comparison (`--ignore`).
    package var ignore: [String] = []
    /// Compare values too (`--values`).
    package var values = false
    /// Replay twice and ignore what differs (`--learn`).
    package var learn = false
    /// New fields break the contract (`--fail-on-new-fields`).
    package var failOnNewFields = false
    /// Headers set on every request (`--header`).
    package var headers: [Header] = []
    /// How long one request may take (`--timeout`).
    package var timeout: Duration = .seconds(30)
    /// Where the entry is in the manifest.
    package var location: SourceLocation

    /// Makes a check of `tape` against `against`.
    package init(tape: String, against: Template, location: SourceLocation) {
        self.tape = tape
        self.against = against
        self.location = location
    }
}
