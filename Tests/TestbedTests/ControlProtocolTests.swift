import Foundation
import Testing
@testable import Testbed

/// Sends on a thread of its own: `send` blocks until the answer, which the server computes
/// on the concurrency pool (two threads here), so it must not hold one of them.
func sendOffThePool(_ request: ControlRequest, to path: String) async throws -> ControlResponse {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread {
            continuation.resume(with: Result { try ControlSocket.send(request, to: path, timeout: hangGuard) })
        }
    }
}

/// The detached control protocol: typed requests and responses, one JSON line each way.
@Suite struct ControlProtocolTests {
    @Test func requestsAndResponsesRoundTripThroughTheSocket() async throws {
        let folder = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/control.sock"
        try ControlSocket.serve(at: path) { request in
            switch request.request {
            case .env: return ControlResponse(ok: true, exports: ["URL": "postgresql://x"])
            case .reset: return request.service == "db" ? .done : .failure("no service '\(request.service ?? "")'")
            case .status:
                let run = DetachedRun(name: "app", pid: 42, startTime: 7, manifest: "/m.yml", runDirectory: "/r", startedAt: 1, expiresAt: nil)
                return ControlResponse(status: run, services: [ServiceStatus(name: "db", kind: "postgres", pid: 43, state: "healthy",
                                                                             values: ["port": "5432"])])
            case .down: return .done
            }
        }
        var info = stat()
        #expect(stat(path, &info) == 0 && info.st_mode & 0o777 == 0o600)
        #expect(try await sendOffThePool(ControlRequest(.env), to: path).exports == ["URL": "postgresql://x"])
        #expect(try await sendOffThePool(ControlRequest(.reset, service: "db"), to: path).ok)
        let refused = try await sendOffThePool(ControlRequest(.reset, service: "web"), to: path)
        #expect(!refused.ok && refused.error == "no service 'web'")
        let status = try await sendOffThePool(ControlRequest(.status), to: path)
        #expect(status.name == "app" && status.pid == 42 && status.expiresAt == nil)
        #expect(status.services?.first?.values == ["port": "5432"] && status.services?.first?.pid == 43)
    }

    @Test func aLineThatIsNotARequestIsAnsweredWithAFailure() async throws {
        let folder = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/control.sock"
        try ControlSocket.serve(at: path) { _ in .done }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in for (i, byte) in path.utf8.enumerated() { buffer[i] = byte } }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(connected == 0)
        _ = "status\n".withCString { write(fd, $0, 7) }
        // The answer is computed on the concurrency pool: wait for it without blocking a pool thread.
        var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        #expect(await eventually(within: .seconds(20)) { poll(&ready, 1, 0) == 1 })
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = read(fd, &buffer, buffer.count)
        let response = try JSONDecoder().decode(ControlResponse.self, from: Data(buffer[0..<max(count, 0)]))
        #expect(!response.ok && response.error == "unknown request 'status'")
    }

    @Test func nobodyListeningIsUnreachable() throws {
        let error = #expect(throws: ControlError.self) {
            try ControlSocket.send(ControlRequest(.status), to: "/nonexistent-\(UUID().uuidString)/control.sock")
        }
        #expect(error?.code == .unreachable)
    }
}
