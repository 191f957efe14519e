import Foundation
import Testbed
import Testing
import TestbedSystem

/// docs/manifest.schema.json accepts every example manifest and refuses a broken one.
///
/// Validation runs in python3 with `jsonschema` and PyYAML: Debian's `/usr/bin/python3`
/// when it has them (CI installs `python3-jsonschema python3-yaml`), else the `python3` on
/// `PATH` (a pyenv or virtualenv Python with the modules). Without them the tests fail and
/// say what to install.
@Suite struct SchemaTests {
    /// The package root: three folders above this file (Tests/TestbedTests/SchemaTests.swift).
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static var schema: String { root + "/docs/manifest.schema.json" }

    /// Loads YAML with keys kept as written (PyYAML would turn a `null:` key into None),
    /// merge keys applied; prints each violation; exits 0 valid, 1 invalid, 3 modules missing.
    static let validator = #"""
        import json, sys
        try:
            import jsonschema, yaml
        except ImportError as error:
            print(f"missing python module ({error}) in {sys.executable}: "
                  "apt-get install python3-jsonschema python3-yaml")
            sys.exit(3)

        class Loader(yaml.SafeLoader):
            pass

        def mapping(loader, node):
            loader.flatten_mapping(node)
            return {(k.value if isinstance(k, yaml.ScalarNode) else loader.construct_object(k, deep=True)):
                    loader.construct_object(v, deep=True) for k, v in node.value}

        Loader.add_constructor("tag:yaml.org,2002:map", mapping)

        def explain(error):
            # For oneOf/anyOf, follow the one branch whose required keys are present
            # (the service kind, the seed source); else the closest match.
            if not error.context:
                return [error]
            branches = {}
            for cause in error.context:
                branches.setdefault(cause.relative_schema_path[0], []).append(cause)
            fitting = [causes for causes in branches.values()
                       if not any(c.validator == "required" and not c.relative_path for c in causes)]
            chosen = fitting[0] if len(fitting) == 1 else [jsonschema.exceptions.best_match(error.context)]
            return [leaf for cause in chosen for leaf in explain(cause)]

        with open(sys.argv[1]) as file:
            validator = jsonschema.Draft202012Validator(json.load(file))
        invalid = 0
        for path in sys.argv[2:]:
            with open(path) as file:
                document = yaml.load(file, Loader=Loader)
            errors = list(validator.iter_errors(document))
            for error in errors:
                for cause in explain(error):
                    where = "/".join(str(part) for part in cause.absolute_path) or "(top)"
                    print(f"{path}: {where}: {cause.message}")
            invalid += 1 if errors else 0
        sys.exit(1 if invalid else 0)
        """#

    struct Outcome {
        var status: Int32
        var output: String
    }

    /// The Python that runs the validator: the first of `/usr/bin/python3` and the
    /// `python3` on `PATH` that imports both modules; else the one on `PATH`, whose
    /// ImportError the validator reports.
    static let python: [String] = {
        let candidates = [["/usr/bin/python3"], ["/usr/bin/env", "python3"]]
        return candidates.first { imports($0) } ?? ["/usr/bin/env", "python3"]
    }()

    private static func imports(_ python: [String]) -> Bool {
        guard FileManager.default.isExecutableFile(atPath: python[0]) else { return false }
        return (try? run(python + ["-c", "import jsonschema, yaml"]).status) == 0
    }

    /// Runs the validator on a thread of its own: waiting for python3 on one of the few
    /// threads of the Swift concurrency pool would stall the tests running in parallel.
    static func validate(_ manifests: [String]) async throws -> Outcome {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try run(python + ["-c", validator, schema] + manifests) })
            }
        }
    }

    private static func run(_ argv: [String]) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try withUnblockedSignals { try process.run() }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }

    static func exampleManifests() throws -> [String] {
        let folder = root + "/environments"
        return try FileManager.default.contentsOfDirectory(atPath: folder)
            .filter { $0.hasSuffix(".yml") || $0.hasSuffix(".yaml") }
            .sorted()
            .map { folder + "/" + $0 }
    }

    @Test func everyExampleManifestMatchesTheSchema() async throws {
        let manifests = try Self.exampleManifests()
        #expect(!manifests.isEmpty, "no manifests in environments/")
        let outcome = try await Self.validate(manifests)
        #expect(outcome.status != 3, "\(outcome.output)")
        #expect(outcome.status == 0, "schema violations:\n\(outcome.output)")
    }

    @Test func aBrokenManifestFailsTheSchema() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("testbed-schema-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let broken = folder.appendingPathComponent("broken.yml").path
        // Compose habits Testbed refuses: an image, numbered ports, an unknown condition.
        try """
            services:
              web:
                image: nginx
                ports: ["8080:80"]
                depends_on:
                  db: {condition: service_running}
                healthcheck: {interval: 5 seconds}
            """.write(toFile: broken, atomically: true, encoding: .utf8)
        let outcome = try await Self.validate([broken])
        #expect(outcome.status != 3, "\(outcome.output)")
        #expect(outcome.status == 1, "the schema accepted a broken manifest:\n\(outcome.output)")
        #expect(outcome.output.contains("broken.yml"))
    }
}
