import Foundation

// The harness of scripts/bench_tape_load.sh, compiled with the tape sources: how long a tape
// of 10,000 exchanges takes to load and index for replay, as an HTTP link does before it
// serves (the issue's target: under 200 ms), and what the first request of a large route
// costs (the player keys a route's exchanges when it is first asked for). Prints; asserts
// nothing about time.

/// The YAML cassette reader needs Yams, which this harness does not build; it loads Testbed
/// tapes only, so the cassette branch of Tape.load is not part of the measurement.
struct VCRCassetteReader {
    let file: String
    func read(_ bytes: [UInt8]) throws(TapeError) -> Tape {
        throw TapeError(.invalid, file: file, "VCR.py cassettes are not part of this benchmark")
    }
}

enum Bench {
    /// A tape like a busy API's: GETs and POSTs with the usual headers, JSON answers of
    /// about 600 bytes (pretty-printed on the tape), some text and binary bodies.
    static func tape(count: Int) -> Tape {
        let date = Date(timeIntervalSince1970: 1_800_000_000)
        return Tape(exchanges: (0..<count).map { index in
            let post = index % 3 == 0
            let requestBody = post ? Array(#"{"amount":\#(index * 7),"currency":"EUR","customer":"cus_\#(index)","metadata":{"order":"o-\#(index)","note":"gift"}}"#.utf8) : []
            var items: [String] = []
            for item in 0..<5 {
                items.append(#"{"id":\#(index * 10 + item),"name":"item \#(item) of \#(index)","price":\#(item).99,"tags":["a","b"],"active":true}"#)
            }
            let json = #"{"id":"ch_\#(index)","object":"charge","created":\#(1_800_000_000 + index),"items":[\#(items.joined(separator: ","))],"next":null}"#
            let body: [UInt8] = switch index % 10 {
            case 9: Array("plain text answer \(index)\nsecond line\n".utf8)
            case 8: (0..<200).map { UInt8(($0 * 31 + index) & 0xFF) }
            default: Array(json.utf8)
            }
            let request = TapeRequest(
                method: post ? "POST" : "GET",
                target: post ? "/v1/charges" : "/v1/charges/ch_\(index)?expand=items&page=\(index % 7)",
                headers: [TapeHeader("Host", "api.example.com"), TapeHeader("User-Agent", "shop/1.4 (+https://shop.example)"),
                          TapeHeader("Accept", "application/json"), TapeHeader("Authorization", "REDACTED"),
                          TapeHeader("X-Request-Id", "req-\(index)")]
                    + (post ? [TapeHeader("Content-Type", "application/json"), TapeHeader("Content-Length", String(requestBody.count))] : []),
                body: requestBody)
            let response = TapeResponse(
                status: post ? 201 : 200,
                headers: [TapeHeader("Content-Type", "application/json"), TapeHeader("Content-Length", String(body.count)),
                          TapeHeader("Date", "Fri, 27 Nov 2026 20:00:00 GMT"), TapeHeader("Cache-Control", "no-store"),
                          TapeHeader("X-Request-Id", "req-\(index)"), TapeHeader("Server", "payments")],
                body: body)
            return TapeExchange(request: request, response: response,
                                recordedAt: date.addingTimeInterval(Double(index) / 100), duration: .microseconds(1000 + index))
        })
    }


    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }

    /// CPU time of this thread, in milliseconds: on a machine shared with other work, the
    /// wall clock measures the neighbours as much as the code.
    static func cpu() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) * 1000 + Double(time.tv_nsec) / 1e6
    }
}

@main enum Main {
    /// What an HTTP link does before it serves (HTTPTapeDeck.init): load the tape, make its
    /// player. Its own function, so that `--once` under callgrind counts it alone.
    @inline(never)
    static func readyToServe(_ url: URL) throws -> (Tape, TapePlayer) {
        let loaded = try Tape.load(from: url)
        return (loaded, TapePlayer(tape: loaded, rules: .default, redaction: TapeRedaction()))
    }

    static func main() throws {
        let path = CommandLine.arguments[1]
        let url = URL(fileURLWithPath: path)
        let tape = Bench.tape(count: 10_000)
        try tape.write(to: url)
        if CommandLine.arguments.dropFirst(2).first == "--once" {
            let (loaded, player) = try readyToServe(url)
            precondition(loaded.exchanges.count == 10_000 && player.unusedExchanges.count == 10_000)
            return
        }
        let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        // A request like exchange 0: POST /v1/charges, the route of 3,334 exchanges, whose keys
        // (JSON bodies parsed) the player computes when the first request for it comes.
        let post = tape.exchanges[0].request
        var walls: [Double] = [], cpus: [Double] = [], loads: [Double] = [], indexes: [Double] = []
        var firsts: [Double] = [], seconds: [Double] = []
        for _ in 0..<9 {
            // What an HTTP link does before it serves (HTTPTapeDeck.init): load the tape, make its player.
            let wall = ContinuousClock.now
            let cpu = Bench.cpu()
            let loaded = try Tape.load(from: url)
            let indexing = Bench.cpu()
            let player = TapePlayer(tape: loaded, rules: .default, redaction: TapeRedaction())
            let ready = Bench.cpu()
            walls.append(Bench.milliseconds(ContinuousClock.now - wall))
            cpus.append(ready - cpu)
            loads.append(indexing - cpu)
            indexes.append(ready - indexing)
            precondition(loaded.exchanges.count == 10_000)
            precondition(loaded.exchanges.map(\.request) == tape.exchanges.map(\.request))
            precondition(loaded.exchanges.map(\.response) == tape.exchanges.map(\.response))
            precondition(player.unusedExchanges.count == 10_000)
            let first = Bench.cpu()
            let answer = player.answer(for: post)
            let second = Bench.cpu()
            let again = player.answer(for: tape.exchanges[3].request)
            seconds.append(Bench.cpu() - second)
            firsts.append(second - first)
            guard case .hit(_, 0) = answer, case .hit(_, 3) = again else { preconditionFailure("the requests must replay exchanges 0 and 3") }
        }
        for list in [walls, cpus, loads, indexes, firsts, seconds] { precondition(list.count == 9) }
        walls.sort(); cpus.sort(); loads.sort(); indexes.sort(); firsts.sort(); seconds.sort()
        print(String(format: "tape of 10,000 exchanges, %.1f MB, ready to serve (Tape.load + TapePlayer.init): "
                     + "median %.1f ms wall (min %.1f), %.1f ms CPU (min %.1f)", Double(size) / 1e6, walls[4], walls[0], cpus[4], cpus[0]))
        print(String(format: "  Tape.load median %.1f ms CPU (min %.1f); TapePlayer.init (replay index) median %.1f ms CPU (min %.1f)",
                     loads[4], loads[0], indexes[4], indexes[0]))
        print(String(format: "  first request of the largest route (POST /v1/charges, 3,334 exchanges keyed on the way) median %.1f ms CPU; "
                     + "the next request of that route %.2f ms", firsts[4], seconds[4]))
    }
}
