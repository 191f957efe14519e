import Foundation
import Synchronization
import Testing
@testable import Testbed
@testable import TestbedTapes

/// Tape files are opened through their folder's descriptor: private by default, never a
/// FIFO or a device, symbolic links followed only where nobody else could have planted them.
@Suite struct TapeFileSafetyTests {
    static let tape = Tape(exchanges: [TapeExchange(request: TapeRequest(method: "GET", target: "/a"),
                                                    response: TapeResponse(status: 200, body: Array("ok".utf8)))])

    /// The process's umask, from /proc (reading it with umask(2) would change it for a moment).
    static var umask: mode_t {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("Umask:") }
        return line.flatMap { mode_t($0.split(separator: "\t").last.map(String.init) ?? "", radix: 8) } ?? 0o022
    }

    static func mode(_ path: String) -> mode_t {
        var info = stat()
        return lstat(path, &info) == 0 ? info.st_mode & 0o7777 : 0
    }

    @Test func tapesAreWrittenPrivateByDefaultAndSharedOnRequest() throws {
        let folder = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Self.tape.write(to: URL(fileURLWithPath: folder + "/private.json"))
        #expect(Self.mode(folder + "/private.json") == 0o600 & ~Self.umask)
        try Self.tape.write(to: URL(fileURLWithPath: folder + "/shared.json"), shared: true)
        #expect(Self.mode(folder + "/shared.json") == 0o644 & ~Self.umask)
        // Writing over a shared tape without `shared` makes it private again.
        try Self.tape.write(to: URL(fileURLWithPath: folder + "/shared.json"))
        #expect(Self.mode(folder + "/shared.json") == 0o600 & ~Self.umask)
    }

    @Test func aFIFOInPlaceOfATapeIsRefusedAtOnce() async throws {
        let folder = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/api.json"
        #expect(mkfifo(path, 0o600) == 0)
        final class Outcome: Sendable { let value = Mutex<Result<Tape, TapeError>?>(nil) }
        let box = Outcome()
        let thread = Thread {
            let result = Result { () throws(TapeError) -> Tape in try Tape.load(from: URL(fileURLWithPath: path)) }
            box.value.withLock { $0 = result }
        }
        thread.start()
        // Not `eventually` (its floor is the suite's long hang guard): a load that is not done
        // in 10 s is blocked, as a regular file or a refusal takes microseconds.
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline, box.value.withLock({ $0 == nil }) { try await Task.sleep(for: .milliseconds(20)) }
        let finished = box.value.withLock { $0 != nil }
        if !finished {
            // A load blocked in open(2) is released by a writer opening the FIFO, so a failing
            // test ends instead of hanging the suite.
            let writer = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
            if writer >= 0 { close(writer) }
            _ = await eventually(within: .seconds(10)) { box.value.withLock { $0 != nil } }
        }
        #expect(finished, "Tape.load blocked in open() on a FIFO")
        guard case .failure(let error) = box.value.withLock({ $0 }) else {
            Issue.record("a FIFO loaded as a tape")
            return
        }
        #expect(error.code == .unreadable, "\(error)")
        #expect(error.message.contains("not a regular file (a FIFO)"), "\(error)")
    }

    @Test func aLinkInAFolderOfYourOwnIsFollowed() throws {
        let folder = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder + "/real", withIntermediateDirectories: true)
        #expect(symlink(folder + "/real", folder + "/tapes") == 0)
        try Self.tape.write(to: URL(fileURLWithPath: folder + "/tapes/api.json"))
        #expect(FileManager.default.fileExists(atPath: folder + "/real/api.json"))
        #expect(try Tape.load(from: URL(fileURLWithPath: folder + "/tapes/api.json")) == Self.tape)
        // A link in place of the tape itself is read through, and replaced (not its target) by a write.
        #expect(symlink("real/api.json", folder + "/link.json") == 0)
        #expect(try Tape.load(from: URL(fileURLWithPath: folder + "/link.json")) == Self.tape)
        try Tape().write(to: URL(fileURLWithPath: folder + "/link.json"))
        #expect(try Tape.load(from: URL(fileURLWithPath: folder + "/real/api.json")) == Self.tape)
    }
}
