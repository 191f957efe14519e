import Foundation
import Synchronization
@testable import Testbed
@testable import TestbedModel
@testable import TestbedSeed

/// A temporary folder for one test, removed when the value goes away.
final class TemporaryFolder {
    let path: String

    init() throws {
        var template = Array((NSTemporaryDirectory() + "/testbed-test-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
        path = String(cString: made)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `text` to `name` in the folder and returns the file's absolute path.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let file = "\(path)/\(name)"
        try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: file))
        return file
    }

    func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: "\(path)/\(name)") }
}

/// Checked-in fixture files: `Tests/TestbedTests/Fixtures/<folder>/<name>`.
func fixturePath(_ folder: String, _ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/\(folder)/\(name)").path
}

/// Collects what a store reports.
final class PhaseLog: Sendable {
    private let entries = Mutex<[(phase: Event.Phase, detail: String?)]>([])

    var reporter: PhaseReporter {
        { phase, detail in self.entries.withLock { $0.append((phase, detail)) } }
    }

    /// The detail of the last `.seeded` report.
    var seededDetail: String? {
        entries.withLock { $0.last { $0.phase == .seeded }?.detail ?? nil }
    }
}

/// Reads every record of a CSV file.
func readAll(_ path: String, _ options: CSVOptions = CSVOptions()) throws -> (columns: [String]?, records: [CSVRecord]) {
    let reader = try CSVReader(path: path, options: options)
    var records: [CSVRecord] = []
    while let record = try reader.next() { records.append(record) }
    return (reader.columns, records)
}
