import Foundation
import Testing
@testable import Testbed

/// Hand-out and reset latencies; runs only with TESTBED_BENCH set, and prints (asserts nothing
/// about time).
///
///     TESTBED_BENCH=1 swift test --scratch-path .build-swiftapi --filter PoolBenchmark
@Suite(.enabled(if: ProcessInfo.processInfo.environment["TESTBED_BENCH"] != nil, "an opt-in benchmark: set TESTBED_BENCH=1"))
struct PoolBenchmark {
    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }

    static func summary(_ samples: [Duration]) -> String {
        let sorted = samples.map(milliseconds).sorted()
        let median = sorted[sorted.count / 2], p99 = sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.99))]
        return String(format: "median %.3f ms, p99 %.3f ms, max %.3f ms (n=%d)", median, p99, sorted.last!, sorted.count)
    }

    @Test func warmPostgresCheckout() async throws {
        try await SwiftAPIStacks.withStarted(try SwiftAPIStacks.postgres()) { environment in
            let pool = try await DatabasePool(environment: environment, service: "db")
            let clock = ContinuousClock()
            var warm: [Duration] = [], backToBack: [Duration] = []
            for _ in 0..<200 {
                try await pool.prepared()
                let began = clock.now
                let database = try await pool.checkout()
                warm.append(clock.now - began)
                try await pool.checkin(database)
            }
            for _ in 0..<50 {
                let began = clock.now
                let database = try await pool.checkout()
                backToBack.append(clock.now - began)
                try await pool.checkin(database)
            }
            await pool.shutdown()
            print("BENCH postgres checkout, warm pool of 4: \(Self.summary(warm))")
            print("BENCH postgres checkout+checkin back to back: \(Self.summary(backToBack))")
            #expect(warm.count == 200)
        }
    }

    @Test(arguments: ["postgres", "sqlite"])
    func reset(kind: String) async throws {
        let stack = kind == "postgres" ? try SwiftAPIStacks.postgres() : try SwiftAPIStacks.sqlite()
        try await SwiftAPIStacks.withStarted(stack) { environment in
            let clock = ContinuousClock()
            var samples: [Duration] = []
            for _ in 0..<50 {
                let began = clock.now
                try await environment.reset("db")
                samples.append(clock.now - began)
            }
            print("BENCH \(kind) environment.reset(\"db\"): \(Self.summary(samples))")
            #expect(samples.count == 50)
        }
    }

    @Test func sqliteCheckout() async throws {
        try await SwiftAPIStacks.withStarted(try SwiftAPIStacks.sqlite()) { environment in
            let pool = try await DatabasePool(environment: environment, service: "db")
            let clock = ContinuousClock()
            var samples: [Duration] = []
            for _ in 0..<200 {
                let began = clock.now
                let database = try await pool.checkout()
                samples.append(clock.now - began)
                try await pool.checkin(database)
            }
            await pool.shutdown()
            print("BENCH sqlite checkout (file copy): \(Self.summary(samples))")
            #expect(samples.count == 200)
        }
    }
}
