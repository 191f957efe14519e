import ArgumentParser
import Foundation
import Synchronization
import Testbed
import TestbedModel
import TestbedTapes

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Replay a consumer's tape against the real provider and report where it no longer keeps the contract.",
        discussion: """
            With --against URL, the provider runs already. With --against SERVICE --manifest FILE, the \
            manifest's stack is started, the tape verified against that service, and the stack torn down. \
            A MANIFEST alone runs its verify: list the same way (a provider's CI job).

            Compares status, content type and the JSON body's shape (missing fields, changed types, null where a \
            value was); values only with --values. New fields are reported, and break the contract only with \
            --fail-on-new-fields. See docs/tapes.md.

            Exit status: 0 the contract is kept; 1 it is broken; 2 the check could not run (a tape, manifest, URL \
            or header that cannot be used); 125 the manifest's stack did not start; 64 a usage error.
            """
    )

    @Argument(help: ArgumentHelp("The tape to replay (with --against), or a manifest whose verify: list to run.", valueName: "tape-or-manifest"))
    var file: String

    @Option(help: ArgumentHelp("The provider: an http(s) base URL, or a service or link of --manifest.", valueName: "service-or-url"))
    var against: String?

    @Option(help: ArgumentHelp("Start this manifest's stack, verify against its service named by --against, tear it down.", valueName: "file"))
    var manifest: String?

    @Option(name: .customLong("ignore"), help: ArgumentHelp("A JSON path left out of the comparison (an id, a timestamp); repeatable.", valueName: "path"))
    var ignore: [String] = []

    @Flag(help: "Compare values too, not only the shape.")
    var values = false

    @Flag(help: "Replay the tape twice and ignore what differs between the two answers (printed).")
    var learn = false

    @Flag(name: .customLong("fail-on-new-fields"), help: "New fields (and values where null was recorded) break the contract too.")
    var failOnNewFields = false

    @Option(name: .customLong("header"), help: ArgumentHelp("'Name: value' set on every request, e.g. a credential redaction kept off the tape; repeatable.", valueName: "header"))
    var headers: [String] = []

    @Option(help: "How long one request may take.")
    var timeout = "30s"

    @Flag(help: "Print the report as one JSON document on stdout (schema in docs/tapes.md).")
    var json = false

    @Flag(help: "Also print the services' output while a manifest's stack runs.")
    var logs = false

    func validate() throws {
        if manifest != nil && against == nil {
            throw ValidationError("--manifest needs --against SERVICE: the service of the manifest to verify the tape against")
        }
        if against == nil && (!ignore.isEmpty || values || learn || failOnNewFields || !headers.isEmpty || timeout != "30s") {
            throw ValidationError("without --against, \(file) is a manifest: set ignore, values, learn, fail_on_new_fields, headers and timeout in its verify: entries")
        }
        guard let duration = Duration(manifest: timeout), duration > .zero else {
            throw ValidationError("--timeout '\(timeout)' is not a duration (e.g. 30s, 500ms)")
        }
        for path in ignore {
            do { _ = try JSONPath(parsing: path) } catch { throw ValidationError(error.description) }
        }
        for header in headers {
            do { _ = try ProviderClient.header(parsing: header) } catch { throw ValidationError(error.description) }
        }
    }

    func run() async throws {
        guard let against else { return try await runManifest() }
        let tape: Tape
        do {
            tape = try Tape.load(from: URL(fileURLWithPath: file))
        } catch {
            printError("\(error)")
            throw ExitCode(ExitCodes.cannotVerify)
        }
        let options = TapeVerifier.Options(
            comparison: ResponseComparison(ignored: try ignore.map { try JSONPath(parsing: $0) }, compareValues: values,
                                           newFieldsBreak: failOnNewFields),
            learn: learn, headers: try headers.map { try ProviderClient.header(parsing: $0) },
            timeout: Duration(manifest: timeout) ?? .seconds(30))
        guard let manifest else {
            return try await finish(reports: [verify(tape, against: against, options: options)])
        }
        let report = try await withStack(manifest) { session in
            let url = against.contains("://") ? against : try await session.environment.providerURL(of: against)
            return try await verify(tape, against: url, options: options)
        }
        try await finish(reports: [report])
    }

    /// `testbed verify MANIFEST`: start the stack, run its verify: list, tear it down.
    private func runManifest() async throws {
        let reports = try await withStack(file) { session in
            guard !session.manifest.verify.isEmpty else {
                throw VerifyError(.invalidProvider, "\(file) has no verify: list; to verify a tape, write: testbed verify TAPE --against SERVICE_OR_URL")
            }
            return try await session.environment.verifyContracts()
        }
        try await finish(reports: reports)
    }

    /// Starts the manifest's stack, runs `body`, and tears the stack down whatever happens.
    /// A ``VerifyError`` exits 2; a stack that does not start 125; a signal 128+N.
    private func withStack<T: Sendable>(_ path: String, _ body: (Session) async throws -> T) async throws -> T {
        let session = try openSession(path)
        let environment = session.environment
        let received = Mutex<Int32?>(nil)
        let trap = SignalTrap { signal in
            received.withLock { $0 = $0 ?? signal }
            Task { await environment.stop() }
        }
        defer { withExtendedLifetime(trap) {} }
        try await session.start(interruptedBy: { received.withLock { $0 } })
        let result: Result<T, Error>
        do { result = .success(try await body(session)) } catch { result = .failure(error) }
        await environment.stop()
        session.finish()
        if let signal = received.withLock({ $0 }) { throw ExitCode(128 + signal) }
        switch result {
        case .success(let value): return value
        case .failure(let error as VerifyError):
            printError(error.message)
            throw ExitCode(ExitCodes.cannotVerify)
        case .failure(let error): throw error
        }
    }

    private func openSession(_ path: String) throws -> Session {
        // Parsed, not made with init(): an OptionGroup's wrappers hold no value until parsed.
        let output = try OutputOptions.parse(json ? ["--quiet"] : [])
        return try Session.open(path: path, output: output, showLogs: logs, invalidCode: ExitCodes.cannotVerify)
    }

    private func verify(_ tape: Tape, against url: String, options: TapeVerifier.Options) async throws -> VerifyReport {
        do {
            return try await TapeVerifier(options: options).verify(tape, named: file, against: url)
        } catch {
            printError(error.message)
            throw ExitCode(ExitCodes.cannotVerify)
        }
    }

    /// Prints the reports (text, or the JSON document) on stdout; exits 1 when one is broken.
    private func finish(reports: [VerifyReport]) async throws {
        if json {
            print(Self.jsonDocument(reports))
        } else {
            print(reports.map(\.text).joined(separator: "\n\n"))
        }
        if reports.contains(where: \.broken) {
            if !json { print("contract broken") }
            throw ExitCode(ExitCodes.contractBroken)
        }
    }

    /// `{"version": 1, "broken": …, "reports": [VerifyReport…]}`.
    static func jsonDocument(_ reports: [VerifyReport]) -> String {
        struct Document: Encodable {
            var version = 1
            var broken: Bool
            var reports: [VerifyReport]
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(Document(broken: reports.contains(where: \.broken), reports: reports))) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// Runs a started environment's verify: list (for `verify MANIFEST` and `run`).
    static func checkContracts(of environment: Environment) async -> Result<[VerifyReport], VerifyError> {
        do {
            return .success(try await environment.verifyContracts())
        } catch {
            return .failure(error)
        }
    }

    private func printError(_ text: String) {
        FileHandle.standardError.write(Data(("error: " + text + "\n").utf8))
    }
}

extension VerifyCommand {
    /// For `testbed run`: runs the manifest's verify: list once the stack is healthy and
    /// prints the reports on stderr (stdout is the command's). False when a contract is
    /// broken or a check cannot run: the command is then not started.
    static func checkContractsBeforeCommand(_ session: Session) async -> Bool {
        switch await checkContracts(of: session.environment) {
        case .success(let reports):
            let broken = reports.contains(where: \.broken)
            if broken || session.console.mode == .plain {
                FileHandle.standardError.write(Data((reports.map(\.text).joined(separator: "\n\n") + "\n").utf8))
            }
            if broken { session.console.error("a contract of the verify: list is broken; the command was not run") }
            return !broken
        case .failure(let error):
            session.console.error(error.message + "; the command was not run")
            return false
        }
    }
}

extension VerifyCommand: TrapsStopSignals {
    /// Only a run against a manifest's stack has a trap (and a stack to tear down).
    var trapsStopSignals: Bool { manifest != nil || against == nil }
}
