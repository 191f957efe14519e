import Foundation
import Testbed
import Testing
import TestbedTapes

/// docs/tape.schema.json accepts what Tape.write writes (every body form, reasons, timings)
/// and refuses a broken tape. Runs python3 with `jsonschema` (CI: python3-jsonschema).
@Suite struct TapeSchemaTests {
    static let validator = #"""
        import json, sys
        import jsonschema
        with open(sys.argv[1]) as file:
            validator = jsonschema.Draft202012Validator(json.load(file))
        with open(sys.argv[2]) as file:
            errors = list(validator.iter_errors(json.load(file)))
        for error in errors:
            print("/".join(str(part) for part in error.absolute_path) or "(top)", error.message)
        sys.exit(1 if errors else 0)
        """#

    static func validate(_ tape: URL) async throws -> (status: Int32, output: String) {
        let schema = SchemaTests.root + "/docs/tape.schema.json"
        return try await onThread { try shell(SchemaTests.python + ["-c", validator, schema, tape.path]) }
    }

    @Test func writtenTapesMatchTheSchema() async throws {
        let folder = try TapeFileTests.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("t.json")
        var exchanges = TapeFileTests.bodies.map { TapeFileTests.exchange(body: $0.bytes) }
        exchanges.append(TapeExchange(request: TapeRequest(method: "GET", target: "/"), response: TapeResponse(status: 204)))
        try Tape(exchanges: exchanges).write(to: url)
        let text = try String(contentsOf: url, encoding: .utf8)
        for form in ["\"layout\"", "\"text\"", "\"base64\"", "\"reason\"", "\"recorded_at\"", "\"duration_ms\""] {
            #expect(text.contains(form))
        }
        let valid = try await Self.validate(url)
        #expect(valid.status == 0, "\(valid.output)")

        try text.replacingOccurrences(of: "\"status\": 204", with: "\"status\": \"204\"")
            .replacingOccurrences(of: "\"layout\": \"compact\"", with: "\"layout\": \"sideways\"")
            .write(to: url, atomically: false, encoding: .utf8)
        let invalid = try await Self.validate(url)
        #expect(invalid.status == 1, "\(invalid.output)")
        #expect(invalid.output.contains("'204' is not of type 'integer'"))
        #expect(invalid.output.contains("exchanges/0/request/body"))
    }
}
