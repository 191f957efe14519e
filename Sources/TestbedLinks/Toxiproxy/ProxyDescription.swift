import TestbedModel
/// A proxy as Toxiproxy's API describes it: a link's name, addresses, state and faults.
package struct ProxyDescription: Codable, Sendable, Hashable {
    /// The link's name.
    package var name: String
    /// Where it listens, `127.0.0.1:PORT`.
    package var listen: String
    /// What it forwards to, `HOST:PORT`.
    package var upstream: String
    /// False while the link is down.
    package var enabled: Bool
    /// Its faults, upstream ones first, each direction in the order they were added.
    package var toxics: [Fault]

    /// Describes a proxy.
    package init(name: String, listen: String, upstream: String, enabled: Bool, toxics: [Fault]) {
        self.name = name
        self.listen = listen
        self.upstream = upstream
        self.enabled = enabled
        self.toxics = toxics
    }
}
