import Foundation
import Synchronization
import Testbed
import TestbedModel

/// Prints an environment's events and its services' output: in a terminal, a live view
/// of the services while the stack starts; otherwise plain timestamped lines; one JSON
/// object per event (`--json`); or nothing but errors (`--quiet`). Honours NO_COLOR.
final class Console: Sendable {
    enum Mode { case plain, live, json, quiet }

    let mode: Mode
    let color: Bool
    let showOutput: Bool
    private let state = Mutex(State())

    private struct State {
        var events: [Event] = []
        var width = 8
        var services: [String] = []
        /// Lines of the live view drawn so far (to move the cursor back over them).
        var drawn = 0
        var liveDone = false
        /// Service output held while the live view is being redrawn.
        var held: [String] = []
    }

    init(options: OutputOptions, showOutput: Bool, services: [String]) {
        let environment = ProcessInfo.processInfo.environment
        let terminal = isatty(STDERR_FILENO) == 1 && environment["TERM"] != "dumb"
        mode = options.json ? .json : (options.quiet ? .quiet : (terminal && environment["CI"] == nil ? .live : .plain))
        color = terminal && environment["NO_COLOR"] == nil
        self.showOutput = showOutput && (mode == .plain || mode == .live)
        let width = max(8, services.map(\.count).max() ?? 0)
        state.withLock {
            $0.width = width
            $0.services = services
        }
        if mode == .live { startTicking() }
    }

    /// Redraws the live view every 100 ms so elapsed times move while a service is slow.
    private func startTicking() {
        Task { [weak self] in
            while let self, !self.state.withLock({ $0.liveDone }) {
                self.drawLive()
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    /// The live view: one line per service with its latest phase and elapsed time.
    private func drawLive(final: Bool = false) {
        let (text, done) = state.withLock { state -> (String, Bool) in
            if state.liveDone || state.events.isEmpty { return ("", true) }
            let now = state.events.last!.elapsed
            var lines: [String] = []
            for service in state.services {
                let own = state.events.filter { $0.service == service && $0.phase != .note }
                let last = own.last
                let phase = last?.progress?.activity.rawValue ?? last?.phase.rawValue ?? "pending"
                let since = own.first?.elapsed ?? now
                let until = (last?.phase == .healthy || last?.phase == .completed || last?.phase == .failed) ? last!.elapsed : now
                var line = "  \(paint(service.padded(to: state.width), "36")) \(paint(phase.padded(to: 9), last.map { code(for: $0.phase) } ?? "2"))"
                line += paint(String(format: " %6.0f ms", (until - since).milliseconds), "2")
                if var detail = own.last(where: { $0.detail != nil && $0.phase != .spawned })?.detail {
                    if detail.hasPrefix(phase + " ") { detail.removeFirst(phase.count + 1) }
                    line += " " + paint(detail, "2")
                }
                lines.append(line)
            }
            var text = state.drawn > 0 ? "\u{1B}[\(state.drawn)A" : ""
            text += lines.map { "\u{1B}[2K" + $0 + "\n" }.joined()
            state.drawn = lines.count
            if final { state.liveDone = true }
            return (text, false)
        }
        if !done { FileHandle.standardError.write(Data(text.utf8)) }
    }

    func event(_ event: Event) {
        let width = state.withLock { state in
            state.events.append(event)
            return state.width
        }
        switch mode {
        case .quiet:
            return
        case .json:
            var object: [String: Any] = ["phase": event.phase.rawValue, "ms": rounded(event.elapsed.milliseconds)]
            if let service = event.service { object["service"] = service }
            if let detail = event.detail { object["detail"] = detail }
            if let link = event.link { object["link"] = Self.record(link) }
            if let progress = event.progress { object["progress"] = Self.record(progress) }
            if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) {
                write(String(decoding: data, as: UTF8.self))
            }
        case .live:
            let live = state.withLock { !$0.liveDone }
            if event.phase == .ready || event.phase == .failed {
                drawLive(final: true)
                if event.phase == .ready { write(summary()) }
                for line in state.withLock({ state in defer { state.held = [] }; return state.held }) { write(line) }
            } else if live {
                // A note about the whole run (its run root on disk) waits below the live view.
                if event.service == nil && event.phase == .note, let detail = event.detail {
                    state.withLock { $0.held.append(paint("note: ", "33") + detail) }
                }
                drawLive()
            } else if event.phase == .failed {
                write(paint("\(event.service ?? "testbed") failed", "31;1") + (event.detail.map { ": " + $0 } ?? ""))
            } else if event.service == nil && event.phase == .stopped {
                write(paint(String(format: "torn down at %.0f ms", event.elapsed.milliseconds), "2"))
            } else if event.phase == .link {
                write(paint(String(format: "%7.0f ms", event.elapsed.milliseconds), "2") + " "
                      + paint("link \(event.service ?? "")", "36") + " " + (event.detail ?? ""))
            }
        case .plain:
            if event.phase == .ready { return write(summary()) }
            let time = String(format: "%7.0f ms", event.elapsed.milliseconds)
            let name = (event.service ?? "testbed").padded(to: width)
            // A progress line reads `api  waiting 12 s: GET /healthz → 404 (expected 200) (…)`.
            let phase = event.progress?.activity.rawValue ?? event.phase.rawValue
            var text = "\(paint(time, "2")) \(paint(name, "36")) \(paint(phase, code(for: event.phase)))"
            if var detail = event.detail, !detail.isEmpty {
                if detail.hasPrefix(phase + " ") { detail.removeFirst(phase.count + 1) }
                text += " \(paint(detail, "2"))"
            }
            write(text)
        }
    }

    /// A service's output line, prefixed `service |`.
    func output(service: String, line: String) {
        guard showOutput else { return }
        let text = state.withLock { state -> String? in
            let text = "\(paint(service.padded(to: state.width) + " |", "36")) \(line)"
            // While the live view redraws itself, output waits (up to 200 lines) below it.
            if mode == .live && !state.liveDone {
                if state.held.count < 200 { state.held.append(text) }
                return nil
            }
            return text
        }
        if let text { write(text) }
    }

    func error(_ text: String) {
        if mode == .json {
            if let data = try? JSONSerialization.data(withJSONObject: ["phase": "error", "detail": text], options: [.sortedKeys]) {
                write(String(decoding: data, as: UTF8.self))
            }
            return
        }
        write(paint("error: ", "31;1") + text)
    }

    /// An error that ended a start: a ``ManifestError`` prints as it is (each of its lines
    /// already says `FILE:LINE:COL: error:`), anything else after `error: `.
    func failure(_ error: Error) {
        guard let manifestError = error as? ManifestError, mode != .json else { return self.error("\(error)") }
        write(manifestError.description)
    }

    /// A line the user needs even with `--quiet` (where the logs were kept); with `--json`,
    /// `{"phase":"kept","detail":TEXT}`.
    func note(_ text: String) {
        guard mode == .json else { return write(text) }
        if let data = try? JSONSerialization.data(withJSONObject: ["phase": "kept", "detail": text], options: [.sortedKeys]) {
            write(String(decoding: data, as: UTF8.self))
        }
    }

    func info(_ text: String) {
        if mode == .plain { write(text) }
    }

    /// `shop ready in 182 ms — db 96 ms (seeded: cached), api 140 ms`
    func summary() -> String {
        let events = state.withLock { $0.events }
        let total = events.last { $0.phase == .ready }?.elapsed.milliseconds ?? 0
        let name = events.first { $0.service == nil && $0.phase == .starting }?.detail ?? "environment"
        var parts: [String] = []
        var seen: [String] = []
        for event in events { if let service = event.service, !seen.contains(service) { seen.append(service) } }
        for service in seen {
            let own = events.filter { $0.service == service }
            guard let done = own.last(where: { $0.phase == .healthy || $0.phase == .completed }) else { continue }
            var part = "\(service) \(Int(done.elapsed.milliseconds.rounded())) ms"
            if let seed = own.last(where: { $0.phase == .seeded })?.detail { part += " (\(seed))" }
            parts.append(part)
        }
        return paint("\(name) ready in \(Int(total.rounded())) ms", "32;1") + (parts.isEmpty ? "" : " — " + parts.joined(separator: ", "))
    }

    /// Every event so far as the `--report` JSON document.
    func writeReport(to path: String, environment: String) {
        let events = state.withLock { $0.events }
        var services: [String: [[String: Any]]] = [:]
        var links: [String: [[String: Any]]] = [:]
        var overall: [[String: Any]] = []
        for event in events {
            var entry: [String: Any] = ["phase": event.phase.rawValue, "ms": rounded(event.elapsed.milliseconds)]
            if let detail = event.detail { entry["detail"] = detail }
            if let link = event.link {
                links[link.link, default: []].append(Self.record(link).merging(["ms": entry["ms"]!]) { own, _ in own })
            } else if let service = event.service {
                services[service, default: []].append(entry)
            } else {
                overall.append(entry)
            }
        }
        var document: [String: Any] = ["environment": environment, "events": overall, "services": services]
        if !links.isEmpty { document["links"] = links }
        if let data = try? JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys]) {
            try? data.write(to: URL(fileURLWithPath: path))
        }
    }

    /// A link event as JSON: `{"action", "time", "fault"}`, the fault in Toxiproxy's shape.
    static func record(_ event: LinkEvent) -> [String: Any] {
        let format = ISO8601DateFormatter()
        format.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var record: [String: Any] = ["action": event.action.rawValue, "time": format.string(from: event.time)]
        if let detail = event.detail { record["detail"] = detail }
        if let fault = event.fault, let data = try? JSONEncoder().encode(fault),
           let object = try? JSONSerialization.jsonObject(with: data) {
            record["fault"] = object
        }
        return record
    }

    /// A progress report as JSON: `{"activity", "subject", "waited_s", "result", "limit_s", "limit"}`.
    static func record(_ progress: ServiceProgress) -> [String: Any] {
        var record: [String: Any] = [
            "activity": progress.activity.rawValue, "subject": progress.subject,
            "waited_s": (progress.waited.milliseconds / 100).rounded() / 10,
            "limit_s": (progress.limit.milliseconds / 100).rounded() / 10, "limit": progress.limitSetting,
        ]
        if let result = progress.lastResult { record["result"] = result }
        return record
    }

    private func rounded(_ value: Double) -> Double { (value * 10).rounded() / 10 }

    private func code(for phase: Event.Phase) -> String {
        switch phase {
        case .healthy, .completed, .ready: "32"
        case .failed: "31;1"
        case .seeding, .seeded: "35"
        case .progress: "33"
        case .stopping, .stopped: "33"
        default: "0"
        }
    }

    private func paint(_ text: String, _ code: String) -> String {
        color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }

    private func write(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
