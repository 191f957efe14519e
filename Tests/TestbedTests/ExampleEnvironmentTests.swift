import Foundation
import Testing

/// Every manifest in environments/ starts for real and passes its own check, through the CLI.
@Suite struct ExampleEnvironmentTests {
    static let examples: [(manifest: String, check: [String])] = [
        ("environments/app.yml", ["python3", "environments/app/smoke_test.py"]),
        ("environments/stack.yml", ["sh", "environments/stack/check.sh"]),
        ("environments/notes.yml", ["sh", "-c", #"[ "$(sqlite3 "$NOTES_DB" 'SELECT count(*) FROM notes')" = 3 ]"#]),
        ("environments/web.yml", ["python3", "-c", "import os, urllib.request; assert b'Hello' in urllib.request.urlopen(os.environ['WEB_URL'] + '/index.html').read()"]),
        ("environments/bench-three-tcp.yml", ["true"]),
        ("environments/web-stack.yml", ["python3", "environments/web-stack/smoke_test.py"]),
        ("environments/faults.yml", ["python3", "environments/faults/check.py"]),
        ("environments/tapes-weather.yml", ["python3", "environments/tapes-weather/check.py"]),
        ("environments/mixed.yml", ["python3", "environments/mixed/check.py"]),
    ]

    @Test(arguments: examples.map(\.manifest))
    func exampleStartsAndPassesItsCheck(manifest: String) async throws {
        let check = Self.examples.first { $0.manifest == manifest }!.check
        if manifest == "environments/mixed.yml" {
            // Its container needs podman and the image, built for the account running the tests.
            guard ContainerTestImage.podmanAvailable else { return }
            try ContainerTestImage.ensure()
        }
        let mark = "TESTBED_TEST_MARK=\(UUID().uuidString)"
        let running = try CLI.Running(["run", CLI.packageRoot + "/" + manifest, "--"] + check, mark: mark,
                                      workingDirectory: CLI.packageRoot)
        let result = await running.wait()
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(await eventually { processesWithEnvironmentEntry(mark).isEmpty })
    }

    @Test func everyExampleIsCovered() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: CLI.packageRoot + "/environments").filter { $0.hasSuffix(".yml") }
        #expect(Set(files.map { "environments/" + $0 }) == Set(Self.examples.map(\.manifest)))
    }
}
