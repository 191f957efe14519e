import Foundation
import Testing

/// docs/k8s/testbed-job.yaml is valid against Kubernetes' own schemas, checked by
/// kubernetes-validate (PyPI) in strict mode (unknown fields are errors).
///
/// The tool is found through `KUBERNETES_VALIDATE` (a path) or `PATH`. CI installs it in a
/// virtual environment (.ci/run); on a machine without it the tests are skipped, except
/// under `CI=true`, where a missing tool is a failure.
@Suite struct KubernetesManifestTests {
    static let manifest = CLI.packageRoot + "/docs/k8s/testbed-job.yaml"

    static var validator: String? {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["KUBERNETES_VALIDATE"], !path.isEmpty { return path }
        for folder in (environment["PATH"] ?? "").split(separator: ":") {
            let candidate = String(folder) + "/kubernetes-validate"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    static var enabled: Bool { validator != nil || ProcessInfo.processInfo.environment["CI"] == "true" }

    /// Runs kubernetes-validate --strict on `file`: its exit status and output.
    /// Waits on a thread of its own, off the concurrency pool that every test shares.
    static func validate(_ file: String) async throws -> (status: Int32, output: String) {
        let tool = try #require(validator, "kubernetes-validate is not installed: set KUBERNETES_VALIDATE or put it on PATH")
        return try await onThread { try run(tool, file) }
    }

    private static func run(_ tool: String, _ file: String) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = ["--strict", file]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    @Test(.enabled(if: enabled, "kubernetes-validate is not installed (CI installs it)"))
    func theJobManifestIsValid() async throws {
        let result = try await Self.validate(Self.manifest)
        #expect(result.status == 0, "\(result.output)")
        // Both documents were checked: the cache volume claim and the Indexed Job.
        #expect(result.output.contains("passed for resource persistentvolumeclaim/testbed-cache"), "\(result.output)")
        #expect(result.output.contains("passed for resource job/testbed-suite"), "\(result.output)")
        let yaml = try String(contentsOfFile: Self.manifest, encoding: .utf8)
        #expect(yaml.contains("completionMode: Indexed"))
        #expect(yaml.contains("JOB_COMPLETION_INDEX"))
        #expect(yaml.contains("testbed cache key"))
    }

    @Test(.enabled(if: enabled, "kubernetes-validate is not installed (CI installs it)"))
    func aFieldKubernetesDoesNotKnowFailsTheCheck() async throws {
        // The same manifest with one unknown field: the check must see it.
        let yaml = try String(contentsOfFile: Self.manifest, encoding: .utf8)
        let broken = yaml.replacingOccurrences(of: "  completionMode: Indexed\n", with: "  completionMode: Indexed\n  shardCount: 4\n")
        #expect(broken != yaml)
        let file = NSTemporaryDirectory() + "testbed-job-\(UUID().uuidString).yaml"
        try broken.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let result = try await Self.validate(file)
        #expect(result.status != 0, "\(result.output)")
        #expect(result.output.contains("shardCount"), "\(result.output)")
    }
}
