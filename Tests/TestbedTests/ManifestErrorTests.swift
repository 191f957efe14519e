import Foundation
import Testing
@testable import Testbed
@testable import TestbedModel

/// Each malformed manifest must produce its specific error at the right line.
@Suite struct ManifestErrorTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var yaml: String
        var line: Int
        var message: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "YAML syntax", yaml: "services:\n  web:\n    command: [a, b\n", line: 4, message: "invalid YAML"),
        Case(name: "no services", yaml: "name: x\n", line: 1, message: "has no 'services'"),
        Case(name: "unknown top-level key", yaml: "servics:\n  a: {command: x}\n", line: 1, message: "unknown key 'servics'"),
        Case(name: "unknown service key with suggestion", yaml: "services:\n  web:\n    command: x\n    helthcheck: {tcp: http}\n",
             line: 4, message: "did you mean 'healthcheck'"),
        Case(name: "services is a list", yaml: "services:\n  - web\n", line: 2, message: "services must be a mapping"),
        Case(name: "nothing to run", yaml: "services:\n  web:\n    ports: [http]\n", line: 2, message: "nothing to run"),
        Case(name: "an image and a database block", yaml: "services:\n  web:\n    image: nginx\n    sqlite: {}\n", line: 2,
             message: "not both"),
        Case(name: "unknown dependency", yaml: "services:\n  api:\n    command: x\n    depends_on: [dbb]\n  db:\n    command: y\n",
             line: 4, message: "unknown service 'dbb'"),
        Case(name: "dependency cycle", yaml: "services:\n  a:\n    command: x\n    depends_on: [b]\n  b:\n    command: y\n    depends_on: [a]\n",
             line: 4, message: "dependency cycle: a → b → a"),
        Case(name: "depends on itself", yaml: "services:\n  a:\n    command: x\n    depends_on: [a]\n", line: 4, message: "depends on itself"),
        Case(name: "bad condition", yaml: "services:\n  a:\n    command: x\n    depends_on:\n      b: {condition: service_ready}\n  b:\n    command: y\n",
             line: 5, message: "unknown condition 'service_ready'"),
        Case(name: "bad duration", yaml: "services:\n  a:\n    command: x\n    ports: [p]\n    healthcheck:\n      tcp: p\n      interval: soon\n",
             line: 7, message: "must be a duration"),
        Case(name: "undeclared health port", yaml: "services:\n  a:\n    command: x\n    ports: [http]\n    healthcheck:\n      tcp: htp\n",
             line: 6, message: "port 'htp'"),
        Case(name: "two probes", yaml: "services:\n  a:\n    command: x\n    healthcheck:\n      log: up\n      command: true\n",
             line: 6, message: "one check"),
        Case(name: "duplicate port name", yaml: "services:\n  a:\n    command: x\n    ports: [http, http]\n", line: 4,
             message: "declared twice"),
        Case(name: "numbered port", yaml: "services:\n  a:\n    command: x\n    ports: [\"8080:80\"]\n", line: 4,
             message: "named, not numbered"),
        Case(name: "unknown reference service", yaml: "services:\n  a:\n    command: [echo, \"${ap.ports.http}\"]\n", line: 3,
             message: "unknown service 'ap'"),
        Case(name: "unknown reference key", yaml: "services:\n  a:\n    command: [echo, \"${a.ports.https}\"]\n    ports: [http]\n",
             line: 3, message: "has no value 'ports.https'"),
        Case(name: "unclosed placeholder", yaml: "services:\n  a:\n    command: \"echo ${HOME\"\n", line: 3, message: "never closed"),
        Case(name: "bad stop signal", yaml: "services:\n  a:\n    command: x\n    stop_signal: SIGNOPE\n", line: 4, message: "is not a signal"),
        Case(name: "seed on a process", yaml: "services:\n  a:\n    command: x\n    seed: [a.sql]\n", line: 4,
             message: "fixtures belong to postgres and sqlite"),
        Case(name: "missing fixture file", yaml: "services:\n  db:\n    postgres: {}\n    seed:\n      - sql: nope.sql\n", line: 5,
             message: "'nope.sql' does not exist"),
        Case(name: "csv without table", yaml: "services:\n  db:\n    sqlite: {}\n    seed:\n      - csv: Package.swift\n", line: 5,
             message: "needs 'table:'"),
        Case(name: "postgres and sqlite", yaml: "services:\n  db:\n    postgres: {}\n    sqlite: {}\n", line: 2, message: "not both"),
        Case(name: "completed on a database", yaml: "services:\n  db:\n    sqlite: {}\n  a:\n    command: x\n    depends_on:\n      db: {condition: service_completed_successfully}\n",
             line: 7, message: "never completes"),
        Case(name: "reserved service name", yaml: "services:\n  run:\n    command: x\n", line: 2, message: "reserved"),
        Case(name: "bad export name", yaml: "services:\n  a: {command: x}\nexports:\n  1BAD: x\n", line: 4, message: "not a valid environment variable"),
        Case(name: "sql check on a process", yaml: "services:\n  a:\n    command: x\n    healthcheck: {sql: select 1}\n", line: 4,
             message: "needs a postgres or sqlite service"),
        Case(name: "port out of range", yaml: "services:\n  a:\n    command: x\n    ports: {http: 70000}\n", line: 4, message: "between 1 and 65535"),
        Case(name: "infinite duration", yaml: "services:\n  a:\n    command: x\n    stop_grace_period: inf\n", line: 4,
             message: "must be a duration"),
        Case(name: "CMD without a command", yaml: "services:\n  a:\n    command: x\n    healthcheck: {test: [CMD]}\n", line: 4,
             message: "needs a command after it"),
        Case(name: "port on a tcp check", yaml: "services:\n  a:\n    command: x\n    ports: [p]\n    healthcheck:\n      tcp: p\n      port: p\n",
             line: 7, message: "applies to an http check"),
        Case(name: "health check on a job", yaml: "services:\n  a:\n    command: x\n    oneshot: true\n    healthcheck: {log: done}\n",
             line: 5, message: "a one-shot job has no health check"),
        Case(name: "tcp check on postgres", yaml: "services:\n  db:\n    postgres: {}\n    healthcheck: {tcp: 5432}\n", line: 4,
             message: "applies to process services"),
        Case(name: "csv option on a sql step", yaml: "services:\n  db:\n    sqlite: {}\n    seed:\n      - sql: Package.swift\n        delimiter: ';'\n",
             line: 6, message: "does not apply to a sql step"),
        Case(name: "optional dependency", yaml: "services:\n  a:\n    command: x\n    depends_on:\n      b: {condition: service_started, required: false}\n  b: {command: y}\n",
             line: 5, message: "not supported"),
        Case(name: "typo of command", yaml: "services:\n  a:\n    comand: [sleep, 1]\n", line: 3,
             message: "did you mean 'command'?"),
        Case(name: "duplicate key names the duplicate", yaml: "services:\n  a:\n    command: x\n    ports: [p]\n    command: y\n",
             line: 5, message: "appears twice"),
        Case(name: "duplicate key in a flow mapping", yaml: "services:\n  a: {command: x, command: y}\n", line: 2,
             message: "'command' appears twice"),
        Case(name: "depends_on as a comma list", yaml: "services:\n  a:\n    command: x\n    depends_on: db, notes\n  db: {command: y}\n  notes: {command: z}\n",
             line: 4, message: "depends_on: [db, notes]"),
        Case(name: "grace period over the limit", yaml: "services:\n  a:\n    command: x\n    stop_grace_period: 1000h\n", line: 4,
             message: "at most 720h"),
        Case(name: "control character", yaml: "services:\n  a:\n    command: \"x\u{01}\"\n", line: 3, message: "invalid YAML"),
        Case(name: "fixture path with a service value", yaml: "services:\n  db:\n    sqlite: {}\n    seed:\n      - sql: ${db.path}/x.sql\n",
             line: 5, message: "cannot use '${db.path}'"),
        Case(name: "http path without port", yaml: "services:\n  a:\n    command: x\n    healthcheck: {http: /health}\n", line: 4,
             message: "needs 'port:'"),
    ]

    @Test(arguments: cases)
    func reportsTheSpecificErrorAtItsLine(_ example: Case) throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        let error = #expect(throws: ManifestError.self) {
            try ManifestLoader.parse(yaml: example.yaml, path: "bad.yml", directory: directory)
        }
        let problem = try #require(error?.problems.first { $0.message.contains(example.message) || ($0.hint ?? "").contains(example.message) },
                                   "no problem mentions \"\(example.message)\"; got: \(error?.description ?? "nothing")")
        #expect(problem.location.line == example.line, "\(problem)")
        #expect(problem.location.file == "bad.yml")
    }

    @Test func reportsEveryProblemAtOnce() throws {
        let yaml = "services:\n  a:\n    command: x\n    depends_on: [nope]\n    stop_signal: BOGUS\n  b:\n    comand: y\n"
        let error = #expect(throws: ManifestError.self) {
            try ManifestLoader.parse(yaml: yaml, path: "m.yml", directory: "/tmp")
        }
        #expect((error?.problems.count ?? 0) >= 3)
        #expect(error?.problems.map(\.location.line) == error?.problems.map(\.location.line).sorted())
    }

    @Test func unsetVariableWithoutDefaultIsAnErrorAtPlanTime() throws {
        let template = try Template(parsing: "${TESTBED_SURELY_UNSET_VARIABLE}", location: .init(file: "m.yml", line: 3, column: 5))
        let resolver = Resolver(environment: [:], values: [:])
        #expect(throws: ManifestProblem.self) { try resolver.resolve(template) }
        let withDefault = try Template(parsing: "${X:-fallback}-${Y-}-$$-$HOME-${VERSION-1.2}", location: .init(file: "m.yml", line: 1, column: 1))
        #expect(try resolver.resolve(withDefault) == "fallback--$-$HOME-1.2")
        let reference = try Template(parsing: "${my-api.ports.http}", location: .init(file: "m.yml", line: 1, column: 1))
        #expect(reference.parts == [.reference(service: "my-api", key: "ports.http")])
    }
}
