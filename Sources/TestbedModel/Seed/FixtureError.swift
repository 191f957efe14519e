import TestbedSystem
/// A fixture file could not be read: which file, where, and why.
///
/// Thrown by ``CSVReader`` and ``JSONFixture``; a database driver turns it into a
/// ``SeedError`` by adding the service name and the seed step's manifest location.
package struct FixtureError: TestbedError, Hashable {
    /// The fixture file as given to the reader.
    package var file: String
    /// 1-based line of the problem; nil when it is not about one place in the file.
    package var line: Int?
    /// What is wrong, written for the user.
    package var message: String

    /// Makes an error about `file`, at `line` when it is about one place.
    package init(file: String, line: Int? = nil, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    /// `FILE:LINE: MESSAGE`, or `FILE: MESSAGE` without a line.
    package var description: String {
        line.map { "\(file):\($0): \(message)" } ?? "\(file): \(message)"
    }
}
