/// A link of an ``EnvironmentPlan``: a TCP proxy in front of a service's port, with its own
/// reserved loopback port and the values of what it fronts (host and port replaced).
///
/// The runtime starts it once its target is healthy, before the target's dependents, and
/// stops it before the target.
public struct PlannedLink: Sendable {
    /// The name `${name.key}` refers to (the manifest's key under `links:`).
    public var name: String
    /// The service it fronts; nil for an HTTP link to an external URL (it starts before any service).
    public var target: String?
    /// The loopback port it listens on, reserved until teardown.
    public var reservation: PortReservation
    /// The target's TCP port it forwards to, on 127.0.0.1.
    public var upstreamPort: Int
    /// Faults active from the start.
    public var faults: [Fault]
    /// The seed of its probabilistic faults, when the manifest sets one.
    public var seed: UInt64?
    /// What `${name.key}` resolves to: the target's values with the link's host and port.
    public var values: [String: String]
    /// The HTTP settings of an HTTP link (its upstream URL, tape, mode); nil for a TCP link.
    public var http: HTTPLinkSettings?
}
