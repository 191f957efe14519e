import Foundation

/// The runtime's side of links (planned in ``EnvironmentPlan``): start after the target is
/// up, stop before it. The runtime knows links; `Links/` never reaches into drivers.
extension Environment {
    /// The link named `name` (from the manifest, or made by a Toxiproxy client), to add
    /// faults to or take down. Throws ``LinkError`` (`unknownLink`) listing the links there are.
    ///
    /// ```swift
    /// let link = try environment.link("app-db")
    /// try await link.with(.latency(.milliseconds(300))) { … }
    /// ```
    public nonisolated func link(_ name: String) throws -> Link {
        try links.link(named: name)
    }

    /// Throws when an HTTP link's tape fails the run — the check `testbed run` makes after
    /// teardown, and TestbedTesting's `.testbed` trait when it stops an environment: a
    /// `strict: true` tape that saw a request it had no answer for or kept a recorded exchange
    /// unused, or a tape that could not be written. Call it after ``stop()``: links report
    /// their tapes when they stop.
    ///
    /// ```swift
    /// await environment.stop()
    /// try await environment.checkTapes()
    /// ```
    /// Throws ``LinkError`` (`tapeFailed`) whose message is what `testbed run` prints: for each
    /// failing link, its name, its tape file and every miss and unused exchange (the reports
    /// themselves are in `links.tapeReports`); ``EnvironmentError`` (`stillRunning`) when the
    /// environment has not stopped.
    public func checkTapes() throws {
        guard phase == .stopped || phase == .idle else {
            throw EnvironmentError(.stillRunning, "checkTapes() was called while the environment runs: HTTP links "
                                   + "report their tapes when they stop", hint: "call it after await environment.stop()")
        }
        let failures = links.tapeReports.compactMap(\.failure)
        guard !failures.isEmpty else { return }
        throw LinkError(.tapeFailed, failures.joined(separator: "\n"))
    }

    /// Hands the plan's links to ``links``, to start once their targets are up (HTTP links to
    /// external URLs: before any service). An HTTP link's session is made now, in the plan's
    /// ``EnvironmentPlan/tapeMode``, so a tape that cannot be read stops the start before
    /// anything runs (the plan has refused a replay without its tape already).
    /// Throws ``EnvironmentError`` (`linkFailed`) for it.
    func planLinks(_ plan: EnvironmentPlan) throws {
        toxiproxyPort = plan.toxiproxyPort
        for link in plan.links {
            var session: HTTPLinkSession?
            if let http = link.http {
                do {
                    session = try HTTPLinkSession(name: link.name, settings: http, mode: plan.tapeMode, seed: link.seed)
                } catch {
                    let location = manifest.links.first { $0.name == link.name }.map { "\($0.http?.location ?? $0.location): " } ?? ""
                    throw EnvironmentError(.linkFailed, "\(location)\(error)", hint: "see docs/tapes.md, \"Modes\"")
                }
            }
            let upstream = link.http.map { LinkAddress(host: $0.upstream.host, port: $0.upstream.port) }
                ?? LinkAddress(host: "127.0.0.1", port: link.upstreamPort)
            links.plan(name: link.name, target: link.target, reservation: link.reservation, upstream: upstream,
                       faults: link.faults, seed: link.seed, http: session)
        }
    }

    /// Starts the HTTP links to external URLs (they front no service); called before any
    /// service starts.
    func startExternalLinks() async throws {
        do {
            try await links.start(fronting: nil)
        } catch {
            throw EnvironmentError(.linkFailed, "a link to an external URL cannot start: \(error)",
                                   hint: "another process may hold the link's port; run again")
        }
    }

    /// Starts the links in front of `service`; called once it is healthy, before its
    /// dependents are let go.
    func startLinks(fronting service: String) async throws {
        do {
            try await links.start(fronting: service)
        } catch {
            throw EnvironmentError(.linkFailed, service: service, "a link in front of '\(service)' cannot start: \(error)",
                                   hint: "another process may hold the link's port; run again")
        }
    }
}
