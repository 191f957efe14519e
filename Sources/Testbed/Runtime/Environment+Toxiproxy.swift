import Foundation
import TestbedSystem
import TestbedModel
import TestbedLinks

/// The runtime's side of the Toxiproxy endpoint and of link events: the endpoint's port is
/// reserved by the plan (its URL is a value and an export before anything starts), it
/// serves from before the first service starts, and it stops before any link does.
extension Environment {
    /// The endpoint's port, reserved by the plan; nil before planning and when the run has none.
    var toxiproxyPort: PortReservation? { plan?.toxiproxyPort }

    /// Hands link changes to ``Options/onEvent`` and starts the endpoint when the run has one.
    /// Throws ``EnvironmentError`` (`linkFailed`) when it cannot listen.
    func startToxiproxy() async throws {
        let onEvent = options.onEvent, start = startInstant, links = links
        links.onChange = { change in
            guard let onEvent else { return }
            let elapsed = ContinuousClock().now - start
            onEvent(Event(change, elapsed: elapsed))
            // Faults a manifest link starts with are recorded as added when it starts.
            if change.action == .created, let link = try? links.link(named: change.link) {
                for fault in link.faults {
                    onEvent(Event(LinkEvent(link: change.link, action: .faultAdded, fault: fault, time: change.time), elapsed: elapsed))
                }
            }
        }
        guard let reservation = toxiproxyPort else { return }
        do {
            toxiproxy = try await ToxiproxyServer.start(links: links, port: reservation)
        } catch {
            throw EnvironmentError(.linkFailed, "the Toxiproxy endpoint cannot start: \(error)", hint: "run again; another process may hold its port")
        }
    }

    /// Stops the endpoint (no client may create links from here on) and releases its port.
    func stopToxiproxy() async {
        await toxiproxy?.stop()
        toxiproxy = nil
        toxiproxyPort?.release()
    }
}

extension Event {
    /// A `link` event: service is the link's name, detail says what happened in words.
    init(_ change: LinkEvent, elapsed: Duration) {
        let detail = change.action.rawValue + (change.fault.map { " " + $0.summary } ?? "") + (change.detail.map { " " + $0 } ?? "")
        self.init(service: change.link, phase: .link, elapsed: elapsed, detail: detail, link: change)
    }
}

extension Fault {
    /// `latency_downstream: latency latency=300 jitter=50 (downstream, toxicity 0.5)`;
    /// `http_status: http_status method=POST path=/charges status=503 (toxicity 0.5)`.
    package var summary: String {
        let settings = (attributes.map { ($0.key, String($0.value)) } + text.map { ($0.key, $0.value) })
            .sorted { $0.0 < $1.0 }.map { "\($0.0)=\($0.1)" }.joined(separator: " ")
        var text = "\(name): \(type)" + (settings.isEmpty ? "" : " " + settings) + " (" + (kind.isHTTP ? "" : stream.rawValue)
        if toxicity < 1 { text += (text.hasSuffix("(") ? "" : ", ") + "toxicity \(toxicity)" }
        if let seed { text += (text.hasSuffix("(") ? "" : ", ") + "seed \(seed)" }
        if text.hasSuffix(" (") { return String(text.dropLast(2)) }
        return text + ")"
    }
}
