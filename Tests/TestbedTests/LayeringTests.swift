import Foundation
import Testing

/// The library's folders depend one way (docs/architecture.md, "Layers"): Processes knows
/// nothing above it; Health knows probes and processes; drivers do not know the runtime,
/// the plan or the health gate. These tests read the sources and fail when a lower folder
/// names a type of a higher one, so the rule stays true as code is added.
@Suite struct LayeringTests {
    private static let sources = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources/Testbed").path

    /// Types of the runtime, the plan, the API and detached mode.
    private static let runtime = [
        "Environment", "EnvironmentError", "EnvironmentPlan", "PlannedService", "PlannedHealthCheck",
        "Milestone", "ServiceMilestones", "Resolver", "PortAllocator", "PortReservation", "RunDirectory",
        "DatabasePool", "TestDatabase", "ServiceValues", "DetachedRun", "ControlSocket", "Collector", "Caches",
    ]
    /// Types of the manifest model.
    private static let manifest = [
        "Manifest", "ManifestProblem", "ManifestError", "ServiceSpec", "HealthCheckSpec", "PostgresSpec", "SQLiteSpec",
        "ProcessSpec", "SeedStep", "Template",
    ]
    /// Types of the drivers.
    private static let drivers = [
        "ServiceDriver", "DatabaseDriver", "ProcessServiceDriver", "PostgresServiceDriver", "SQLiteServiceDriver",
        "PostgresCluster", "SQLiteStore", "PGConnection",
    ]
    /// Types of the health layer.
    private static let health = ["HealthGate", "HealthProbe", "HealthCheckError", "ProbeFailure", "TCPProbe", "HTTPProbe"]

    /// Every `file: line` in `folder` whose code (comments left out) names one of `names`.
    private func mentions(of names: [String], in folder: String) throws -> [String] {
        let directory = Self.sources + "/" + folder
        let files = try #require(FileManager.default.enumerator(atPath: directory)?.allObjects as? [String])
        #expect(!files.isEmpty, "no sources found in \(directory)")
        let pattern = try Regex("\\b(" + names.joined(separator: "|") + ")\\b")
        var found: [String] = []
        for file in files where file.hasSuffix(".swift") {
            let text = try String(contentsOfFile: directory + "/" + file, encoding: .utf8)
            for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let code = line.split(separator: "//", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
                if let match = code.firstMatch(of: pattern) {
                    found.append("\(folder)/\(file):\(index + 1): \(match.output[0].substring ?? "")")
                }
            }
        }
        return found
    }

    @Test func processesNameNothingAboveThem() throws {
        #expect(try mentions(of: Self.runtime + Self.manifest + Self.drivers + Self.health, in: "Processes") == [])
    }

    @Test func healthNamesOnlyProbesAndProcesses() throws {
        #expect(try mentions(of: Self.runtime + Self.manifest + Self.drivers, in: "Health") == [])
    }

    @Test func kindsDoNotKnowTheRuntimeThePlanOrTheManifestReader() throws {
        let above = Self.runtime + ["ManifestLoader", "ServiceReader", "ManifestValidator", "Manifest", "HealthGate"]
        #expect(try mentions(of: above, in: "Kinds") == [])
    }

    /// What only a kind knows: its spec, plan, kind and driver types. The reader, the plan
    /// and the runtime ask the kind (`ServiceKinds`), so adding a kind touches none of them;
    /// the registry's one line is the only place that names a kind.
    @Test func theCoreNamesNoDatabaseKind() throws {
        let kindTypes = ["PostgresSpec", "PostgresPlan", "PostgresKind", "PostgresCluster", "PostgresServiceDriver",
                         "SQLiteSpec", "SQLitePlan", "SQLiteKind", "SQLiteStore", "SQLiteServiceDriver", "DatabaseReader"]
        for folder in ["Manifest", "Plan", "Runtime", "Kinds"] {
            let found = try mentions(of: kindTypes, in: folder).filter { !$0.hasPrefix("Kinds/ServiceKinds.swift:") }
            #expect(found == [])
        }
    }

    @Test func driversDoNotKnowTheRuntimeThePlanOrTheHealthGate() throws {
        let above = Self.runtime + ["HealthGate", "HealthCheckError"]
        #expect(try mentions(of: above, in: "Drivers") == [])
    }
}
