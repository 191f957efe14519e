import Foundation
import Testing
@testable import Testbed
@testable import TestbedSystem

/// A non-root user's cache holds seeded data (a card number in a fixture): another local
/// user must not read it. Folders 0700, pack files and snapshots 0600.
@Suite(.enabled(if: LocalUser.canCreate && UnixUser.named("postgres") != nil, "needs root and useradd to create users"))
struct CacheSecurityTests {
    @Test func anotherUserCannotReadAUsersSeededCache() async throws {
        let stack = try TestStack("""
            services:
              db:
                postgres: {}
                seed: [cards.sql]
              notes:
                sqlite: {}
                seed: [cards.sql]
            """, files: ["cards.sql": "CREATE TABLE cards(number text); INSERT INTO cards VALUES ('4111111111111111');"])
        defer { stack.cleanUp() }
        _ = chmod(stack.folder, 0o755)
        _ = chmod(stack.folder + "/cards.sql", 0o644)
        _ = chmod(stack.path, 0o644)
        let cache = "/tmp/tbt-cache-\(UUID().uuidString.prefix(8))"
        let runRoot = "/dev/shm/tbt-ucache-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: cache); try? FileManager.default.removeItem(atPath: runRoot) }
        try await withLocalUser(prefix: "tbt-own") { owner in
            let env = ["TESTBED_CACHE_DIR": cache, "TESTBED_RUN_ROOT": runRoot, stack.mark.components(separatedBy: "=")[0]:
                       stack.mark.components(separatedBy: "=")[1]]
            let run = try await owner.run([CLI.binary, "run", stack.path, "--", "true"], environment: env)
            #expect(run.status == 0, "\(run.stderr)")
            var folders: [String] = [cache], packs: [String] = []
            for case let relative as String in FileManager.default.enumerator(atPath: cache)! {
                let path = cache + "/" + relative
                var info = stat()
                guard lstat(path, &info) == 0 else { continue }
                if info.st_mode & S_IFMT == S_IFDIR { folders.append(path) }
                if relative.hasSuffix(".pack") || (relative.hasPrefix("sqlite/") && relative.hasSuffix(".sqlite")) { packs.append(path) }
            }
            #expect(packs.count >= 3, "base and seeded packs, and a snapshot: \(packs)")
            for folder in folders {
                var info = stat()
                #expect(stat(folder, &info) == 0 && info.st_mode & 0o077 == 0 && info.st_uid == owner.account.uid,
                        "\(folder): \(String(info.st_mode & 0o7777, radix: 8))")
            }
            for pack in packs {
                var info = stat()
                #expect(stat(pack, &info) == 0 && info.st_mode & 0o7777 == 0o600, "\(pack): \(String(info.st_mode & 0o7777, radix: 8))")
            }
            try await withLocalUser(prefix: "tbt-atk") { attacker in
                let quoted = packs.map { "'\($0)'" }.joined(separator: " ")
                let read = try await attacker.shell("cat \(quoted) 2>/dev/null | grep -c 4111111111111111")
                #expect(read.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0", "another user read the cache")
            }
        }
    }
}
