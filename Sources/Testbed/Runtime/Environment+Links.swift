import Foundation
import TestbedSystem
import TestbedModel
import TestbedLinks

/// The runtime's side of links (planned in ``EnvironmentPlan``): start after the target is
/// up, stop before it. The runtime knows links; `Links/` never reaches into drivers.
extension Environment {
    /// The link named `name` (from the manifest, or made by a Toxiproxy client), to add
    /// faults to or take down. Throws `LinkError` (`unknownLink`) listing the links there are.
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
    /// Throws `LinkError` (`tapeFailed`) whose message is what `testbed run` prints: for each
    /// failing link, its name, its tape file and every miss and unused exchange (the reports
    /// themselves are in `links.tapeReports`); ``EnvironmentError`` (`stillRunning`) when the
    /// environment has not stopped.
    public func checkTapes() throws {
        guard machine.isAtRest else {
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
    func planLinks(_ plan: EnvironmentPlan) async throws {
        let links = self.links, mode = plan.tapeMode
        for link in plan.links {
            do {
                // Reads the tape (and a CA file) of an HTTP link: on a blocking-work thread.
                try await BlockingWork.run { Result { try links.plan(link, tapeMode: mode) } }.get()
            } catch {
                throw EnvironmentError(.linkFailed, "\(link.location): \(error)", hint: "see docs/tapes.md, \"Modes\"")
            }
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
