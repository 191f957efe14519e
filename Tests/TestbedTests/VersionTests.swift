import Foundation
import Testing
import Testbed

/// The version is written once (Sources/Testbed/Version.swift); the CLI prints it, and
/// scripts/package.sh names the packages after what the CLI prints.
@Suite struct VersionTests {
    @Test func theCommandPrintsTheLibrarysVersion() async throws {
        let result = try await CLI.run(["--version"])
        #expect(result.status == 0)
        #expect(result.stdout == testbedVersion + "\n")
        // A Debian version: digits and dots, starting with a digit.
        #expect(testbedVersion.first?.isNumber == true)
        #expect(testbedVersion.allSatisfy { $0.isNumber || $0 == "." })
    }
}
