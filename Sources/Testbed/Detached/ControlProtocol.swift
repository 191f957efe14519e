import Foundation

/// One request to the supervisor of a detached environment, sent as one JSON line on its
/// control socket (`{"request":"reset","service":"db"}`).
package struct ControlRequest: Codable, Sendable, Equatable {
    /// What is asked.
    package enum Kind: String, Codable, Sendable {
        /// Every service's state, pid and values, and the environment's own details.
        case status
        /// The exports.
        case env
        /// Put ``ControlRequest/service`` back to its seeded state.
        case reset
        /// Tear the environment down (acknowledged at once; the supervisor then exits).
        case down
    }

    /// What is asked.
    package var request: Kind
    /// The service concerned (for `reset`).
    package var service: String?

    /// Makes a request; `service` only for ``Kind/reset``.
    package init(_ request: Kind, service: String? = nil) {
        self.request = request
        self.service = service
    }

    /// `status`, `env`, `down`, `reset SERVICE`: for messages.
    package var summary: String { request.rawValue + (service.map { " " + $0 } ?? "") }
}

/// The supervisor's answer to a ``ControlRequest``: one JSON line, fields present only for
/// the requests that fill them. `testbed status --json` prints it as it is.
package struct ControlResponse: Codable, Sendable {
    /// False when the request failed; ``error`` says why.
    package var ok: Bool
    /// Why the request failed.
    package var error: String?
    /// `status`: the environment's name.
    package var name: String?
    /// `status`: the manifest's path.
    package var manifest: String?
    /// `status`: the run directory.
    package var runDirectory: String?
    /// `status`: the supervisor's pid.
    package var pid: Int32?
    /// `status`: when the environment started, in seconds since 1970.
    package var startedAt: Double?
    /// `status`: when the lease ends, in seconds since 1970.
    package var expiresAt: Double?
    /// `status`: every service, in manifest order.
    package var services: [ServiceStatus]?
    /// `env`: the exports.
    package var exports: [String: String]?
    /// `reset`: how the reset went when not the usual way (`re-cloned by reflink`).
    package var detail: String?

    /// A success with nothing else to say.
    package static let done = ControlResponse(ok: true)

    /// A failure saying why.
    package static func failure(_ message: String) -> ControlResponse { ControlResponse(ok: false, error: message) }

    /// Makes a response; every field but `ok` is optional.
    package init(ok: Bool, error: String? = nil, exports: [String: String]? = nil) {
        self.ok = ok
        self.error = error
        self.exports = exports
    }

    /// The `status` answer for `run`, whose services are `services`.
    package init(status run: DetachedRun, services: [ServiceStatus]) {
        self.ok = true
        self.name = run.name
        self.manifest = run.manifest
        self.runDirectory = run.runDirectory
        self.pid = run.pid
        self.startedAt = run.startedAt
        self.expiresAt = run.expiresAt
        self.services = services
    }
}

/// The one line a supervisor writes to `up -d` once the start is decided.
package struct SupervisorReport: Codable, Sendable, Equatable {
    /// True when every service is healthy.
    package var ready: Bool
    /// Why the start failed (the supervisor printed the details on the terminal).
    package var error: String?
    /// The exports, when ready.
    package var exports: [String: String]?
    /// The run directory, when ready.
    package var runDirectory: String?

    /// Makes a report.
    package init(ready: Bool, error: String? = nil, exports: [String: String]? = nil, runDirectory: String? = nil) {
        self.ready = ready
        self.error = error
        self.exports = exports
        self.runDirectory = runDirectory
    }
}

extension Environment {
    /// Answers the requests a detached environment serves itself (`status`, `env`, `reset`);
    /// `down` is the supervisor's to act on, so it is answered only with an acknowledgement.
    package func answer(_ request: ControlRequest, for run: DetachedRun) async -> ControlResponse {
        switch request.request {
        case .status:
            return ControlResponse(status: run, services: statuses())
        case .env:
            return ControlResponse(ok: true, exports: exports)
        case .reset:
            guard let service = request.service else { return .failure("reset needs a service") }
            do {
                var response = ControlResponse.done
                response.detail = try await resetDatabase(service)
                return response
            } catch {
                return .failure("\(error)")
            }
        case .down:
            return .done
        }
    }
}
