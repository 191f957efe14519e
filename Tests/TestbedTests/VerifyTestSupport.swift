import Foundation
import Testing
@testable import Testbed
@testable import TestbedModel
@testable import TestbedTapes

/// A real provider for the tests of `testbed verify`: `Fixtures/verify/provider.py` in one
/// of its variants, started by Testbed itself as a process service.
struct VerifyProvider {
    static let script = fixturePath("verify", "provider.py")

    /// The manifest of a stack whose service `api` is the provider in `variant`.
    static func manifest(_ variant: String, extra: String = "") -> String {
        """
        name: verify-\(variant)
        services:
          api:
            command: [python3, "\(script)", \(variant), "${api.ports.http}"]
            ports: [http]
            url: http://127.0.0.1:${api.ports.http}
            healthcheck: {http: /health, port: http}
        \(extra)
        """
    }

    /// Starts the provider in `variant`, runs `body` with its base URL, and stops it.
    static func with<T>(_ variant: String, _ body: (String) async throws -> T) async throws -> T {
        let folder = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let environment = try Environment(yaml: manifest(variant), directory: folder,
                                          options: Environment.Options(runRoot: folder + "/runs", cacheRoot: folder + "/cache"))
        try await environment.start()
        do {
            let result = try await body(try await environment.service("api").url)
            await environment.stop()
            return result
        } catch {
            await environment.stop()
            throw error
        }
    }

    /// What the consumer sends: list the orders, read one, create one (with a credential
    /// that redaction keeps off the tape).
    static let requests = [
        TapeRequest(method: "GET", target: "/orders", headers: [TapeHeader("Accept", "application/json")]),
        TapeRequest(method: "GET", target: "/orders/1", headers: [TapeHeader("Accept", "application/json")]),
        TapeRequest(method: "POST", target: "/orders",
                    headers: [TapeHeader("Content-Type", "application/json"), TapeHeader("Authorization", "Bearer s3cret")],
                    body: Array(#"{"email": "grace@example.com"}"#.utf8)),
    ]

    /// A tape recorded for real: the consumer's requests sent to the unchanged provider,
    /// with the `Authorization` header replaced by a placeholder as redaction does.
    static func recordedTape() async throws -> Tape {
        try await with("unchanged") { url in
            let exchanges = try await record(requests, from: url)
            return Tape(exchanges: exchanges.map { exchange in
                var kept = exchange
                kept.request.headers = kept.request.headers.map { $0.matches("Authorization") ? TapeHeader($0.name, "REDACTED") : $0 }
                return kept
            })
        }
    }

    /// Sends `requests` to the provider at `url` and keeps each with its answer.
    static func record(_ requests: [TapeRequest], from url: String) async throws -> [TapeExchange] {
        let client = try ProviderClient(base: url)
        var exchanges: [TapeExchange] = []
        do {
            for request in requests {
                exchanges.append(TapeExchange(request: request, response: try await client.send(request), recordedAt: Date()))
            }
        } catch {
            await client.shutdown()
            throw error
        }
        await client.shutdown()
        return exchanges
    }

    /// The options that give the replayed requests the credential the tape does not hold.
    static let credential = TapeHeader("Authorization", "Bearer s3cret")
}
