import Foundation
import Testing
@testable import Testbed
@testable import TestbedSystem
@testable import TestbedModel

/// 500 mutated manifests (byte flips, deletions, duplicated and swapped lines, random UTF-8,
/// control characters, bytes that are not UTF-8), from a fixed seed: loading and
/// preflighting never crash or hang, and every problem starts with FILE:LINE:COLUMN, with
/// no location left inside its message.
///
/// The time limit is a hang guard (see `hangGuard`), not a figure: under plain `swift test`
/// on a loaded 2-core machine, tests here were seen to take over two minutes.
@Suite(.timeLimit(.minutes(5))) struct ManifestFuzzTests {
    /// SplitMix64: small, and the same sequence on every machine.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let insertions: [[UInt8]] = [
        "é", "µs", "\u{0}", "\u{7}", "\u{1B}", "\t", "\u{FEFF}", "\u{2028}", "{", "}", "[", "]", ":", ": ", "- ", "$", "${",
        "${a.", "}}", "&a ", "*a", "<<: *a\n", "\"", "'", "#", "\n", "  ", "\r\n", "? ", "!!str ", "|\n", "command: ", "depends_on: [",
    ].map { Array($0.utf8) } + [[0xFF], [0xC3], [0xE2, 0x82], [0xF4, 0x90, 0x80, 0x80], [0xED, 0xA0, 0x80]]

    static let environments = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("environments").path

    static func seeds() throws -> [[UInt8]] {
        let folder = environments
        // The example environments first (sorted), then the bad manifests of ManifestErrorTests.
        var seeds = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".yml") }.sorted()
            .map { [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + "/" + $0))) }
        seeds += ManifestErrorTests.cases.map { Array($0.yaml.utf8) }
        return seeds
    }

    static func mutate(_ input: [UInt8], _ random: inout Generator) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...3, using: &random) {
            let position = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &random)
            var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
            switch Int.random(in: 0..<6, using: &random) {
            case 0 where !bytes.isEmpty:
                bytes[position] ^= 1 << UInt8.random(in: 0..<8, using: &random)
            case 1 where !bytes.isEmpty:
                bytes.removeSubrange(position..<min(bytes.count, position + Int.random(in: 1...12, using: &random)))
            case 2:
                let line = Int.random(in: 0..<lines.count, using: &random)
                lines.insert(lines[line], at: line + 1)
                bytes = Array(lines.joined(separator: [0x0A]))
            case 3 where lines.count > 1:
                lines.swapAt(Int.random(in: 0..<lines.count, using: &random), Int.random(in: 0..<lines.count, using: &random))
                bytes = Array(lines.joined(separator: [0x0A]))
            default:
                bytes.insert(contentsOf: insertions.randomElement(using: &random)!, at: position)
            }
        }
        return bytes
    }

    /// Text is read against environments/, so the fixtures the examples name exist; bytes
    /// that are not UTF-8 go through the file loader.
    static func load(_ bytes: [UInt8], file: String) throws(ManifestError) -> Manifest {
        if let text = String(validating: bytes, as: UTF8.self) {
            return try ManifestLoader.parse(yaml: text, path: file, directory: environments)
        }
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: file))
        } catch {
            Issue.record("cannot write \(file): \(error)")
        }
        return try ManifestLoader.load(path: file)
    }

    /// The problem's text starts with `FILE:LINE:COLUMN: error: ` and its message holds no location.
    static func check(_ problem: ManifestProblem, file: String, mutant: Int) {
        let text = problem.description
        // A placeholder in a `files:` template is reported at the template's own line.
        let isTemplate = problem.location.file != file && FileManager.default.fileExists(atPath: problem.location.file)
        let location = "\(isTemplate ? problem.location.file : file):\(problem.location.line):\(problem.location.column): error: "
        #expect(text.hasPrefix(location) && problem.location.line >= 1 && problem.location.column >= 1, "mutant \(mutant): \(text)")
        let inside = problem.message.contains(": error") || problem.message.contains(", column ")
            || problem.message.contains(file + ":")
        #expect(!inside, "mutant \(mutant): the location is inside the message: \(text)")
    }

    // A minute of CPU on a loaded machine: it runs on a blocking-work thread (the task, and
    // so its expectations, stay the test's), not on one of the concurrency pool's threads —
    // two on a 2-core machine — that every test running alongside needs.
    @Test func mutatedManifestsNeverCrashAndEveryProblemHasALocation() async throws {
        try await withTaskExecutorPreference(BlockingWork.executor) { try Self.loadMutants() }
    }

    private static func loadMutants() throws {
        let folder = try TemporaryFolder()
        let seeds = try Self.seeds()
        let examples = try FileManager.default.contentsOfDirectory(atPath: Self.environments).filter { $0.hasSuffix(".yml") }.count
        var random = Generator(state: 0x7E57_BED5)
        var failed = 0, loaded = 0
        for mutant in 0..<500 {
            // Half from the example environments (valid, so mutants often still load), half from bad manifests.
            let index = (mutant / 2) % (mutant % 2 == 0 ? examples : seeds.count)
            let bytes = Self.mutate(seeds[index], &random)
            let file = folder.path + "/mutant-\(mutant).yml"
            do {
                let manifest = try Self.load(bytes, file: file)
                loaded += 1
                for problem in manifest.preflight(environment: [:]) { Self.check(problem, file: file, mutant: mutant) }
            } catch {
                failed += 1
                #expect(!error.problems.isEmpty, "mutant \(mutant)")
                for problem in error.problems { Self.check(problem, file: file, mutant: mutant) }
            }
        }
        // The mutations must exercise both paths, or the test proves nothing.
        #expect(failed > 100 && loaded > 20, "failed \(failed), loaded \(loaded)")
    }
}
