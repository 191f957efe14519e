import Foundation
import Testing
@testable import Testbed
@testable import TestbedModel

@Suite struct ManifestLoaderTests {
    @Test func readsComposeStyleDependenciesAndJobs() throws {
        let yaml = """
            name: shop
            services:
              db:
                sqlite: {}
              migrate:
                command: [./migrate, "${db.path}"]
                depends_on:
                  db: {condition: service_healthy}
              api:
                command: python3 app.py
                ports: [http]
                stop_signal: SIGINT
                stop_grace_period: 2s
                depends_on:
                  migrate: {condition: service_completed_successfully}
                  db: started
                healthcheck:
                  http: /health
                  port: http
                  interval: 20ms
            exports:
              API_URL: http://127.0.0.1:${api.ports.http}
            """
        let manifest = try ManifestLoader.parse(yaml: yaml, path: "shop.yml", directory: "/tmp")
        #expect(manifest.name == "shop")
        #expect(manifest.services.map(\.name) == ["db", "migrate", "api"])
        #expect(manifest.service(named: "migrate")?.isJob == true)
        let api = try #require(manifest.service(named: "api"))
        #expect(api.dependsOn.map(\.condition) == [.completedSuccessfully, .started])
        #expect(api.healthcheck?.timing.interval == .milliseconds(20))
        guard let process = api.kind as? ProcessSpec else { Issue.record("api is not a process"); return }
        #expect(process.stopSignal == SIGINT)
        #expect(process.stopGracePeriod == .seconds(2))
        guard case .shell(let command) = process.command else { Issue.record("a string command runs through the shell"); return }
        #expect(command.source == "python3 app.py")
        #expect(manifest.exports.map(\.name) == ["API_URL"])
    }

    @Test func everyExampleEnvironmentIsValid() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let folder = root.appendingPathComponent("environments").path
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".yml") }
        #expect(!files.isEmpty)
        for file in files {
            #expect(throws: Never.self, "\(file)") { try ManifestLoader.load(path: folder + "/" + file) }
        }
    }
}

