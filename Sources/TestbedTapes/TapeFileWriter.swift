import Foundation
import TestbedModel

/// Turns a ``Tape`` into the text of a tape file (docs/tapes.md, "Tape format").
///
/// The layout is fixed so that re-recording the same traffic changes only what changed:
/// keys in one order, two-space indentation, one header per line, exchanges in recording
/// order, JSON bodies pretty-printed with their keys in the order they were sent.
package enum TapeFileWriter {
    package static func bytes(of tape: Tape) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(4096 + tape.exchanges.count * 1024)
        out += Array("{\n  \"testbed_tape\": \(Tape.formatVersion),\n  \"exchanges\": [".utf8)
        for (index, exchange) in tape.exchanges.enumerated() {
            out += Array((index == 0 ? "\n" : ",\n").utf8)
            write(exchange, to: &out)
        }
        out += Array((tape.exchanges.isEmpty ? "]\n}\n" : "\n  ]\n}\n").utf8)
        return out
    }

    private static func write(_ exchange: TapeExchange, to out: inout [UInt8]) {
        let request = exchange.request
        let response = exchange.response
        line("    {", &out)
        line("      \"request\": {", &out)
        member("method", string(request.method), indent: 8, &out)
        member("target", string(request.target), indent: 8, &out)
        headers(request.headers, last: request.body.isEmpty, &out)
        body(request.body, &out)
        line("      },", &out)
        line("      \"response\": {", &out)
        member("status", String(response.status), indent: 8, &out)
        if let reason = response.reason { member("reason", string(reason), indent: 8, &out) }
        headers(response.headers, last: response.body.isEmpty, &out)
        body(response.body, &out)
        var tail: [String] = []
        if let date = exchange.recordedAt { tail.append("\"recorded_at\": " + string(TapeTimestamp.string(from: date))) }
        if let duration = exchange.duration { tail.append("\"duration_ms\": " + milliseconds(duration)) }
        line(tail.isEmpty ? "      }" : "      },", &out)
        for (index, text) in tail.enumerated() {
            line("      " + text + (index == tail.count - 1 ? "" : ","), &out)
        }
        out += Array("    }".utf8)
    }

    private static func line(_ text: String, _ out: inout [UInt8]) {
        out += Array(text.utf8)
        out.append(0x0A)
    }

    private static func member(_ key: String, _ value: String, indent: Int, last: Bool = false, _ out: inout [UInt8]) {
        line(String(repeating: " ", count: indent) + "\"\(key)\": " + value + (last ? "" : ","), &out)
    }

    private static func string(_ text: String) -> String {
        var out: [UInt8] = []
        JSONLayout.writeString(text, ascii: false, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    private static func headers(_ headers: [TapeHeader], last: Bool, _ out: inout [UInt8]) {
        guard !headers.isEmpty else {
            member("headers", "[]", indent: 8, last: last, &out)
            return
        }
        line("        \"headers\": [", &out)
        for (index, header) in headers.enumerated() {
            let comma = index == headers.count - 1 ? "" : ","
            line("          [" + string(header.name) + ", " + string(header.value) + "]" + comma, &out)
        }
        line(last ? "        ]" : "        ],", &out)
    }

    private static func body(_ bytes: [UInt8], _ out: inout [UInt8]) {
        switch TapeBody(bytes: bytes) {
        case nil:
            return
        case .text(let text):
            line("        \"body\": {\"text\": " + string(text) + "}", &out)
        case .base64(let text):
            line("        \"body\": {\"base64\": \"" + text + "\"}", &out)
        case .json(let value, let layout):
            line("        \"body\": {", &out)
            member("layout", string(layout.description), indent: 10, &out)
            out += Array("          \"json\": ".utf8)
            let pretty = JSONLayout(base: .indent2)
            pretty.write(value, depth: 0, margin: Array(String(repeating: " ", count: 10).utf8), to: &out)
            out.append(0x0A)
            line("        }", &out)
        }
    }

    /// The duration in milliseconds with at most three decimals (microseconds), e.g. `12.5`.
    static func milliseconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let micros = seconds * 1_000_000 + attoseconds / 1_000_000_000_000
        let sign = micros < 0 ? "-" : ""
        let magnitude = micros.magnitude
        var text = sign + String(magnitude / 1000)
        let fraction = magnitude % 1000
        if fraction != 0 {
            var digits = String(fraction)
            digits = String(repeating: "0", count: 3 - digits.count) + digits
            while digits.hasSuffix("0") { digits.removeLast() }
            text += "." + digits
        }
        return text
    }
}
