import TestbedSystem
import TestbedModel
/// A manifest link as the plan made it and the runtime starts it: a TCP proxy (or an HTTP
/// link) with its own reserved loopback port, what it forwards to, its first faults and the
/// values `${name.key}` resolves to.
///
/// One shape from the plan to ``LinkSet``: the plan makes it (``EnvironmentPlan/links``), the
/// runtime hands it to ``LinkSet/plan(_:tapeMode:)``, which starts it once its target is
/// healthy, before the target's dependents, and stops it before the target.
package struct PlannedLink: Sendable {
    /// The name `${name.key}` refers to (the manifest's key under `links:`).
    package var name: String
    /// The service it fronts; nil for an HTTP link to an external URL (it starts before any service).
    package var target: String?
    /// The loopback port it listens on, reserved until teardown.
    package var reservation: PortReservation
    /// Where it forwards to: the target's TCP port on 127.0.0.1, or an external URL's host and port.
    package var upstream: LinkAddress
    /// Faults active from the start.
    package var faults: [Fault]
    /// The seed of its probabilistic faults, when the manifest sets one.
    package var seed: UInt64?
    /// What `${name.key}` resolves to: the target's values with the link's host and port.
    package var values: [String: String]
    /// The HTTP settings of an HTTP link (its upstream URL, tape, mode); nil for a TCP link.
    package var http: HTTPLinkOptions?
    /// Where the link is declared (an HTTP link's `http:` block), for errors about its tape.
    package var location: SourceLocation

    /// Where clients connect: 127.0.0.1 at the reserved port.
    package var listen: LinkAddress { LinkAddress(host: "127.0.0.1", port: reservation.port) }

    /// Makes the value from its fields.
    package init(name: String, target: String? = nil, reservation: PortReservation, upstream: LinkAddress, faults: [Fault], seed: UInt64? = nil, values: [String: String], http: HTTPLinkOptions? = nil, location: SourceLocation) {
        self.name = name
        self.target = target
        self.reservation = reservation
        self.upstream = upstream
        self.faults = faults
        self.seed = seed
        self.values = values
        self.http = http
        self.location = location
    }
}
