import Foundation
import Testing
@testable import Testbed
@testable import TestbedModel

/// The manifest's `verify:` list: what is read, and what validation reports with its line.
@Suite struct VerifyManifestTests {
    let services = """
        services:
          api: {command: [python3, -m, http.server, "${api.ports.http}"], ports: [http]}
        links:
          api-link: {to: api}

        """

    /// Parses `yaml` after the services, in a folder that holds `web.tape.json`.
    func load(_ yaml: String) throws(ManifestError) -> Manifest {
        let folder = NSTemporaryDirectory() + "verify-manifest-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        _ = FileManager.default.createFile(atPath: folder + "/web.tape.json", contents: Data())
        return try ManifestLoader.parse(yaml: services + yaml, path: "shop.yml", directory: folder)
    }

    @Test func everyKeyIsRead() throws {
        let manifest = try load("""
            verify:
              - tape: web.tape.json
                against: api-link
                ignore: ["$.id", "$.items[*].at"]
                values: true
                learn: true
                fail_on_new_fields: true
                headers: {Authorization: "Bearer ${TOKEN:-x}"}
                timeout: 5s
              - {tape: web.tape.json, against: "${api.url}/v2"}
            """)
        #expect(manifest.verify.count == 2)
        let first = manifest.verify[0]
        #expect(first.tape == "web.tape.json" && first.against.source == "api-link")
        #expect(first.ignore == ["$.id", "$.items[*].at"])
        #expect(first.values && first.learn && first.failOnNewFields)
        #expect(first.headers.map(\.name) == ["Authorization"] && first.timeout == .seconds(5))
        #expect(first.location.line == 6)
        #expect(manifest.verify[1].against.referencedServices == ["api"] && !manifest.verify[1].values)
    }

    @Test func problemsAreReportedAtTheirLines() {
        let error = #expect(throws: ManifestError.self) {
            try load("""
                verify:
                  - {tape: web.tape.json, against: apu}
                  - {tape: nope.json, against: "http://127.0.0.1:1"}
                  - {tape: web.tape.json}
                  - {tape: web.tape.json, against: api, ignore: ["$.a[x]"], lern: true}
                  - {tape: web.tape.json, against: "${db.url}"}
                """)
        }
        let lines = error?.problems.map { "\($0.location.line): \($0.message)" } ?? []
        #expect(lines.contains("6: verify: 'against: apu' is neither a service nor an http(s) URL"), "\(lines)")
        #expect(error?.problems.first { $0.location.line == 6 }?.hint == "did you mean 'api'?")
        #expect(lines.contains("7: verify: the tape 'nope.json' does not exist"), "\(lines)")
        #expect(lines.contains("8: an entry of verify needs 'tape' and 'against'"), "\(lines)")
        #expect(lines.contains { $0.hasPrefix("9: ") && $0.contains("invalid JSON path '$.a[x]'") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("9: ") && $0.contains("lern") }, "\(lines)")
        #expect(lines.contains("10: verify: '${db.…}' names no service or link"), "\(lines)")
    }
}
