import Foundation
import Testing
@testable import Testbed
@testable import TestbedSystem
@testable import TestbedTapes

/// `TapeVerifier` against a real provider process (python3, Fixtures/verify/provider.py):
/// it passes the provider the tape was recorded from and catches each kind of change.
@Suite(.serialized) struct VerifyProviderTests {
    func verify(_ variant: String, _ tape: Tape, _ options: TapeVerifier.Options = .init(headers: [VerifyProvider.credential])) async throws -> VerifyReport {
        try await VerifyProvider.with(variant) { url in
            try await TapeVerifier(options: options).verify(tape, named: "orders.tape", against: url)
        }
    }

    func breaking(_ report: VerifyReport) -> [String] {
        report.exchanges.flatMap { exchange in exchange.differences.filter(\.breaking).map { "\(exchange.method) \(exchange.target): \($0.message)" } }
    }

    @Test func theUnchangedProviderKeepsTheContractAndTheChangedOnesBreakIt() async throws {
        let tape = try await VerifyProvider.recordedTape()
        #expect(tape.exchanges.map(\.response.status) == [200, 200, 201])

        let unchanged = try await verify("unchanged", tape)
        #expect(!unchanged.broken, "\(unchanged.text)")
        #expect(unchanged.exchanges.map(\.status) == [200, 200, 201])

        let withoutCredential = try await verify("unchanged", tape, .init())
        #expect(breaking(withoutCredential) == ["POST /orders: status: recorded 201, now 401 Unauthorized"],
                "the tape holds '[REDACTED]'; --header gives the real credential")

        let renamed = try await verify("renamed", tape)
        #expect(renamed.broken)
        #expect(breaking(renamed) == [
            "GET /orders: $.orders[0].customer.name: missing (recorded string) (in 2 elements)",
            "GET /orders/1: $.customer.name: missing (recorded string)",
            "POST /orders: $.customer.name: missing (recorded string)",
        ])
        #expect(renamed.exchanges[1].differences.contains { !$0.breaking && $0.message == "$.customer.full_name: new field (string)" })

        let retyped = try await verify("retyped", tape)
        #expect(breaking(retyped).contains("GET /orders/1: $.items[0].price: recorded number, now string (in 2 elements)"))
        #expect(breaking(retyped).contains("GET /orders: $.orders[0].items[0].price: recorded number, now string (in 4 elements)"))

        let removed = try await verify("removed", tape)
        #expect(breaking(removed) == ["GET /orders/1: endpoint removed: recorded 200, now 404 Not Found"])
        #expect(removed.exchanges[1].differences.first?.kind == .removedEndpoint)

        let added = try await verify("added", tape)
        #expect(!added.broken, "a new field alone keeps the contract")
        #expect(added.summary.notes == 3)
        var strict = TapeVerifier.Options(headers: [VerifyProvider.credential])
        strict.comparison.newFieldsBreak = true
        #expect(try await verify("added", tape, strict).broken)
    }

    @Test func learningMarksIdsAndTimestampsVolatile() async throws {
        let tape = try await VerifyProvider.recordedTape()
        var values = TapeVerifier.Options(headers: [VerifyProvider.credential])
        values.comparison.compareValues = true
        let strict = try await verify("unchanged", tape, values)
        #expect(strict.broken, "with values compared, the ids and timestamps recorded differ")
        #expect(breaking(strict).contains { $0.hasPrefix("GET /orders/1: $.created_at: recorded \"") })

        values.learn = true
        let learned = try await verify("unchanged", tape, values)
        #expect(!learned.broken, "\(learned.text)")
        #expect(learned.learned == ["$.created_at", "$.orders[*].created_at", "$.orders[*].request_id", "$.request_id"])
        #expect(learned.exchanges[1].learned == ["$.created_at", "$.request_id"])
        #expect(learned.text.contains("learned volatile fields (they differed between two replays): $.created_at"))
    }

    @Test func aProviderThatDoesNotAnswerBreaksEveryExchange() async throws {
        let tape = Tape(exchanges: [TapeExchange(request: VerifyProvider.requests[0], response: TapeResponse(status: 200))])
        // A port of our own that nothing listens on: reserved, then its socket closed.
        let folder = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let reservation = try PortAllocator(lockDirectory: folder + "/locks").reserve()
        defer { reservation.release() }
        reservation.releaseSocket()
        let report = try await TapeVerifier(options: .init(timeout: .seconds(5)))
            .verify(tape, named: "t", against: "http://127.0.0.1:\(reservation.port)")
        #expect(report.broken)
        #expect(report.exchanges[0].status == nil)
        #expect(report.exchanges[0].differences.map(\.kind) == [.unreachable])
        await #expect(throws: VerifyError.self) { try await TapeVerifier().verify(tape, named: "t", against: "ftp://x") }
    }
}
