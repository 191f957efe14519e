import Foundation
import Testing
@testable import Testbed
@testable import TestbedSystem
@testable import TestbedModel

/// What a manifest link exposes and reads, from manifest to plan: the target's values at
/// the link's address (its `url` and `ports.NAME` too), and `${VAR}` in an HTTP link's
/// `to:` and `tape:`.
@Suite struct LinkValuesTests {
    private func plan(_ yaml: String, environment: [String: String] = [:]) throws -> (EnvironmentPlan, String) {
        let directory = try makeTemporaryDirectory()
        let manifest = try ManifestLoader.parse(yaml: yaml, path: directory + "/m.yml", directory: directory)
        let plan = try EnvironmentPlan(manifest: manifest, runDirectory: RunDirectory(path: directory + "/run"),
                                       environment: ["PATH": "/usr/bin:/bin"].merging(environment) { $1 },
                                       cacheRoot: directory + "/cache",
                                       portAllocator: PortAllocator(lockDirectory: try makeTemporaryDirectory()))
        return (plan, directory)
    }

    @Test func aLinkToAProcessHasItsPortsNameAndTheTargetsURLAtTheLinksAddress() throws {
        let (plan, _) = try plan("""
            services:
              api:
                command: [sleep, "60"]
                ports: [http]
                url: http://user:p%40ss@127.0.0.1:${api.ports.http}/v1?x=1
            links:
              api-link: {to: api}
            exports:
              LINK_URL: ${api-link.url}
              LINK_PORT: ${api-link.ports.http}
            """)
        defer { plan.releasePorts() }
        let link = try #require(plan.links.first)
        let port = link.reservation.port
        #expect(plan.exports["LINK_PORT"] == String(port))
        #expect(plan.exports["LINK_URL"] == "http://user:p%40ss@127.0.0.1:\(port)/v1?x=1")
        #expect(link.values["url"] == plan.exports["LINK_URL"])
        #expect(plan.values["api"]?["url"] == "http://user:p%40ss@127.0.0.1:\(link.upstream.port)/v1?x=1", "the target keeps its own")
    }

    @Test func aLinkToAPresetHasThePresetsURLAtTheLinksAddress() throws {
        let (plan, _) = try plan("""
            services:
              cache: {redis: {}}
            links:
              cache-link: cache
            exports:
              CACHE_URL: ${cache-link.url}
            """)
        defer { plan.releasePorts() }
        let link = try #require(plan.links.first)
        let url = try #require(plan.exports["CACHE_URL"])
        #expect(url.hasPrefix("redis://") && url.contains("127.0.0.1:\(link.reservation.port)/"), "\(url)")
        #expect(!url.contains(":\(link.upstream.port)"), "\(url)")
    }

    @Test func aLinkToAProcessWithoutAURLHasNone() throws {
        let yaml = """
            services:
              api: {command: [sleep, "60"], ports: [http]}
            links:
              api-link: {to: api.ports.http}
            exports:
              LINK_URL: ${api-link.url}
            """
        let error = #expect(throws: ManifestError.self) { try ManifestLoader.parse(yaml: yaml, path: "m.yml", directory: "/tmp") }
        #expect(error?.description.contains("m.yml:6:13: error: '${api-link.url}': link 'api-link' has no value 'url'") == true,
                "\(error?.description ?? "")")
    }

    @Test func aURLIsRewrittenOnlyAtThePortTheLinkFronts() {
        #expect(EnvironmentPlan.url("postgresql://u:p@127.0.0.1:6432/db", fronting: 6432, at: "127.0.0.1:9") == "postgresql://u:p@127.0.0.1:9/db")
        #expect(EnvironmentPlan.url("redis://:s%40c@localhost:6379", fronting: 6379, at: "127.0.0.1:9") == "redis://:s%40c@127.0.0.1:9")
        #expect(EnvironmentPlan.url("http://127.0.0.1:8081/admin", fronting: 8080, at: "127.0.0.1:9") == nil)
        #expect(EnvironmentPlan.url("http://[::1]/x", fronting: 80, at: "127.0.0.1:9") == nil)
        #expect(EnvironmentPlan.url("not a url", fronting: 80, at: "127.0.0.1:9") == nil)
    }

    private static let external = """
        services: {}
        links:
          payments:
            to: ${PAYMENTS_URL:-https://api.example.com/v1}
            http: {tape: "${TAPES:-tapes}/payments.json", mode: record}
        """

    @Test func anHTTPLinksToAndTapeReadEnvironmentVariables() throws {
        let (defaults, directory) = try plan(Self.external)
        defer { defaults.releasePorts() }
        let settings = try #require(defaults.links.first?.http)
        #expect(settings.upstream == HTTPUpstreamURL(scheme: "https", host: "api.example.com", port: 443, basePath: "/v1"))
        #expect(settings.tape == directory + "/tapes/payments.json")

        let (set, _) = try plan(Self.external, environment: ["PAYMENTS_URL": "http://127.0.0.1:8099/api", "TAPES": "/srv/tapes"])
        defer { set.releasePorts() }
        let other = try #require(set.links.first?.http)
        #expect(other.upstream == HTTPUpstreamURL(scheme: "http", host: "127.0.0.1", port: 8099, basePath: "/api"))
        #expect(other.tape == "/srv/tapes/payments.json")
    }

    @Test func anUnsetVariableInAnHTTPLinksToIsALocatedError() throws {
        let yaml = """
            services: {}
            links:
              payments:
                to: ${PAYMENTS_URL}
                http: {tape: "${TAPE_DIR}/p.json"}
            """
        let error = #expect(throws: ManifestError.self) { try plan(yaml) }
        let text = error?.description ?? ""
        #expect(text.contains(":4:9: error: link 'payments': environment variable PAYMENTS_URL is not set"), "\(text)")
        #expect(text.contains(":5:18: error: link 'payments': environment variable TAPE_DIR is not set"), "\(text)")
        // validate (preflight) finds the same before anything is reserved.
        let directory = try makeTemporaryDirectory()
        let manifest = try ManifestLoader.parse(yaml: yaml, path: directory + "/m.yml", directory: directory)
        let problems = manifest.preflight(environment: [:]).map(\.description)
        #expect(problems.contains { $0.contains(":4:9: error: link 'payments': environment variable PAYMENTS_URL") }, "\(problems)")

        let notURL = #expect(throws: ManifestError.self) { try plan(yaml, environment: ["PAYMENTS_URL": "db", "TAPE_DIR": "t"]) }
        #expect(notURL?.description.contains("link 'payments': 'to: ${PAYMENTS_URL}' is 'db', which is not an http(s) base URL") == true,
                "\(notURL?.description ?? "")")
    }

    @Test func variablesInATCPLinksToOrServiceValuesAreRefused() {
        let tcp = "services:\n  db: {postgres: {}}\nlinks:\n  l: {to: \"${TARGET:-db}\"}\n"
        let error = #expect(throws: ManifestError.self) { try ManifestLoader.parse(yaml: tcp, path: "m.yml", directory: "/tmp") }
        #expect(error?.description.contains("m.yml:4:11: error: link 'l': 'to: ${TARGET:-db}' uses ${…}, which only an HTTP link's URL may") == true,
                "\(error?.description ?? "")")
        let values = "services: {}\nlinks:\n  l: {to: \"${run.dir}\", http: true}\n"
        let refused = #expect(throws: ManifestError.self) { try ManifestLoader.parse(yaml: values, path: "m.yml", directory: "/tmp") }
        #expect(refused?.description.contains("'${run.dir}' is a service's or the run's value") == true, "\(refused?.description ?? "")")
    }
}
