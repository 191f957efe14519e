import Foundation
import Testing
@testable import Testbed
@testable import TestbedTapes

/// `testbed verify` run as a user runs it: against a URL, against a service of a manifest,
/// and a manifest's `verify:` list (the provider's CI job, and the regression test made of
/// recorded inbound traffic), with its exit statuses and `--json`.
@Suite(.serialized) struct VerifyCLITests {
    /// A folder with the recorded tape at `orders.tape.json`.
    func folderWithTape() async throws -> String {
        let folder = try makeTemporaryDirectory()
        try await VerifyProvider.recordedTape().write(to: URL(fileURLWithPath: folder + "/orders.tape.json"))
        return folder
    }

    @Test func againstAURLTheUnchangedProviderPassesAndARenamedFieldFails() async throws {
        let folder = try await folderWithTape()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let tape = folder + "/orders.tape.json"
        let credential = ["--header", "Authorization: Bearer s3cret"]
        let kept = try await VerifyProvider.with("unchanged") { url in try await CLI.run(["verify", tape, "--against", url] + credential) }
        #expect(kept.status == 0, "\(kept.stdout)\(kept.stderr)")
        #expect(kept.stdout.contains("  ok      GET /orders/1 → 200"))
        #expect(kept.stdout.contains("3 exchanges: 3 kept the contract, 0 broke it"))

        let (broken, json) = try await VerifyProvider.with("renamed") { url in
            (try await CLI.run(["verify", tape, "--against", url] + credential),
             try await CLI.run(["verify", tape, "--against", url, "--json"] + credential))
        }
        #expect(broken.status == 1, "\(broken.stdout)\(broken.stderr)")
        #expect(broken.stdout.contains("  BROKEN  GET /orders/1 → 200\n            $.customer.name: missing (recorded string)"))
        #expect(broken.stdout.contains("note: $.customer.full_name: new field (string)"))
        #expect(broken.stdout.hasSuffix("contract broken\n"))

        #expect(json.status == 1)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(document["version"] as? Int == 1 && document["broken"] as? Bool == true)
        let report = try #require((document["reports"] as? [[String: Any]])?.first)
        let exchanges = try #require(report["exchanges"] as? [[String: Any]])
        #expect(exchanges.map { $0["broken"] as? Bool } == [true, true, true])
        let first = try #require((exchanges[1]["differences"] as? [[String: Any]])?.first { $0["breaking"] as? Bool == true })
        #expect(first["kind"] as? String == "missing" && first["path"] as? String == "$.customer.name")
    }

    @Test func againstAServiceOfAManifestWithLearning() async throws {
        let folder = try await folderWithTape()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try VerifyProvider.manifest("removed").write(toFile: folder + "/removed.yml", atomically: true, encoding: .utf8)
        try VerifyProvider.manifest("unchanged").write(toFile: folder + "/unchanged.yml", atomically: true, encoding: .utf8)
        let tape = folder + "/orders.tape.json"
        let removed = try await CLI.run(["verify", tape, "--against", "api", "--manifest", folder + "/removed.yml",
                                         "--header", "Authorization: Bearer s3cret"])
        #expect(removed.status == 1, "\(removed.stdout)\(removed.stderr)")
        #expect(removed.stdout.contains("  BROKEN  GET /orders/1 → 404\n            endpoint removed: recorded 200, now 404 Not Found"))

        let learned = try await CLI.run(["verify", tape, "--against", "api", "--manifest", folder + "/unchanged.yml",
                                         "--header", "Authorization: Bearer s3cret", "--values", "--learn"])
        #expect(learned.status == 0, "\(learned.stdout)\(learned.stderr)")
        #expect(learned.stdout.contains("learned volatile fields (they differed between two replays): $.created_at, $.orders[*].created_at, $.orders[*].request_id, $.request_id"))
        let unlearned = try await CLI.run(["verify", tape, "--against", "api", "--manifest", folder + "/unchanged.yml",
                                           "--header", "Authorization: Bearer s3cret", "--values", "--ignore", "$.request_id"])
        #expect(unlearned.status == 1)
        #expect(unlearned.stdout.contains("$.created_at: recorded \""))
        #expect(!unlearned.stdout.contains("$.request_id: recorded"))
    }

    /// The regression test made of real usage: a tape of the app's inbound traffic (what
    /// its clients sent and got, as an HTTP link in front of the app records it), checked
    /// against the next build of the app by a `verify:` entry of the app's own manifest.
    @Test func aManifestsVerifyListChecksTheNextBuildOfTheApp() async throws {
        let folder = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let inbound = try await VerifyProvider.with("unchanged") { url in
            Tape(exchanges: try await VerifyProvider.record(Array(VerifyProvider.requests.prefix(2)), from: url))
        }
        try inbound.write(to: URL(fileURLWithPath: folder + "/inbound.tape.json"))
        let entry = """
            verify:
              - tape: inbound.tape.json
                against: api
                ignore: [$.request_id]
            """
        for build in ["unchanged", "retyped"] {
            try VerifyProvider.manifest(build, extra: entry).write(toFile: folder + "/\(build).yml", atomically: true, encoding: .utf8)
        }
        try (VerifyProvider.manifest("unchanged") + """
            verify:
              - tape: inbound.tape.json
                against: "${api.url}"
                ignore: ["$.request_id", "$.items[*].created_at"]  # quoted: [ ] * are YAML syntax in a flow list
                values: false
                learn: true
                fail_on_new_fields: false
                headers: {Authorization: "Bearer ${TOKEN:-none}"}
                timeout: 10s
            """).write(toFile: folder + "/every-key.yml", atomically: true, encoding: .utf8)
        let schema = try await SchemaTests.validate([folder + "/unchanged.yml", folder + "/every-key.yml"])
        #expect(schema.status == 0, "\(schema.output)")
        try (VerifyProvider.manifest("unchanged") + "verify:\n  - {tape: inbound.tape.json, against: api, learn: yes please}\n")
            .write(toFile: folder + "/wrong.yml", atomically: true, encoding: .utf8)
        #expect(try await SchemaTests.validate([folder + "/wrong.yml"]).status == 1)
        let everyKey = try await CLI.run(["verify", folder + "/every-key.yml"])
        #expect(everyKey.status == 0, "\(everyKey.stdout)\(everyKey.stderr)")

        let next = try await CLI.run(["verify", folder + "/unchanged.yml"])
        #expect(next.status == 0, "\(next.stdout)\(next.stderr)")
        #expect(next.stdout.contains("verify inbound.tape.json against http://127.0.0.1:"))

        let regressed = try await CLI.run(["verify", folder + "/retyped.yml", "--json"])
        #expect(regressed.status == 1, "\(regressed.stdout)\(regressed.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(regressed.stdout.utf8)) as? [String: Any])
        let messages = ((document["reports"] as? [[String: Any]])?.first?["exchanges"] as? [[String: Any]])?
            .flatMap { ($0["differences"] as? [[String: Any]]) ?? [] }.compactMap { $0["message"] as? String }
        #expect(messages == ["$.orders[0].items[0].price: recorded number, now string (in 4 elements)",
                             "$.items[0].price: recorded number, now string (in 2 elements)"])

        // `testbed run` checks the list too, before the command, and does not run it on a broken contract.
        let marker = folder + "/ran"
        let run = try await CLI.run(["run", folder + "/retyped.yml", "--", "touch", marker])
        #expect(run.status == 125, "\(run.stderr)")
        #expect(run.stderr.contains("$.items[0].price: recorded number, now string"))
        #expect(run.stderr.contains("a contract of the verify: list is broken; the command was not run"))
        #expect(!FileManager.default.fileExists(atPath: marker))
        let passing = try await CLI.run(["run", folder + "/unchanged.yml", "--", "touch", marker])
        #expect(passing.status == 0, "\(passing.stderr)")
        #expect(FileManager.default.fileExists(atPath: marker))
    }

    @Test func errorsThatStopTheCheckAreNotABrokenContract() async throws {
        let folder = try await folderWithTape()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let tape = folder + "/orders.tape.json"
        let notURL = try await CLI.run(["verify", tape, "--against", "ftp://example.com"])
        #expect(notURL.status == 2 && notURL.stderr.contains("is not a provider address"))
        try "not a tape".write(toFile: folder + "/bad.json", atomically: true, encoding: .utf8)
        let badTape = try await CLI.run(["verify", folder + "/bad.json", "--against", "http://127.0.0.1:9"])
        #expect(badTape.status == 2 && badTape.stderr.contains("bad.json"), "\(badTape.stderr)")
        let badPath = try await CLI.run(["verify", tape, "--against", "http://127.0.0.1:9", "--ignore", "$.a[x]"])
        #expect(badPath.status == 64 && badPath.stderr.contains("invalid JSON path '$.a[x]'"))
        let flagsWithoutTape = try await CLI.run(["verify", tape, "--values"])
        #expect(flagsWithoutTape.status == 64)
        try VerifyProvider.manifest("unchanged", extra: "verify:\n  - {tape: missing.json, against: apj}")
            .write(toFile: folder + "/wrong.yml", atomically: true, encoding: .utf8)
        let wrong = try await CLI.run(["verify", folder + "/wrong.yml"])
        #expect(wrong.status == 2)
        #expect(wrong.stderr.contains("'against: apj' is neither a service nor an http(s) URL"), "\(wrong.stderr)")
        #expect(wrong.stderr.contains("did you mean 'api'?"))
        #expect(wrong.stderr.contains("the tape 'missing.json' does not exist"))
    }
}
