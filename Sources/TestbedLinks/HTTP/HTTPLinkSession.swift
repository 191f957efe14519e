import Foundation
import NIOCore
import NIOHTTP1
import Synchronization
import TestbedSystem
import TestbedModel
import TestbedTapes

/// The HTTP side of one HTTP link: for each request, its faults, then the tape or the
/// upstream according to the mode; at teardown, the tape written and the misses reported.
///
/// Thread-safe: requests of every connection arrive here concurrently.
package final class HTTPLinkSession: Sendable {
    /// The status a replay answers when the tape has no recorded answer for a request. No
    /// real server sends it (599 is unassigned; clients read it as a server error, never as
    /// a success); the reason phrase and the `X-Testbed-Tape: miss` header say what it is,
    /// and the body names the closest recorded request and how it differs.
    package static let missStatus = 599
    /// The reason phrase of ``missStatus``.
    package static let missReason = "Tape Miss"
    /// The status the link answers when the upstream cannot be reached or fails.
    package static let upstreamFailureStatus = 502

    /// The link's name (for messages).
    package let name: String
    /// The settings the manifest (or the Swift API) gave.
    package let settings: HTTPLinkOptions
    /// The mode this run uses: the manifest's, overridden by `TESTBED_TAPES` / `--tapes`,
    /// with `once` resolved.
    package let mode: TapeMode

    let upstream: HTTPUpstream?
    let deck: HTTPTapeDeck?
    private let random: Mutex<LinkRandom>
    private let finished = Mutex<HTTPTapeReport?>(nil)

    /// Makes the session: loads the tape when the mode reads it, makes the upstream client
    /// when the mode forwards. Throws ``LinkError`` (`tape`) for a tape that cannot be read
    /// (the message names the file and line). A replay whose tape does not exist is refused
    /// when the run is planned (``EnvironmentPlan``), at the link's manifest line; a session
    /// made without that check answers every request as a miss.
    package init(name: String, settings: HTTPLinkOptions, mode override: TapeMode? = nil, seed: UInt64? = nil) throws {
        self.name = name
        self.settings = settings
        // A link without a tape only forwards, whatever the run asks of the others.
        let asked = settings.tape == nil ? .passthrough : (override ?? settings.mode)
        let tapeExists = settings.tape.map { FileManager.default.fileExists(atPath: $0) } ?? false
        let mode = asked.resolved(tapeExists: tapeExists)
        self.mode = mode
        if mode != .passthrough, let tape = settings.tape {
            deck = try HTTPTapeDeck(link: name, path: tape, settings: settings, load: mode.readsTape && tapeExists,
                                    writes: mode.writesTape)
        } else {
            deck = nil
        }
        if mode.forwards {
            do {
                upstream = try HTTPUpstream(base: settings.upstream, group: LinkProxy.eventLoopGroup, caFile: settings.caFile)
            } catch let error as LinkError {
                throw LinkError(error.code, "link '\(name)': \(error.message)")
            } catch {
                throw LinkError(.invalidAddress, "link '\(name)': ca_file \(settings.caFile ?? ""): cannot load its CA "
                                + "certificates (\(error)); give a readable PEM file")
            }
        } else {
            upstream = nil
        }
        random = Mutex(LinkRandom(seed: seed ?? UInt64.random(in: .min ... .max), stream: 0))
    }

    /// What the link did with its tape, once it stopped; nil before.
    package var report: HTTPTapeReport? { finished.withLock { $0 } }

    /// What the link's faults do to one request, drawn once: the delay, the cut, and the
    /// answer of a status fault (the first that hits ends the list).
    struct FaultPlan: Sendable {
        var delay = Duration.zero
        var cutAfter: Int?
        var answer: HTTPLinkAnswer?
    }

    /// What comes after the faults: an answer known at once (a fault's, the tape's hit, a
    /// replay miss), or a trip to the upstream.
    enum Step: Sendable {
        case answer(HTTPLinkAnswer)
        case forward
    }

    /// Draws the link's HTTP faults that match `request`, in stacking order.
    func faultPlan(for request: HTTPLinkRequest, link: Link) -> FaultPlan {
        var plan = FaultPlan()
        for fault in link.faults {
            guard case .http(let http) = fault.kind, http.matches(method: request.method.rawValue, target: request.target),
                  draw(fault.toxicity)
            else { continue }
            switch http.action {
            case .latency(let latency, let jitter):
                var extra = latency
                if jitter > .zero {
                    let spread = Double(jitter.wholeNanoseconds)
                    extra += .nanoseconds(Int64((random.withLock { $0.unit() } * 2 - 1) * spread))
                }
                plan.delay += max(.zero, extra)
            case .cutBody(let bytes):
                plan.cutAfter = min(plan.cutAfter ?? bytes, bytes)
            case .status(let status, let body, let headers):
                plan.answer = .own(status, body: body, headers: headers)
                return plan
            case .expiredToken:
                plan.answer = Self.expiredToken
                return plan
            }
        }
        return plan
    }

    /// The step after the faults, without waiting: the fault's answer, else the tape's (in
    /// the modes that read it), else the upstream. Asks the tape once per request.
    func step(for request: HTTPLinkRequest, plan: FaultPlan, link: Link) -> Step {
        if var answer = plan.answer ?? tapeAnswer(request, link: link) {
            if let cut = plan.cutAfter { answer.cutAfter = cut }
            return .answer(answer)
        }
        return .forward
    }

    /// Answers one request whose answer needs waiting (latency) or the upstream.
    func answer(_ request: HTTPLinkRequest, plan: FaultPlan, step: Step, link: Link) async -> HTTPLinkAnswer {
        if plan.delay > .zero { try? await Task.sleep(for: plan.delay) }
        if case .answer(let answer) = step { return answer }
        var answer = await forward(request)
        if let cut = plan.cutAfter { answer.cutAfter = cut }
        return answer
    }

    /// Answers one request from start to end (faults, tape, upstream); the handler uses the
    /// steps above to skip a hop to the concurrency pool when nothing needs waiting.
    func answer(_ request: HTTPLinkRequest, link: Link) async -> HTTPLinkAnswer {
        let plan = faultPlan(for: request, link: link)
        return await answer(request, plan: plan, step: step(for: request, plan: plan, link: link), link: link)
    }

    /// The tape's answer in the modes that read it: a hit, or in replay the miss answer
    /// (reported as a `tape-miss` event); nil when the upstream must answer.
    private func tapeAnswer(_ request: HTTPLinkRequest, link: Link) -> HTTPLinkAnswer? {
        guard let deck, mode.readsTape else { return nil }
        switch deck.answer(for: request.tapeRequest) {
        case .hit(let response):
            return .replay(response, method: request.method)
        case .miss(let miss):
            guard mode == .replay else { return nil }
            link.emit(LinkEvent(link: name, action: .tapeMiss, detail: miss.description))
            return .own(Self.missStatus, reason: Self.missReason,
                        body: "testbed: link '\(name)' (replay) has no recorded answer for this request.\n\n\(miss.description)\n",
                        headers: [TapeHeader("X-Testbed-Tape", "miss")])
        }
    }

    /// The upstream's answer (recorded in the modes that write the tape).
    private func forward(_ request: HTTPLinkRequest) async -> HTTPLinkAnswer {
        guard let upstream else {
            return .own(Self.upstreamFailureStatus, body: "testbed: link '\(name)' does not forward in mode \(mode.rawValue)\n")
        }
        let started = ContinuousClock.now
        let recordedAt = Date()
        let response: HTTPUpstream.Response
        do {
            response = try await upstream.forward(method: request.method, target: request.target, headers: request.headers,
                                                  body: request.body)
        } catch {
            return .own(Self.upstreamFailureStatus, reason: "Bad Gateway",
                        body: "testbed: link '\(name)' cannot reach its upstream \(settings.upstream): \(error)\n",
                        headers: [TapeHeader("X-Testbed-Link", "upstream-failed")])
        }
        if let deck, mode.writesTape {
            deck.record(TapeExchange(request: request.tapeRequest, response: response.tapeResponse, recordedAt: recordedAt,
                                     duration: ContinuousClock.now - started))
        }
        return .forwarded(response, method: request.method)
    }

    /// `replayed 3 of 3 exchanges (5 requests) from PATH`: the `tape-replayed` event's detail.
    static func replayedText(_ report: HTTPTapeReport, path: String) -> String {
        let loaded = report.loaded ?? 0, answered = report.answered ?? 0
        return "replayed \(report.replayed ?? 0) of \(loaded) exchange\(loaded == 1 ? "" : "s") "
            + "(\(answered) request\(answered == 1 ? "" : "s") answered) from \(path)"
    }

    /// `recorded 3 exchanges → PATH`, with the redaction rules that matched nothing and a
    /// warning for credential-like headers written in clear: the `tape-written` event's detail.
    static func writtenText(_ report: HTTPTapeReport, path: String, unusedRules: [String]) -> String {
        let recorded = report.recorded ?? 0, written = report.written ?? 0
        var text = "recorded \(recorded) " + (report.mode == .recordMissing ? "new " : "")
            + "exchange\(recorded == 1 ? "" : "s")"
            + (report.mode == .recordMissing ? " (\(written) on the tape)" : "") + " → \(path)"
        if !unusedRules.isEmpty { text += "; redaction rules that matched nothing: \(unusedRules.joined(separator: ", "))" }
        if !report.credentialsInClear.isEmpty {
            let names = report.credentialsInClear
            text += "; warning: header\(names.count == 1 ? "" : "s") that look\(names.count == 1 ? "s" : "") like a credential "
                + "reached the tape in clear: \(names.joined(separator: ", ")) (add \(names.count == 1 ? "it" : "them") to "
                + "'redact: {headers: [...]}' and record again)"
        }
        return text
    }

    private func draw(_ toxicity: Double) -> Bool {
        if toxicity >= 1 { return true }
        if toxicity <= 0 { return false }
        return random.withLock { $0.unit() } < toxicity
    }

    /// RFC 6750's answer to an expired bearer token.
    static let expiredToken = HTTPLinkAnswer.own(
        401, body: #"{"error":"invalid_token","error_description":"The access token expired"}"#,
        contentType: "application/json",
        headers: [TapeHeader("WWW-Authenticate", #"Bearer error="invalid_token", error_description="The access token expired""#)])

    /// Closes the upstream client of a session whose link never started (nothing is written).
    func close() async {
        await upstream?.shutdown()
    }

    /// Closes the upstream client, writes the tape (record, record_missing) and reports
    /// unused exchanges and the strict verdict as link events. Runs once; later calls
    /// return the first report.
    @discardableResult
    func finish(link: Link) async -> HTTPTapeReport {
        if let done = report { return done }
        await upstream?.shutdown()
        var report = HTTPTapeReport(link: name, tape: settings.tape, mode: mode, strict: settings.strict)
        if let deck {
            if mode == .replay { report.misses = deck.misses }  // record_missing forwards and records its misses
            if mode.readsTape {
                report.unused = deck.unusedDescriptions
                report.loaded = deck.loaded
                report.replayed = deck.replayed
                report.answered = deck.answered
                link.emit(LinkEvent(link: name, action: .tapeReplayed, detail: Self.replayedText(report, path: deck.path)))
            }
            for unused in report.unused {
                link.emit(LinkEvent(link: name, action: .tapeUnused, detail: unused))
            }
            if mode.writesTape {
                report.recorded = deck.recorded
                do {
                    // Writes and flushes the file: on a blocking-work thread, never a link's loop.
                    let written = try await BlockingWork.run { Result { try deck.write() } }.get()
                    report.written = written.count
                    report.credentialsInClear = written.credentialsInClear
                    link.emit(LinkEvent(link: name, action: .tapeWritten,
                                        detail: Self.writtenText(report, path: deck.path, unusedRules: deck.unusedRedactionRules)))
                } catch {
                    report.writeError = "\(error)"
                    link.emit(LinkEvent(link: name, action: .tapeStrictFailed, detail: "cannot write the tape: \(error)"))
                }
            }
            if let failure = report.failure, report.writeError == nil {
                link.emit(LinkEvent(link: name, action: .tapeStrictFailed, detail: failure))
            }
        }
        finished.withLock { $0 = $0 ?? report }
        return self.report ?? report
    }
}
