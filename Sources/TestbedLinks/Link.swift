import Synchronization
import TestbedModel

/// One named TCP proxy in front of a service's port — Toxiproxy's "proxy": connections to
/// `listen` are forwarded to `upstream` through the link's `faults`.
///
/// Thread-safe; every change applies at once to the connections that are already open (an
/// idle pooled connection's next query sees new latency), not only to new ones. Get links
/// from ``LinkSet`` (an environment's links) rather than making them.
public final class Link: Sendable, CustomStringConvertible {
    /// The link's name, unique in its environment.
    package let name: String
    /// Seeds the random draws of every fault without a seed of its own, so a failing test
    /// replays the same way; nil draws a random seed.
    package let seed: UInt64?

    struct State {
        var listen: LinkAddress
        var upstream: LinkAddress
        var enabled = true
        var faults: [Fault] = []
        var observer: (@Sendable (LinkEvent) -> Void)?
    }

    let state: Mutex<State>
    /// Bumped on every change of faults or upstream; connections re-read the state when it moved.
    let generation = Atomic<UInt64>(0)
    let proxy: any LinkListener
    /// The HTTP side of an HTTP link (its tape, mode and upstream client); nil for a TCP link.
    package let http: HTTPLinkSession?

    init(name: String, listen: LinkAddress, upstream: LinkAddress, seed: UInt64?, http: HTTPLinkSession? = nil) {
        self.name = name
        self.seed = seed
        self.state = Mutex(State(listen: listen, upstream: upstream))
        self.http = http
        self.proxy = http.map { HTTPLinkProxy(session: $0) } ?? LinkProxy()
    }

    /// True for an HTTP link (it takes HTTP faults; a TCP link takes TCP faults).
    package var isHTTP: Bool { http != nil }

    /// Where clients connect (the bound port once the link is up).
    package var listen: LinkAddress { state.withLock { $0.listen } }
    /// Where the link forwards to.
    package var upstream: LinkAddress { state.withLock { $0.upstream } }
    /// False while the link is down (``down()``).
    package var enabled: Bool { state.withLock { $0.enabled } }
    /// The faults in force, in the order they stack.
    package var faults: [Fault] { state.withLock { $0.faults } }
    /// How many client connections are open through the link now.
    package var connectionCount: Int { proxy.connectionCount }

    /// The fault named `name`; throws ``LinkError`` (`unknownFault`).
    package func fault(named name: String) throws -> Fault {
        let faults = self.faults
        guard let fault = faults.first(where: { $0.name == name }) else { throw unknownFault(name, known: faults) }
        return fault
    }

    /// Adds `fault` on top of the others and applies it to open connections at once.
    ///
    /// Throws ``LinkError``: `invalidFault` for a bad attribute or toxicity, `duplicate` when
    /// the link already has a fault of that name.
    @discardableResult
    public func add(_ fault: Fault) throws -> Fault {
        try fault.validate()
        try checkKind(of: fault)
        try change { state in
            guard !state.faults.contains(where: { $0.name == fault.name }) else {
                throw LinkError(.duplicate, "link '\(name)' already has a fault named '\(fault.name)': remove it first or pick another name")
            }
            state.faults.append(fault)
            return LinkEvent(link: name, action: .faultAdded, fault: fault)
        }
        return fault
    }

    /// Merges `attributes` (Toxiproxy's names and units) and `text` (an HTTP fault's `method`,
    /// `path`, `body`, `header.NAME`) into the fault `name` and sets its toxicity when given;
    /// returns the new fault. Throws ``LinkError``, with the messages of ``add(_:)`` for a bad
    /// attribute (see ``Fault/updated(attributes:text:toxicity:)``).
    @discardableResult
    package func update(name faultName: String, attributes: [String: Int], text: [String: String] = [:],
                       toxicity: Double? = nil) throws -> Fault {
        try change { state in
            guard let index = state.faults.firstIndex(where: { $0.name == faultName }) else {
                throw unknownFault(faultName, known: state.faults)
            }
            state.faults[index] = try state.faults[index].updated(attributes: attributes, text: text, toxicity: toxicity)
            return LinkEvent(link: name, action: .faultUpdated, fault: state.faults[index])
        }
        return try fault(named: faultName)
    }

    /// Removes the fault `name`; throws ``LinkError`` (`unknownFault`).
    public func remove(name faultName: String) throws {
        try change { state in
            guard let index = state.faults.firstIndex(where: { $0.name == faultName }) else {
                throw unknownFault(faultName, known: state.faults)
            }
            return LinkEvent(link: name, action: .faultRemoved, fault: state.faults.remove(at: index))
        }
    }

    /// Removes every fault.
    public func clear() {
        let removed = state.withLock { state in
            defer { state.faults = [] }
            return state.faults
        }
        generation.add(1, ordering: .releasing)
        proxy.refresh()
        for fault in removed { emit(LinkEvent(link: name, action: .faultRemoved, fault: fault)) }
    }

    /// Runs `body` with `fault` added, and removes it when `body` returns or throws.
    /// Throws what ``add(_:)`` throws, then what `body` throws.
    public func with<T>(_ fault: Fault, _ body: () async throws -> T) async throws -> T {
        try add(fault)
        defer { try? remove(name: fault.name) }
        return try await body()
    }

    /// Takes the link down: the listener closes (new connections are refused) and every
    /// open connection is cut. Idempotent.
    public func down() async {
        let wasEnabled = state.withLock { state in
            defer { state.enabled = false }
            return state.enabled
        }
        await proxy.closeListener()
        await proxy.cutConnections()
        if wasEnabled { emit(LinkEvent(link: name, action: .down)) }
    }

    /// Brings the link back up on the same address. Idempotent.
    /// Throws ``LinkError`` (`bind`) when the address cannot be bound again.
    public func up() async throws {
        guard !enabled else { return }
        try await proxy.bind(listen, link: self)
        state.withLock { $0.enabled = true }
        emit(LinkEvent(link: name, action: .up))
    }

    /// Takes the link down or up (Toxiproxy's `enabled`).
    package func setEnabled(_ enabled: Bool) async throws {
        if enabled { try await up() } else { await down() }
    }

    /// Points the link at another upstream; connections opened from now on go there.
    package func setUpstream(_ upstream: LinkAddress) {
        state.withLock { $0.upstream = upstream }
    }

    /// `NAME listen → upstream`.
    public var description: String { "\(name) \(listen) → \(upstream)" }

    // MARK: - Internals

    /// Throws ``LinkError`` (`invalidFault`) for an HTTP fault on a TCP link or a TCP fault
    /// on an HTTP link.
    func checkKind(of fault: Fault) throws {
        guard fault.kind.isHTTP != isHTTP else { return }
        if isHTTP {
            throw LinkError(.invalidFault, "link '\(name)' is an HTTP link: fault '\(fault.name)' (\(fault.type)) is a TCP fault; "
                            + "HTTP links take \(HTTPFault.types.joined(separator: ", ")) (see docs/tapes.md, \"HTTP faults\")")
        }
        throw LinkError(.invalidFault, "link '\(name)' is a TCP link: fault '\(fault.name)' (\(fault.type)) needs an HTTP link "
                        + "(a link with an 'http:' block); TCP links take \(Fault.Kind.types.joined(separator: ", "))")
    }

    private func unknownFault(_ faultName: String, known faults: [Fault]) -> LinkError {
        let known = faults.map(\.name)
        return LinkError(.unknownFault, "link '\(name)' has no fault named '\(faultName)'"
                         + (known.isEmpty ? " (it has no faults)" : "; its faults: \(known.joined(separator: ", "))"))
    }

    private func change(_ body: (inout State) throws -> LinkEvent) throws {
        let event = try state.withLock { try body(&$0) }
        generation.add(1, ordering: .releasing)
        proxy.refresh()
        emit(event)
    }

    func emit(_ event: LinkEvent) {
        state.withLock { $0.observer }?(event)
    }

    func setObserver(_ observer: (@Sendable (LinkEvent) -> Void)?) {
        state.withLock { $0.observer = observer }
    }

    /// Binds the listener (the port chosen by the kernel replaces a 0 in ``listen``).
    func start() async throws {
        try await proxy.bind(listen, link: self)
    }

    /// Closes the listener and every connection, for good; an HTTP link then writes its tape
    /// and reports what it did with it.
    func stop() async {
        state.withLock { $0.enabled = false }
        await proxy.closeListener()
        await proxy.cutConnections()
        await proxy.finish(link: self)
    }
}
