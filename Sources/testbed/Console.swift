import Foundation
import Synchronization
import Testbed

/// Prints an environment's events and its services' output: plain timestamped lines,
/// one JSON object per event (`--json`), or nothing but errors (`--quiet`). Honours NO_COLOR.
final class Console: Sendable {
    enum Mode { case plain, json, quiet }

    let mode: Mode
    let color: Bool
    let showOutput: Bool
    private let state = Mutex(State())

    private struct State {
        var events: [Event] = []
        var width = 8
    }

    init(options: OutputOptions, showOutput: Bool, services: [String]) {
        mode = options.json ? .json : (options.quiet ? .quiet : .plain)
        let environment = ProcessInfo.processInfo.environment
        color = isatty(STDERR_FILENO) == 1 && environment["NO_COLOR"] == nil && environment["TERM"] != "dumb"
        self.showOutput = showOutput && mode == .plain
        let width = max(8, services.map(\.count).max() ?? 0)
        state.withLock { $0.width = width }
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
            if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) {
                write(String(decoding: data, as: UTF8.self))
            }
        case .plain:
            if event.phase == .ready { return write(summary()) }
            let time = String(format: "%7.0f ms", event.elapsed.milliseconds)
            let name = (event.service ?? "testbed").padding(toLength: width, withPad: " ", startingAt: 0)
            let phase = event.phase.rawValue
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
        let width = state.withLock { $0.width }
        write("\(paint(service.padding(toLength: width, withPad: " ", startingAt: 0) + " |", "36")) \(line)")
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
        var overall: [[String: Any]] = []
        for event in events {
            var entry: [String: Any] = ["phase": event.phase.rawValue, "ms": rounded(event.elapsed.milliseconds)]
            if let detail = event.detail { entry["detail"] = detail }
            if let service = event.service { services[service, default: []].append(entry) } else { overall.append(entry) }
        }
        let document: [String: Any] = ["environment": environment, "events": overall, "services": services]
        if let data = try? JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys]) {
            try? data.write(to: URL(fileURLWithPath: path))
        }
    }

    private func rounded(_ value: Double) -> Double { (value * 10).rounded() / 10 }

    private func code(for phase: Event.Phase) -> String {
        switch phase {
        case .healthy, .completed, .ready: "32"
        case .failed: "31;1"
        case .seeding, .seeded: "35"
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
