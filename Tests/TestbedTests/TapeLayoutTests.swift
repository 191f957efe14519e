import Foundation
import Testing
@testable import Testbed
@testable import TestbedTapes

/// JSON bodies as real serializers write them (Python's json module in its usual settings)
/// are stored as data and come back byte for byte.
@Suite struct TapeLayoutTests {
    /// Writes one file per (document, settings) into argv[1], named after the layout expected.
    static let generator = #"""
        import json, os, sys
        documents = [
            {"id": 7, "name": "Zoë \u2603 \U0001F600", "ctl": "\x00\x1f\x7f\b\f", "path": "a/b", "n": [1.5, -0.0, 1e100, 12345678901234567890]},
            [{"nested": {"deep": [[], {}, [None, True, False]]}}, "quote\" back\\"],
            {"b": 1, "a": {"z": [1, 2, 3], "y": {"x": "é"}}},
        ]
        settings = [
            ("compact", dict(separators=(",", ":"), ensure_ascii=False)),
            ("compact+ascii", dict(separators=(",", ":"))),
            ("spaced+ascii", dict()),
            ("spaced", dict(ensure_ascii=False)),
            ("indent2+ascii", dict(indent=2)),
            ("indent4", dict(indent=4, ensure_ascii=False)),
            ("tab", dict(indent="\t", ensure_ascii=False)),
        ]
        for index, document in enumerate(documents):
            for layout, options in settings:
                for newline in (False, True):
                    text = json.dumps(document, **options) + ("\n" if newline else "")
                    name = "%d-%s%s" % (index, layout, "+newline" if newline else "")
                    with open(os.path.join(sys.argv[1], name), "wb") as file:
                        file.write(text.encode("utf-8", "surrogatepass"))
        """#

    @Test func pythonJSONRoundTripsAsData() async throws {
        let folder = try TapeFileTests.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let generated = try await onThread { try shell(SchemaTests.python + ["-c", Self.generator, folder.path]) }
        #expect(generated.status == 0, "\(generated.output)")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(names.count == 42)
        for name in names {
            let bytes = [UInt8](try Data(contentsOf: folder.appendingPathComponent(name)))
            let expected = String(name.drop { $0 != "-" }.dropFirst())
            guard case .json(let node, let layout)? = TapeBody(bytes: bytes) else {
                Issue.record("\(name) is not stored as JSON data")
                continue
            }
            // A document without non-ASCII text reads the same with or without +ascii.
            #expect(layout.description == expected || layout.description == expected.replacingOccurrences(of: "+ascii", with: ""),
                    "\(name): detected \(layout)")
            #expect(layout.bytes(of: node) == bytes, "\(name)")
            let tapeURL = folder.appendingPathComponent("tape-\(name).json")
            let tape = Tape(exchanges: [TapeExchange(request: TapeRequest(method: "GET", target: "/"),
                                                     response: TapeResponse(status: 200, body: bytes))])
            try tape.write(to: tapeURL)
            #expect(try Tape.load(from: tapeURL).exchanges.first?.response.body == bytes, "\(name)")
        }
    }
}
