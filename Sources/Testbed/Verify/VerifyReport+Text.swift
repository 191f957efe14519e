import Foundation

extension VerifyReport {
    /// How many exchanges kept the contract and how many broke it, and the differences counted.
    package struct Summary: Sendable, Hashable {
        /// Exchanges checked.
        package var exchanges: Int
        /// Exchanges that broke the contract.
        package var broken: Int
        /// Breaking differences, over all exchanges.
        package var breaking: Int
        /// Differences that do not break the contract (new fields, values where null was).
        package var notes: Int
    }

    /// The counts of this report.
    package var summary: Summary {
        let differences = exchanges.flatMap(\.differences)
        return Summary(exchanges: exchanges.count, broken: exchanges.filter(\.broken).count,
                       breaking: differences.filter(\.breaking).count, notes: differences.filter { !$0.breaking }.count)
    }

    /// The readable report: one line per exchange (`ok` or `BROKEN`, the request, the
    /// status), its differences indented below it, what was learned, and the summary:
    ///
    ///     verify tapes/orders.json against http://127.0.0.1:8080
    ///       ok      GET /orders/1 → 200
    ///       BROKEN  GET /orders → 200
    ///                 $.items[0].price: recorded number, now string
    ///                 note: $.items[0].currency: new field (string)
    ///       BROKEN  DELETE /orders/1 → 404
    ///                 endpoint removed: recorded 204, now 404 Not Found
    ///     3 exchanges: 1 kept the contract, 2 broke it (2 breaking differences, 1 note)
    public var text: String {
        var lines = ["verify \(tape) against \(provider)"]
        for exchange in exchanges {
            let verdict = exchange.broken ? "BROKEN" : "ok"
            let status = exchange.status.map { "\($0)" } ?? "no answer"
            lines.append("  \(verdict.padding(toLength: 7, withPad: " ", startingAt: 0)) \(exchange.method) \(exchange.target) → \(status)")
            for difference in exchange.differences {
                lines.append("            " + (difference.breaking ? "" : "note: ") + difference.message)
            }
            if !exchange.learned.isEmpty {
                lines.append("            volatile (learned, ignored): " + exchange.learned.joined(separator: ", "))
            }
        }
        if !learned.isEmpty {
            lines.append("learned volatile fields (they differed between two replays): " + learned.joined(separator: ", "))
        }
        let counts = summary
        var last = "\(counts.exchanges) exchange\(counts.exchanges == 1 ? "" : "s"): "
            + "\(counts.exchanges - counts.broken) kept the contract, \(counts.broken) broke it"
        last += " (\(counts.breaking) breaking difference\(counts.breaking == 1 ? "" : "s"), \(counts.notes) note\(counts.notes == 1 ? "" : "s"))"
        if counts.exchanges == 0 { last = "the tape has no exchanges: nothing to check" }
        lines.append(last)
        return lines.joined(separator: "\n")
    }
}
