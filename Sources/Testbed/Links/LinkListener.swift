/// The networking behind a ``Link``: a TCP proxy (``LinkProxy``) or an HTTP proxy
/// (``HTTPLinkProxy``). ``Link`` drives either through this.
protocol LinkListener: Sendable {
    /// How many client connections are open.
    var connectionCount: Int { get }
    /// Binds `address` and starts accepting for `link`; a port 0 becomes the bound port in
    /// the link's listen address. Throws ``LinkError`` (`bind`).
    func bind(_ address: LinkAddress, link: Link) async throws
    /// Closes the listener, if one is open.
    func closeListener() async
    /// Closes every open connection and returns once they are closed.
    func cutConnections() async
    /// Makes open connections re-read the link's faults now.
    func refresh()
    /// Called once when the link stops for good, after its connections are closed.
    func finish(link: Link) async
}

extension LinkProxy: LinkListener {
    func finish(link: Link) async {}
}
