import Foundation
import Testing
@testable import Testbed
@testable import TestbedTapes

/// Another local account cannot redirect root's tapes: a folder on the way that it can
/// change is refused (issue #23: `tape: /shared/tapes/api.json` below a world-writable
/// folder, `tapes` swapped for a link to `/root/x`).
@Suite(.serialized, .enabled(if: LocalUser.canCreate, "needs root to create a second local account"))
struct TapeFolderSecurityTests {
    /// A folder for the attack: `shared` (mode `mode`) and `victim` (root's, 0700) beside it.
    static func folders(mode: mode_t) throws -> (base: String, shared: String, victim: String) {
        let base = try makeTemporaryDirectory()
        chmod(base, 0o755)
        let shared = base + "/shared", victim = base + "/victim"
        #expect(mkdir(shared, 0o700) == 0 && chmod(shared, mode) == 0)
        #expect(mkdir(victim, 0o700) == 0)
        return (base, shared, victim)
    }

    @Test func aTapeFolderSwappedForALinkBelowAWorldWritableFolderIsRefused() async throws {
        let (base, shared, victim) = try Self.folders(mode: 0o777)
        defer { try? FileManager.default.removeItem(atPath: base) }
        #expect(mkdir(shared + "/tapes", 0o755) == 0)
        try await withLocalUser(prefix: "tbtape") { user in
            let attack = try await user.shell("mv \(shared)/tapes \(shared)/tapes.old && ln -s \(victim) \(shared)/tapes")
            #expect(attack.status == 0, "\(attack.stderr)")
        }
        var refused: TapeError?
        do { try TapeFileSafetyTests.tape.write(to: URL(fileURLWithPath: shared + "/tapes/api.json")) } catch { refused = error }
        #expect(!FileManager.default.fileExists(atPath: victim + "/api.json"), "root's tape was written through the link")
        #expect(refused?.code == .unsafePath, "\(String(describing: refused))")
        #expect(refused?.message.contains("\(shared)") == true, "\(String(describing: refused))")
        // Through a run: the link's start stops, naming the folder, and nothing is written.
        let stack = try TestStack("""
            services: {}
            links:
              api:
                to: http://127.0.0.1:9
                http: {tape: \(shared)/tapes/api.json, mode: record}
            """)
        defer { stack.cleanUp() }
        let run = try await CLI.Running(["run", stack.path, "--", "true"], mark: stack.mark,
                                        extra: ["TESTBED_RUN_ROOT": stack.runRoot]).wait()
        #expect(run.status != 0)
        #expect(run.stderr.contains("refusing the tape") && run.stderr.contains(shared), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: victim + "/api.json"), "root's run wrote through the link")
        // Reading goes through the same walk: a tape the other account could have swapped is refused too.
        try TapeFileSafetyTests.tape.write(to: URL(fileURLWithPath: victim + "/api.json"))
        #expect(throws: TapeError.self) { try Tape.load(from: URL(fileURLWithPath: shared + "/tapes/api.json")) }
    }

    @Test func aStickyFolderIsTrustedOnlyForEntriesOfYourOwn() async throws {
        let (base, shared, victim) = try Self.folders(mode: 0o1777)
        defer { try? FileManager.default.removeItem(atPath: base) }
        #expect(mkdir(shared + "/mine", 0o755) == 0)
        try await withLocalUser(prefix: "tbtape") { user in
            let attack = try await user.shell("mkdir \(shared)/theirs && chmod 777 \(shared)/theirs && ln -s \(victim) \(shared)/link")
            #expect(attack.status == 0, "\(attack.stderr)")
        }
        // A folder of root's own in the sticky folder: nobody else may rename it.
        try TapeFileSafetyTests.tape.write(to: URL(fileURLWithPath: shared + "/mine/api.json"))
        #expect(try Tape.load(from: URL(fileURLWithPath: shared + "/mine/api.json")) == TapeFileSafetyTests.tape)
        // The other account's folder and its link are refused.
        for path in [shared + "/theirs/api.json", shared + "/link/api.json"] {
            var refused: TapeError?
            do { try TapeFileSafetyTests.tape.write(to: URL(fileURLWithPath: path)) } catch { refused = error }
            #expect(refused?.code == .unsafePath, "\(path): \(String(describing: refused))")
        }
        #expect(!FileManager.default.fileExists(atPath: victim + "/api.json"))
        #expect(!FileManager.default.fileExists(atPath: shared + "/theirs/api.json"))
    }
}
