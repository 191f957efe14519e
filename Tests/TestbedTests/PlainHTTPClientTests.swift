import Foundation
import NIOHTTP1
import Synchronization
import Testing
@testable import Testbed
@testable import TestbedSystem
@testable import TestbedModel
@testable import TestbedHTTP
@testable import TestbedHealth
@testable import TestbedLinks

/// The one small HTTP/1.1 client (Sources/Testbed/HTTPClient) against real listeners: answers
/// of any status, bodies by length, chunks and close, servers that close early, say nothing
/// or are not HTTP, and cancellation.
@Suite struct PlainHTTPClientTests {
    static func endpoint(_ port: Int) -> PlainHTTPEndpoint { PlainHTTPEndpoint(host: "127.0.0.1", port: port) }

    @Test func returnsAnAnswerOfAnyStatusWithItsHeadersAndBody() async throws {
        let server = try ScriptedHTTPServer(answer: "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 2\r\nContent-Length: 4\r\n\r\nbusy")
        let request = PlainHTTPRequest(method: "POST", target: "/charges?x=1", headers: [("Accept", "application/json")],
                                       body: Array("hello".utf8))
        let answer = try await PlainHTTPClient.send(request, to: Self.endpoint(server.port), timeout: .seconds(60))
        #expect(answer.status == 503 && answer.headers["Retry-After"] == ["2"])
        #expect(String(decoding: answer.body, as: UTF8.self) == "busy")
        let sent = try #require(server.requests.first)
        #expect(sent.hasPrefix("POST /charges?x=1 HTTP/1.1\r\nHost: 127.0.0.1:\(server.port)\r\nAccept: application/json\r\n"), "\(sent)")
        #expect(sent.contains("Connection: close\r\n") && sent.contains("Content-Length: 5\r\n") && sent.hasSuffix("\r\n\r\nhello"), "\(sent)")
    }

    @Test(arguments: [
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\n\r\nhello world",  // no length: the body ends when the server closes
    ])
    func readsABodyInChunksOrUntilTheServerCloses(answer: String) async throws {
        let server = try ScriptedHTTPServer(answer: answer)
        let response = try await PlainHTTPClient.send(PlainHTTPRequest(method: "GET", target: "/"), to: Self.endpoint(server.port),
                                                      timeout: .seconds(60))
        #expect(response.status == 200 && String(decoding: response.body, as: UTF8.self) == "hello world")
    }

    @Test func aServerThatClosesMidAnswerIsAFailureThatCountsTheBytes() async throws {
        let answer = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort"
        let server = try ScriptedHTTPServer(answer: answer)
        let error = await #expect(throws: PlainHTTPError.self) {
            try await PlainHTTPClient.send(PlainHTTPRequest(method: "GET", target: "/"), to: Self.endpoint(server.port), timeout: .seconds(60))
        }
        #expect(error?.code == .closed && error?.received == answer.utf8.count)
        #expect(error?.message == "127.0.0.1:\(server.port) closed the connection after \(answer.utf8.count) bytes, before a complete answer")

        let silent = try ScriptedHTTPServer(answer: "")  // reads the request, closes without a word
        let closed = await #expect(throws: PlainHTTPError.self) {
            try await PlainHTTPClient.send(PlainHTTPRequest(method: "GET", target: "/"), to: Self.endpoint(silent.port), timeout: .seconds(60))
        }
        #expect(closed?.code == .closed && closed?.received == 0)
        #expect(closed?.message == "127.0.0.1:\(silent.port) closed the connection without answering")
    }

    @Test func aServerThatNeverAnswersTimesOutAtTheDeadline() async throws {
        let listener = try TestListener()  // the kernel accepts; nobody reads or writes
        let clock = ContinuousClock(), start = clock.now
        let error = await #expect(throws: PlainHTTPError.self) {
            try await PlainHTTPClient.send(PlainHTTPRequest(method: "GET", target: "/"), to: Self.endpoint(listener.port),
                                           timeout: .milliseconds(200))
        }
        #expect(error?.code == .timedOut && error?.message == "no HTTP answer from 127.0.0.1:\(listener.port) within 0.2 seconds")
        #expect(clock.now - start >= .milliseconds(190))
    }

    @Test func aHeadIsEnoughWhenTheBodyIsNotRead() async throws {
        // The head arrives, the body never does.
        let server = try ScriptedHTTPServer(answer: "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", close: false)
        let head = try await PlainHTTPClient.send(PlainHTTPRequest(method: "GET", target: "/"), to: Self.endpoint(server.port),
                                                  timeout: .seconds(60), readBody: false)
        #expect(head.status == 200 && head.body.isEmpty)
        let error = await #expect(throws: PlainHTTPError.self) {
            try await PlainHTTPClient.send(PlainHTTPRequest(method: "GET", target: "/"), to: Self.endpoint(server.port),
                                           timeout: .milliseconds(200))
        }
        #expect(error?.code == .timedOut)
    }

    @Test func nothingListeningIsRefusedAtOnce() async throws {
        let port = try PortAllocator(lockDirectory: try makeTemporaryDirectory()).reserve()
        defer { port.release() }  // bound, not listening: connections are refused
        let error = await #expect(throws: PlainHTTPError.self) {
            try await PlainHTTPClient.send(PlainHTTPRequest(method: "GET", target: "/"), to: Self.endpoint(port.port), timeout: .seconds(60))
        }
        #expect(error?.code == .refused && error?.errno == ECONNREFUSED)
        #expect(error?.message == "connection refused on 127.0.0.1:\(port.port)")
    }

    @Test func aBodyOverTheLimitIsRefused() async throws {
        let server = try ScriptedHTTPServer(answer: "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world")
        let error = await #expect(throws: PlainHTTPError.self) {
            try await PlainHTTPClient.send(PlainHTTPRequest(method: "GET", target: "/"), to: Self.endpoint(server.port),
                                           timeout: .seconds(60), bodyLimit: 5)
        }
        #expect(error?.code == .tooLarge)
    }

    /// Cancelling the waiting task ends the request at once (not at its 60 s timeout) and
    /// closes the connection.
    @Test func cancellingTheCallerEndsTheRequestAndClosesTheConnection() async throws {
        let server = try ScriptedHTTPServer(answer: "", close: false)  // reads the request, then holds the connection
        let clock = ContinuousClock(), start = clock.now
        let task = Task {
            try await PlainHTTPClient.send(PlainHTTPRequest(method: "GET", target: "/"), to: Self.endpoint(server.port), timeout: .seconds(60))
        }
        #expect(await eventually(within: hangGuard) { server.requests.count == 1 })
        task.cancel()
        let result = await task.result
        #expect(throws: PlainHTTPError.self) { try result.get() }
        if case .failure(let error as PlainHTTPError) = result { #expect(error.code == .cancelled) }
        #expect(clock.now - start < .seconds(50), "ended by the cancellation, not the timeout (a hang guard, not a benchmark)")
        #expect(await eventually(within: hangGuard) { server.closedByClient == 1 }, "the client closed its connection")
    }

    /// A health gate whose task is cancelled makes no further attempt.
    @Test func aCancelledHealthGateStopsProbing() async throws {
        let server = try ScriptedHTTPServer(answer: "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n")
        let probe = try HTTPProbe(url: "http://127.0.0.1:\(server.port)/health")
        let timing = HealthTiming(interval: .milliseconds(5), timeout: .seconds(60), startPeriod: .zero, deadline: .seconds(600))
        let task = Task { try await HealthGate(probe: probe, timing: timing, process: nil).wait() }
        #expect(await eventually(within: hangGuard) { server.requests.count >= 3 })
        task.cancel()
        let result = await task.result
        #expect(throws: CancellationError.self) { try result.get() }
        let attempts = server.requests.count
        try await Task.sleep(for: .milliseconds(300))
        #expect(server.requests.count == attempts, "no attempt after the cancellation")
    }

    /// A `103 Early Hints` before the answer is not the answer (the old status-line reader took it).
    @Test func anInformationalAnswerIsNotTheProbesStatus() async throws {
        let server = try ScriptedHTTPServer(answer: "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        try await HTTPProbe(url: "http://127.0.0.1:\(server.port)/").attempt(timeout: .seconds(60))
    }
}

/// The Toxiproxy client's errors, each as `testbed link` prints it.
@Suite struct ToxiproxyClientErrorTests {
    @Test func nothingListeningSaysTheEnvironmentMayHaveStopped() async throws {
        let port = try PortAllocator(lockDirectory: try makeTemporaryDirectory()).reserve()
        defer { port.release() }
        let client = try ToxiproxyClient(url: "http://localhost:\(port.port)/")
        let error = await #expect(throws: ToxiproxyError.self) { try await client.proxies() }
        #expect(error?.status == 0)
        #expect(error?.message == "nothing answers at localhost:\(port.port): Connection refused (has the environment stopped?)")
    }

    @Test func anEndpointThatNeverAnswersTimesOut() async throws {
        let listener = try TestListener()
        var client = try ToxiproxyClient(url: "http://127.0.0.1:\(listener.port)")
        client.timeout = .milliseconds(200)
        let error = await #expect(throws: ToxiproxyError.self) { try await client.reset() }
        #expect(error?.status == 0 && error?.message == "no answer from 127.0.0.1:\(listener.port) within 0.2 seconds")
    }

    @Test func anAnswerCutShortOrNotHTTPIsNamed() async throws {
        let cut = try ScriptedHTTPServer(answer: "HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{\"a\"")
        let error = await #expect(throws: ToxiproxyError.self) { try await ToxiproxyClient(url: "http://127.0.0.1:\(cut.port)").proxies() }
        #expect(error?.status == 0 && error?.message == "no complete HTTP answer to GET /proxies")
        let other = try ScriptedHTTPServer(answer: "SSH-2.0-OpenSSH_9.2\r\n")
        let notHTTP = await #expect(throws: ToxiproxyError.self) { try await ToxiproxyClient(url: "http://127.0.0.1:\(other.port)").proxies() }
        #expect(notHTTP?.status == 0 && notHTTP?.message == "the answer to GET /proxies is not HTTP")
    }

    @Test func anErrorAnswerIsTheEndpointsOwnAndAnEmptyPOSTHasALength() async throws {
        let missing = try ScriptedHTTPServer(answer: "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n"
            + #"{"error":"proxy not found","status":404}"#)
        let error = await #expect(throws: ToxiproxyError.self) { try await ToxiproxyClient(url: "http://127.0.0.1:\(missing.port)").proxy("db") }
        #expect(error == ToxiproxyError(status: 404, "proxy not found"))
        let reset = try ScriptedHTTPServer(answer: "HTTP/1.1 204 No Content\r\n\r\n")
        try await ToxiproxyClient(url: "http://127.0.0.1:\(reset.port)").reset()
        #expect(reset.requests.first?.hasPrefix("POST /reset HTTP/1.1\r\n") == true)
        #expect(reset.requests.first?.contains("Content-Length: 0\r\n") == true, "an empty POST has a length, not chunks")
    }

    @Test func aHostThatIsNotIPv4IsRefusedBeforeConnecting() async throws {
        let client = try ToxiproxyClient(url: "http://[::1]:8474")
        let error = await #expect(throws: ToxiproxyError.self) { try await client.proxies() }
        #expect(error?.message == "'[::1]' is not an IPv4 address (the endpoint listens on 127.0.0.1)")
    }
}

/// An HTTP server on 127.0.0.1 that reads each request and writes the same scripted bytes
/// back, then closes (or, with `close: false`, holds the connection until the client closes
/// it). A thread per connection; the requests it read are kept.
final class ScriptedHTTPServer: Sendable {
    let port: Int
    private let listener: TestListener
    private let state = Log()

    /// What the connections did, shared with their threads.
    private final class Log: Sendable {
        let requests = Mutex<[String]>([])
        let closedByClient = Atomic<Int>(0)
    }

    /// The requests read so far, head and body.
    var requests: [String] { state.requests.withLock { $0 } }
    /// Connections held open (`close: false`) that the client has closed.
    var closedByClient: Int { state.closedByClient.load(ordering: .relaxed) }

    init(answer: String, close: Bool = true) throws {
        listener = try TestListener()
        port = listener.port
        let (fd, log, bytes) = (listener.fd, state, Array(answer.utf8))
        Thread.detachNewThread {
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 { if errno == EINTR { continue } else { return } }
                Thread.detachNewThread { Self.serve(client, bytes, close: close, log: log) }
            }
        }
    }

    private static func serve(_ client: Int32, _ answer: [UInt8], close closeAtOnce: Bool, log: Log) {
        defer { close(client) }
        var limit = timeval(tv_sec: 120, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var request: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        func complete() -> Bool {
            guard let end = request.firstRange(of: Array("\r\n\r\n".utf8)) else { return false }
            let head = String(decoding: request[..<end.lowerBound], as: UTF8.self).lowercased()
            let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
            return request.count >= end.upperBound + length
        }
        while !complete() {
            let count = read(client, &buffer, buffer.count)
            guard count > 0 else { return }
            request += buffer[..<count]
        }
        log.requests.withLock { $0.append(String(decoding: request, as: UTF8.self)) }
        if !answer.isEmpty { _ = answer.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } }
        if closeAtOnce { return }
        while read(client, &buffer, buffer.count) > 0 {}
        log.closedByClient.add(1, ordering: .relaxed)
    }
}
