/// A link the manifest declares: a TCP proxy with its own loopback port in front of a
/// service's port, and the faults active from the start — or, with an `http:` block
/// (``HTTPLinkSpec``), an HTTP link in front of a service or an external base URL.
///
/// ```yaml
/// links:
///   app-db: {to: db}                        # a postgres service's port
///   cache-link:
///     to: cache.ports.redis                 # a process's named port
///     seed: 7
///     faults:
///       - {type: latency, latency: 300, jitter: 50, stream: downstream, toxicity: 1, name: slow}
///   payments:
///     to: https://api.payments.example/v1   # an HTTP link (docs/tapes.md)
///     http: {tape: tapes/payments.json, strict: true}
/// ```
package struct LinkSpec: Sendable {
    /// The link's name: `${NAME.url}`, `environment.link("NAME")`, `testbed link NAME`.
    package var name: String
    /// The service the link fronts; empty for an HTTP link to an external ``url``.
    package var target: String
    /// The external base URL an HTTP link forwards to (`to: https://…`); nil for a service.
    package var url: HTTPUpstreamURL?
    /// An HTTP link's `to:` with `${VAR}` placeholders (`${PAYMENTS_URL:-https://…}`),
    /// resolved into ``url`` against the caller's environment when the run is planned
    /// (``Manifest/resolvingLinkVariables(environment:)``); nil for a literal `to:`.
    package var urlTemplate: Template?
    /// True for an HTTP link to an external base URL (literal or from `${VAR}`): it fronts no service.
    package var isExternal: Bool { url != nil || urlTemplate != nil }
    /// The `http:` block: present for an HTTP link.
    package var http: HTTPLinkSpec?
    /// The process port the link fronts (`to: svc.ports.NAME`); nil for a database's port.
    package var port: String?
    /// Faults active from the start, in stacking order.
    package var faults: [Fault]
    /// Seeds the random draws of the link's faults.
    package var seed: UInt64?
    /// Where the link is declared.
    package var location: SourceLocation
    /// Where its `to:` is, for errors about the target.
    package var targetLocation: SourceLocation

    /// Makes a link spec.
    package init(name: String, target: String, port: String? = nil, faults: [Fault] = [], seed: UInt64? = nil,
                location: SourceLocation, targetLocation: SourceLocation? = nil) {
        self.name = name
        self.target = target
        self.port = port
        self.faults = faults
        self.seed = seed
        self.location = location
        self.targetLocation = targetLocation ?? location
    }

    /// The port a link fronts on `target`: the one `to:` names, or a process's only port.
    static func portName(_ named: String?, of target: ServiceSpec) -> String? {
        if let named { return named }
        guard let process = target.process, process.ports.count == 1 else { return nil }
        return process.ports[0].name
    }
}
