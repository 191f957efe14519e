import Foundation
import Testbed
import Testing

/// How long a tape of 10,000 exchanges takes to load (the issue's target: under 200 ms),
/// and to index for replay. Runs only with TESTBED_BENCH set; prints, asserts nothing about
/// time. Measure on a release build:
///
///     TESTBED_BENCH=1 swift test -c release -Xswiftc -enable-testing --filter TapeLoadBenchmark
@Suite(.enabled(if: ProcessInfo.processInfo.environment["TESTBED_BENCH"] != nil))
struct TapeLoadBenchmark {
    /// A tape like a busy API's: GETs and POSTs with the usual headers, JSON answers of
    /// about 600 bytes, some text and binary bodies.
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

    @Test func loadTenThousandExchanges() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tape-bench-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("big.json")
        let tape = Self.tape(count: 10_000)
        let clock = ContinuousClock()
        let writeStart = clock.now
        try tape.write(to: url)
        let written = clock.now - writeStart
        let size = try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int ?? 0
        var loads: [Double] = []
        var indexes: [Double] = []
        for _ in 0..<7 {
            let start = clock.now
            let loaded = try Tape.load(from: url)
            let middle = clock.now
            let player = TapePlayer(tape: loaded)
            indexes.append(Self.milliseconds(clock.now - middle))
            loads.append(Self.milliseconds(middle - start))
            #expect(loaded.exchanges.count == 10_000)
            #expect(player.unusedExchanges.count == 10_000)
        }
        let loaded = try Tape.load(from: url)
        #expect(loaded.exchanges.map(\.request) == tape.exchanges.map(\.request))
        #expect(loaded.exchanges.map(\.response) == tape.exchanges.map(\.response))
        loads.sort()
        indexes.sort()
        print(String(format: "tape of 10000 exchanges, %.1f MB: load median %.1f ms (min %.1f, max %.1f), "
                     + "replay index median %.1f ms, write %.1f ms",
                     Double(size) / 1e6, loads[3], loads[0], loads[6], indexes[3], Self.milliseconds(written)))
    }
}
