import Synchronization
import TestbedSystem
import TestbedModel

/// The links of one environment: those the manifest declares and those Toxiproxy clients
/// create while it runs. All of them stop with the environment.
///
/// Thread-safe. Listen ports come from the `PortAllocator` every run shares, and stay
/// locked while the link exists.
public final class LinkSet: Sendable {
    /// A proxy as Toxiproxy's `POST /proxies` and `/populate` describe it.
    package struct Options: Sendable, Hashable, Codable {
        /// The link's name.
        package var name: String
        /// `host:port` to listen on; the host must be a loopback address, port 0 picks one.
        package var listen: String
        /// `host:port` to forward to.
        package var upstream: String
        /// False creates the link down.
        package var enabled: Bool

        /// Makes the options of a link.
        package init(name: String, listen: String, upstream: String, enabled: Bool = true) {
            self.name = name
            self.listen = listen
            self.upstream = upstream
            self.enabled = enabled
        }
    }

    private struct Entry {
        var link: Link
        var reservation: PortReservation?
        /// The service a manifest link fronts; nil for links made at run time.
        var target: String?
    }

    /// A manifest link whose port is reserved, waiting for its target to be up, with the
    /// session of an HTTP link (made when planned, so a bad tape fails before anything runs).
    private struct Waiting {
        var link: PlannedLink
        var session: HTTPLinkSession?
    }

    private let entries = Mutex<[Entry]>([])
    private let reports = Mutex<[HTTPTapeReport]>([])
    private let planned = Mutex<[Waiting]>([])
    private let observer = Mutex<(@Sendable (LinkEvent) -> Void)?>(nil)
    private let allocator: PortAllocator
    /// Names a link may not take (the environment's services).
    private let reservedNames: Set<String>

    /// Makes an empty set; `reservedNames` (the environment's services) cannot be link names.
    package init(allocator: PortAllocator = PortAllocator(), reservedNames: Set<String> = []) {
        self.allocator = allocator
        self.reservedNames = reservedNames
    }

    /// Called after every change of every link (faults, down/up, created, deleted), on the
    /// thread that made the change. Set it before the links start to see their creation.
    package var onChange: (@Sendable (LinkEvent) -> Void)? {
        get { observer.withLock { $0 } }
        set { observer.withLock { $0 = newValue } }
    }

    /// What each HTTP link that stopped did with its tape (misses, unused exchanges, what
    /// was written), in the order they stopped; a report whose `HTTPTapeReport.failsRun`
    /// is true fails `testbed run`.
    public var tapeReports: [HTTPTapeReport] { reports.withLock { $0 } }

    /// Every link, in the order they were created.
    package var all: [Link] { entries.withLock { $0.map(\.link) } }

    /// The link named `name`; throws ``LinkError`` (`unknownLink`) listing the links there are.
    package func link(named name: String) throws -> Link {
        let links = all
        guard let link = links.first(where: { $0.name == name }) else {
            let known = links.map(\.name)
            throw LinkError(.unknownLink, "no link named '\(name)'"
                            + (known.isEmpty ? ": this environment has no links" : "; links: \(known.joined(separator: ", "))"))
        }
        return link
    }

    /// Creates a link and starts listening — Toxiproxy's `POST /proxies`.
    ///
    /// Throws ``LinkError``: `duplicate` for a name in use (by a link or a service),
    /// `invalidAddress` for a malformed address or a listen host that is not loopback,
    /// `bind` when the port is taken.
    @discardableResult
    package func create(_ options: Options, seed: UInt64? = nil) async throws -> Link {
        let listen = try LinkAddress(parsing: options.listen)
        let upstream = try LinkAddress(parsing: options.upstream)
        guard listen.isLoopback else {
            throw LinkError(.invalidAddress, "link '\(options.name)' cannot listen on \(listen): only loopback "
                            + "addresses (127.0.0.1, ::1, localhost) are allowed")
        }
        let reservation: PortReservation
        do {
            reservation = listen.port == 0 ? try allocator.reserve() : try allocator.reserve(fixed: listen.port)
        } catch let error as PortError {
            throw LinkError(.bind, "link '\(options.name)' cannot listen on \(listen): \(error.message)")
        }
        let link = try await start(name: options.name, listen: LinkAddress(host: listen.host, port: reservation.port),
                                   upstream: upstream, reservation: reservation, faults: [], seed: seed)
        if !options.enabled { await link.down() }
        return link
    }

    /// Starts a link on a reserved port with its first faults (the manifest's links).
    /// The reservation's socket is released right before the bind; its lock is held until
    /// the link is deleted.
    @discardableResult
    func start(name: String, listen: LinkAddress, upstream: LinkAddress, reservation: PortReservation?,
               faults: [Fault], seed: UInt64?, target: String? = nil, http: HTTPLinkSession? = nil) async throws -> Link {
        try Self.checkName(name)
        guard !reservedNames.contains(name) else {
            throw LinkError(.duplicate, "'\(name)' is the name of a service of this environment: pick another link name")
        }
        let link = Link(name: name, listen: listen, upstream: upstream, seed: seed, http: http)
        for fault in faults { try link.add(fault) }
        let claimed = entries.withLock { entries in
            guard !entries.contains(where: { $0.link.name == name }) else { return false }
            entries.append(Entry(link: link, reservation: reservation, target: target))
            return true
        }
        guard claimed else {
            throw LinkError(.duplicate, "a link named '\(name)' exists already: delete it first or pick another name")
        }
        do {
            reservation?.releaseSocket()
            try await link.start()
        } catch {
            entries.withLock { $0.removeAll { $0.link === link } }
            reservation?.release()
            throw error
        }
        link.setObserver { [weak self] event in self?.onChange?(event) }
        onChange?(LinkEvent(link: name, action: .created))
        return link
    }

    /// Stops and removes the link `name`, releasing its port. Throws ``LinkError`` (`unknownLink`).
    package func delete(name: String) async throws {
        let link = try link(named: name)
        let entry = entries.withLock { entries in
            defer { entries.removeAll { $0.link === link } }
            return entries.first { $0.link === link }
        }
        await link.stop()
        if let report = link.http?.report { reports.withLock { $0.append(report) } }
        link.setObserver(nil)
        entry?.reservation?.release()
        onChange?(LinkEvent(link: name, action: .deleted))
    }

    /// Toxiproxy's `POST /reset`: every link up, every fault removed.
    package func reset() async throws {
        for link in all {
            link.clear()
            try await link.up()
        }
    }

    /// Toxiproxy's `POST /populate`: creates the links that are missing, re-creates those
    /// whose addresses differ, sets `enabled` on all; returns them in the order given.
    package func populate(_ links: [Options]) async throws -> [Link] {
        var result: [Link] = []
        for options in links {
            if let existing = try? link(named: options.name) {
                let listen = try LinkAddress(parsing: options.listen)
                let upstream = try LinkAddress(parsing: options.upstream)
                let sameListen = listen.port == 0 || listen == existing.listen
                if sameListen && upstream == existing.upstream {
                    try await existing.setEnabled(options.enabled)
                    result.append(existing)
                    continue
                }
                try await delete(name: options.name)
            }
            result.append(try await create(options))
        }
        return result
    }

    /// Deletes every link, the newest first, and drops the planned ones.
    package func deleteAll() async {
        for link in all.reversed() { try? await delete(name: link.name) }
        for waiting in planned.withLock({ list in defer { list = [] }; return list }) {
            waiting.link.reservation.release()
            await waiting.session?.close()
        }
    }

    /// Records a manifest link: its port is reserved already, it starts with
    /// ``start(fronting:)`` of its target (nil: before any service). An HTTP link's session
    /// is made now, in `tapeMode` when given (else the link's own mode): it throws for a
    /// replay without its tape or a tape that cannot be read.
    package func plan(_ link: PlannedLink, tapeMode: TapeMode?) throws {
        let session = try link.http.map { try HTTPLinkSession(name: link.name, settings: $0, mode: tapeMode, seed: link.seed) }
        planned.withLock { $0.append(Waiting(link: link, session: session)) }
    }

    /// Starts the planned links that front `service` (right after it is up, before its
    /// dependents); nil starts the HTTP links to external URLs.
    package func start(fronting service: String?) async throws {
        let due = planned.withLock { list in
            defer { list.removeAll { $0.link.target == service } }
            return list.filter { $0.link.target == service }
        }
        for waiting in due {
            let link = waiting.link
            try await start(name: link.name, listen: link.listen, upstream: link.upstream, reservation: link.reservation,
                            faults: link.faults, seed: link.seed, target: link.target, http: waiting.session)
        }
    }

    /// Deletes the links that front `service` (before it stops); nil: those made at run time.
    package func delete(fronting service: String?) async {
        let names = entries.withLock { $0.filter { $0.target == service }.map(\.link.name) }
        for name in names.reversed() { try? await delete(name: name) }
    }

    private static func checkName(_ name: String) throws {
        guard !name.isEmpty, name.count <= 200,
              name.allSatisfy({ $0.isLetter || $0.isNumber || "_-.".contains($0) })
        else {
            throw LinkError(.invalidName, "link name '\(name)' is not valid: use 1-200 letters, digits, '_', '-' or '.'")
        }
    }
}
