import Foundation
import Testing
@testable import Testbed
@testable import TestbedModel
@testable import TestbedSeed

/// Problems that must point the right way: where they are, what the user wrote, and what to
/// do — and what `validate` must find before a start.
@Suite struct ManifestDiagnosticsTests {
    static func parse(_ yaml: String, directory: String = "/tmp") -> ManifestError? {
        do {
            _ = try ManifestLoader.parse(yaml: yaml, path: "m.yml", directory: directory)
            return nil
        } catch {
            return error
        }
    }

    @Test func aTypoOfCommandIsReportedInsteadOfNothingToRun() throws {
        let error = try #require(Self.parse("services:\n  a:\n    comand: [sleep, 1]\n"))
        #expect(error.problems.contains { $0.message.contains("unknown key 'comand'") && $0.hint == "did you mean 'command'?" })
        #expect(!error.problems.contains { $0.message.contains("nothing to run") }, "\(error)")
        // Another typo still says the service has nothing to run, and the typo too.
        let other = try #require(Self.parse("services:\n  a:\n    ports: [http]\n    stop_signl: TERM\n"))
        #expect(other.problems.contains { $0.message.contains("nothing to run") })
        #expect(other.problems.contains { $0.message.contains("unknown key 'stop_signl'") })
    }

    @Test func anUnknownKeyOfAServiceNamesTheServiceOnceWithItsLineAndASuggestion() throws {
        let error = try #require(Self.parse("services:\n  app:\n    command: [sleep, 1]\n    enviroment: {A: b}\n    build: x\n"))
        let text = error.description
        #expect(text.contains("m.yml:4:5: error: service 'app': unknown key 'enviroment'\n    hint: did you mean 'environment'?"), "\(text)")
        #expect(text.contains("m.yml:5:5: error: service 'app': 'build' is not supported: "), "\(text)")
        #expect(!text.contains("in service 'app'"), "\(text)")
        let scalar = try #require(Self.parse("services:\n  app: redis\n"))
        #expect(scalar.description.contains("m.yml:2:") && !scalar.description.contains("service 'app': service 'app'"), "\(scalar)")
    }

    @Test func everyProblemStartsWithFileLineAndColumn() throws {
        let folder = try TemporaryFolder()
        let missing = #expect(throws: ManifestError.self) { try ManifestLoader.load(path: folder.path + "/nope.yml") }
        #expect(missing?.description.hasPrefix(folder.path + "/nope.yml:1:1: error: the manifest does not exist") == true)

        let file = folder.path + "/latin1.yml"
        try Data("services:\n  a:\n    command: caf\u{E9}\n".utf8).write(to: URL(fileURLWithPath: file))
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
        bytes.replaceSubrange(bytes.count - 3..<bytes.count - 1, with: [0xE9])  // Latin-1 é
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        let latin1 = #expect(throws: ManifestError.self) { try ManifestLoader.load(path: file) }
        #expect(latin1?.problems.first?.location == SourceLocation(file: file, line: 3, column: 17), "\(String(describing: latin1))")
        #expect(latin1?.description.hasPrefix(file + ":3:17: error: the manifest is not UTF-8 text") == true)

        // No location inside the message, none missing, and never `error:` twice on a line.
        let empty = try #require(Self.parse(""))
        #expect(empty.description.hasPrefix("m.yml:1:1: error: "))
        let control = try #require(Self.parse("services:\n  a:\n    command: \"x\u{7}\"\n"))
        let problem = try #require(control.problems.first)
        #expect(problem.location.line == 3 && problem.location.column > 1, "\(problem)")
        #expect(problem.message.range(of: #"\d+:\d+"#, options: .regularExpression) == nil, "\(problem)")
    }

    @Test func aDuplicateKeyNamesTheDuplicatesLineAndTheFirst() throws {
        let error = try #require(Self.parse("services:\n  a:\n    command: x\n    ports: [p]\n\n    command: y\n"))
        let problem = try #require(error.problems.first)
        #expect(problem.location.line == 6 && problem.location.column == 5, "\(problem)")
        #expect(problem.message.contains("first at line 3"))
    }

    @Test func reservedNamesSayWhy() throws {
        let error = try #require(Self.parse("services:\n  self:\n    command: x\n"))
        let text = error.description
        #expect(text.contains("the service name 'self' is reserved"))
        #expect(!text.contains("(it is used in ${run.dir})"))
    }

    @Test func aServicePrefixIsNeverDoubled() {
        let problem = ManifestProblem(SourceLocation(file: "m.yml", line: 2, column: 3), service: "db",
                                      "service 'db': the database path must be absolute")
        #expect(problem.description == "m.yml:2:3: error: service 'db': the database path must be absolute")
        let seed = SeedError(service: "db", file: "t.json", line: 3, message: "bad")
        let wrapped = EnvironmentError(.seedFailed, service: "db", seed.description)
        #expect(wrapped.description.hasPrefix("service 'db': seeding failed at t.json:3: bad"), "\(wrapped)")
    }

    @Test func anUnsetVariableThatTheServiceSetsItselfSaysWhereDollarBraceReads() throws {
        let manifest = try ManifestLoader.parse(yaml: """
            services:
              a:
                command: "echo ${GREETING}"
                environment:
                  GREETING: hello
            """, path: "m.yml", directory: "/tmp")
        let resolver = Resolver(manifest: manifest, environment: [:], values: [:])
        guard let process = manifest.services[0].kind as? ProcessSpec else { Issue.record("a process"); return }
        let problem = #expect(throws: ManifestProblem.self) { try resolver.argv(process.command, service: "a") }
        let text = problem?.description ?? ""
        #expect(text.contains("environment testbed runs in"), "\(text)")
        #expect(text.contains("$$GREETING"), "\(text)")
        #expect(!text.contains("write ${GREETING:-default}"), "a default is the wrong way out here: \(text)")
    }

    @Test func dotEnvFeedsInterpolationAndTheCallerWins() throws {
        let folder = try TemporaryFolder()
        try folder.write(".env", """
            # comment
            export FIXTURES=fixtures
            NAME="a \\"quoted\\" value"
            PLAIN = spaced # trailing comment
            LITERAL='$HOME and ${X}'
            """)
        try folder.write("fixtures/schema.sql", "CREATE TABLE t (id INTEGER);\n")
        let path = try folder.write("m.yml", """
            services:
              db:
                sqlite: {}
                seed:
                  - sql: ${FIXTURES}/schema.sql
            exports:
              A: ${NAME}
              B: ${PLAIN}
              C: ${LITERAL}
            """)
        let manifest = try ManifestLoader.load(path: path)
        #expect(manifest.dotEnv["NAME"] == "a \"quoted\" value")
        #expect(manifest.dotEnv["PLAIN"] == "spaced")
        #expect(manifest.dotEnv["LITERAL"] == "$HOME and ${X}")
        let resolver = Resolver(manifest: manifest, environment: ["PLAIN": "from the caller"], values: [:])
        #expect(try resolver.resolve(manifest.exports[1].value) == "from the caller")
        #expect(try resolver.resolve(manifest.exports[0].value) == "a \"quoted\" value")
        let files = try resolver.seedFiles(manifest.services[0].seed[0], of: manifest)
        let directory = URL(fileURLWithPath: folder.path).standardizedFileURL.path
        #expect(files == [directory + "/fixtures/schema.sql"])

        try folder.write(".env", "OK=1\nnot an assignment\n")
        let bad = #expect(throws: ManifestError.self) { try ManifestLoader.load(path: path) }
        #expect(bad?.problems.first?.location == SourceLocation(file: directory + "/.env", line: 2, column: 1))
    }

    @Test func preflightFindsWhatARunWouldReject() throws {
        let folder = try TemporaryFolder()
        try folder.write("schema.sql", "CREATE TABLE t (id INTEGER);\n")
        let path = try folder.write("m.yml", """
            services:
              api:
                command: [echo, "${TESTBED_TEST_SURELY_UNSET}"]
                working_dir: no-such-folder
              job:
                command: "echo ${TESTBED_TEST_REQUIRED:?give the API key}"
                working_dir: ${run.dir}
              db:
                sqlite: {}
                seed:
                  - sql: ${TESTBED_TEST_DIR:-.}/schema.sql
                  - sql: ${TESTBED_TEST_DIR:-.}/missing.sql
            exports:
              URL: ${TESTBED_TEST_URL}
              FINE: ${TESTBED_TEST_URL:-none}
            """)
        let error = #expect(throws: ManifestError.self) { try ManifestLoader.validate(path: path, environment: [:]) }
        let problems = error?.problems ?? []
        #expect(problems.map(\.location.line) == [3, 4, 6, 12, 14], "\(String(describing: error))")
        #expect(problems.contains { $0.message.contains("TESTBED_TEST_SURELY_UNSET is not set") })
        #expect(problems.contains { $0.message.contains("working_dir 'no-such-folder' is not an existing folder") })
        #expect(problems.contains { $0.message.contains("give the API key") })
        #expect(problems.contains { $0.message.contains("missing.sql does not exist") })
        #expect(error?.description.split(separator: "\n").filter { !$0.hasPrefix("    ") && !$0.hasSuffix("found") }
            .allSatisfy { $0.hasPrefix(Substring(path)) } == true)

        try FileManager.default.createDirectory(atPath: folder.path + "/no-such-folder", withIntermediateDirectories: true)
        try folder.write("missing.sql", "\n")
        let environment = ["TESTBED_TEST_SURELY_UNSET": "x", "TESTBED_TEST_REQUIRED": "k", "TESTBED_TEST_URL": "u"]
        #expect(throws: Never.self) { try ManifestLoader.validate(path: path, environment: environment) }
    }
}
