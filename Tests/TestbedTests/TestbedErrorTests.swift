import Testing
@testable import Testbed
@testable import TestbedSystem
@testable import TestbedModel
@testable import TestbedSeed
@testable import TestbedLinks
@testable import TestbedDrivers

/// Every error Testbed throws reads the same way: its message, then its hint on its own line.
@Suite struct TestbedErrorTests {
    @Test func anErrorWithAHintShowsItOnItsOwnLineAfterTheMessage() {
        let error = PathTrustError(.writableByOthers, path: "/tmp/x", "/tmp/x is writable by others",
                                   hint: "make it private (chmod 700 /tmp/x)")
        #expect(error.description == "/tmp/x is writable by others\n    hint: make it private (chmod 700 /tmp/x)")
        #expect(PathTrustError(.symlink, path: "/tmp/x", "/tmp/x is a symlink", hint: nil).description == "/tmp/x is a symlink")
    }

    @Test func anErrorWithoutAHintIsItsMessage() {
        #expect(LinkError(.unknownLink, "no link named 'db'").description == "no link named 'db'")
        #expect(ToxiproxyError(status: 404, "proxy not found").description == "proxy not found")
        #expect(PortError(.inUse, port: 4000, "port 4000 is in use").description == "port 4000 is in use")
        #expect(VerifyError(.invalidHeader, "not Name: value").hint == nil)
    }

    @Test func errorsThatSayMoreKeepTheHintLast() {
        let seed = SeedError(service: "db", file: "users.csv", line: 3, message: "bad row")
        #expect(seed.description == "service 'db': seeding failed at users.csv:3: bad row\n    hint: fix the fixture and run again")
        let environment = EnvironmentError(.spawnFailed, service: "api", "cannot spawn", hint: "check 'command'")
        #expect(environment.description == "service 'api': cannot spawn\n    hint: check 'command'")
        let postgres = PostgresError(code: .server, message: "syntax error", sqlstate: "42601", hint: "look at line 2")
        #expect(postgres.description == "syntax error (SQLSTATE 42601)\n    hint: look at line 2")
    }

    @Test func anyErrorGivesItsMessageAndHintThroughTheProtocol() {
        let errors: [any Error] = [
            EnvironmentError(.diskFull, "no room", hint: "free space"),
            ManifestError(problems: [ManifestProblem(SourceLocation(file: "a.yml", line: 2, column: 3), "bad key", hint: "remove it")]),
            FixtureError(file: "a.csv", line: 1, message: "unterminated quoted field"),
            ControlError(.notRunning, "no detached environment is running"),
        ]
        let read = errors.map { ($0 as? any TestbedError).map { [$0.message, $0.hint ?? "-"] } }
        #expect(read == [["no room", "free space"], ["a.yml:2:3: error: bad key\n    hint: remove it", "-"],
                         ["unterminated quoted field", "-"], ["no detached environment is running", "-"]])
        #expect(ManifestError(problems: [ManifestProblem(SourceLocation(file: "a.yml", line: 2, column: 3), "bad key")])
            .description == "a.yml:2:3: error: bad key\n1 problem found")
    }
}
