/// A proxy as Toxiproxy's API describes it: a link's name, addresses, state and faults.
public struct ProxyDescription: Codable, Sendable, Hashable {
    /// The link's name.
    public var name: String
    /// Where it listens, `127.0.0.1:PORT`.
    public var listen: String
    /// What it forwards to, `HOST:PORT`.
    public var upstream: String
    /// False while the link is down.
    public var enabled: Bool
    /// Its faults, upstream ones first, each direction in the order they were added.
    public var toxics: [Fault]

    /// Describes a proxy.
    public init(name: String, listen: String, upstream: String, enabled: Bool, toxics: [Fault]) {
        self.name = name
        self.listen = listen
        self.upstream = upstream
        self.enabled = enabled
        self.toxics = toxics
    }
}
