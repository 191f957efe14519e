import Foundation
import Testing

/// What the compiler cannot see. The targets' one-way dependencies are compile-time facts
/// (Package.swift; `scripts/target-graph.py --check` also checks that each names only the
/// layers below it), but inside a target a folder can name anything. The core asks a kind
/// (`ServiceKinds`) instead of naming one, so that adding a kind touches its own folder and
/// the registry's one line; this test reads the sources and fails when that stops being true.
@Suite struct LayeringTests {
    private static let sources = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources").path

    /// Every `file: line` in `folder` (below Sources/) whose code (comments left out) names one of `names`.
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

    /// What only a kind knows: its spec, plan, kind and driver types. The reader, the plan
    /// and the runtime ask the kind (`ServiceKinds`), so adding a kind touches none of them;
    /// the registry's one line is the only place that names a kind.
    @Test func theCoreNamesNoDatabaseKind() throws {
        let kindTypes = ["PostgresSpec", "PostgresPlan", "PostgresKind", "PostgresCluster", "PostgresServiceDriver",
                         "SQLiteSpec", "SQLitePlan", "SQLiteKind", "SQLiteStore", "SQLiteServiceDriver", "DatabaseReader",
                         "ContainerSpec", "ContainerPlan", "ContainerKind", "ContainerEngine", "ContainerServiceDriver"]
        for folder in ["Testbed/Manifest", "Testbed/Plan", "Testbed/Runtime", "TestbedDrivers/Kinds"] {
            let found = try mentions(of: kindTypes, in: folder).filter { !$0.hasPrefix("TestbedDrivers/Kinds/ServiceKinds.swift:") }
            #expect(found == [])
        }
    }
}
