import Foundation

/// Runs a database command-line client (`psql`, `sqlite3`) with a script on its standard
/// input and returns what it printed; keeps the example free of package dependencies.
struct CommandLineClient: Sendable {
    /// The program and its arguments; looked up in `PATH` through `/usr/bin/env`.
    var arguments: [String]

    /// Throws ``ShopError`` with the client's error output when it exits with a non-zero status.
    func run(script: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        input.fileHandleForWriting.write(Data(script.utf8))
        try input.fileHandleForWriting.close()
        // Read both pipes before waiting, so a large output cannot block the client.
        let printed = output.fileHandleForReading.readDataToEndOfFile()
        let complaint = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ShopError(message: "\(arguments[0]) failed: \(String(decoding: complaint, as: UTF8.self))")
        }
        return String(decoding: printed, as: UTF8.self)
    }
}

/// A query failed; the message is the database client's.
public struct ShopError: Error, Sendable, CustomStringConvertible {
    /// The client's error output.
    public var message: String
    /// The message.
    public var description: String { message }
}
