import Foundation
import Testing
@testable import Testbed
@testable import TestbedSystem
@testable import TestbedDrivers

@Suite("Postgres script splitting and settings")
struct PostgresUnitTests {
    @Test func splitterFollowsQuotesCommentsAndDollarQuoting() {
        let script = SQLScript("""
            -- a comment; with a semicolon
            SELECT 'it''s; fine', E'back\\'slash;', "odd;name" FROM t;
            /* nested /* comment; */ still; */ CREATE FUNCTION f() RETURNS int AS $fn$ SELECT 1; $fn$ LANGUAGE sql;
            CREATE RULE r AS ON INSERT TO t DO ALSO (NOTIFY a; NOTIFY b);
            ;;
            SELECT $1, a$b FROM x
            """)
        #expect(script.statements.map(\.line) == [2, 3, 4, 6])
        #expect(script.statements.map(\.firstLine) == [
            "SELECT 'it''s; fine', E'back\\'slash;', \"odd;name\" FROM t;",
            "CREATE FUNCTION f() RETURNS int AS $fn$ SELECT 1; $fn$ LANGUAGE sql;",
            "CREATE RULE r AS ON INSERT TO t DO ALSO (NOTIFY a; NOTIFY b);",
            "SELECT $1, a$b FROM x",
        ])
    }

    @Test func positionsMapToStatementsAndLinesCountingCharactersNotBytes() {
        let text = "SELECT 'é';\nSELECT 'ü'; SELEC 1;\n"
        let script = SQLScript(text)
        let position = Array(text.unicodeScalars).firstIndex(of: "S", after: 13)! + 1
        #expect(script.statement(atPosition: position)?.firstLine == "SELEC 1;")
        #expect(script.line(atPosition: position) == 2)
        #expect(script.line(atPosition: 1) == 1)
    }

    @Test func serverAccountIsTheCallerUnlessRoot() throws {
        let postgres = UnixUser(name: "postgres", uid: 101, gid: 104)
        let lookup: (String) -> UnixUser? = { $0 == "postgres" ? postgres : $0 == "toor" ? UnixUser(name: "toor", uid: 0, gid: 0) : nil }
        #expect(try ServerAccount.resolve(isRoot: false, runAs: nil, lookup: lookup).user == nil)
        #expect(try ServerAccount.resolve(isRoot: false, runAs: "nobody-here", lookup: lookup).commandPrefix.isEmpty)
        let root = try ServerAccount.resolve(isRoot: true, runAs: nil, lookup: lookup)
        #expect(root.user == postgres)
        #expect(root.commandPrefix == ["/usr/bin/setpriv", "--reuid=101", "--regid=104", "--init-groups", "--"])
        let missing = #expect(throws: PostgresError.self) { try ServerAccount.resolve(isRoot: true, runAs: "ghost", lookup: lookup) }
        #expect(missing?.code == .account)
        #expect(missing?.hint?.contains("useradd --system ghost") == true)
        let noPostgres = #expect(throws: PostgresError.self) { try ServerAccount.resolve(isRoot: true, runAs: nil, lookup: { _ in nil }) }
        #expect(noPostgres?.hint?.contains("run_as") == true)
        #expect(throws: PostgresError.self) { try ServerAccount.resolve(isRoot: true, runAs: "toor", lookup: lookup) }
    }

    @Test func installationChecksAreRememberedUntilTheProgramOrItsFolderChanges() throws {
        let root = NSTemporaryDirectory() + "/memo-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/cache/postgres", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/versions", withIntermediateDirectories: true)
        chmod(root + "/cache", 0o700)
        chmod(root + "/cache/postgres", 0o700)
        let program = root + "/pg_config"
        try "#!/bin/sh\necho one\n".write(toFile: program, atomically: false, encoding: .utf8)
        let memo = CommandMemo(cacheRoot: root + "/cache")
        var runs = 0
        func ask(_ answer: String) -> String {
            memo.output(of: program, ["--bindir"], dependingOn: [root + "/versions"]) { runs += 1; return answer }
        }
        #expect(ask("/usr/lib/postgresql/15/bin") == "/usr/lib/postgresql/15/bin")
        #expect(ask("not asked") == "/usr/lib/postgresql/15/bin", "remembered")
        #expect(runs == 1)
        #expect(memo.output(of: program, ["--version"]) { "other arguments" } == "other arguments")

        try FileManager.default.createDirectory(atPath: root + "/versions/16", withIntermediateDirectories: false)
        #expect(ask("/usr/lib/postgresql/16/bin") == "/usr/lib/postgresql/16/bin", "a version was installed")
        try "#!/bin/sh\necho two\n".write(toFile: program, atomically: false, encoding: .utf8)
        #expect(ask("upgraded") == "upgraded", "the program was replaced")
        #expect(ask("not asked") == "upgraded")
        #expect(runs == 3)
        #expect(CommandMemo(cacheRoot: nil).output(of: program, []) { "no memo" } == "no memo")
    }

    @Test func manifestSettingsOverrideTheTestDefaults() {
        let settings = PostgresServer.settings(socketDirectory: "/run/x", tcp: false, hbaFile: "/run/hba",
                                               overrides: [("FSYNC", "on"), ("work_mem", "8MB")])
        let byName = Dictionary(settings.map { ($0.name.lowercased(), $0.value) }, uniquingKeysWith: { $1 })
        #expect(byName["fsync"] == "on")
        #expect(byName["work_mem"] == "8MB")
        #expect(byName["listen_addresses"] == "")
        #expect(byName["unix_socket_directories"] == "/run/x")
        #expect(byName["hba_file"] == "/run/hba")
        #expect(byName["synchronous_commit"] == "off")
        #expect(settings.filter { $0.name.lowercased() == "fsync" }.count == 1)
        let tcp = PostgresServer.settings(socketDirectory: "/run/x", tcp: true, hbaFile: "/run/hba", overrides: [])
        #expect(tcp.first { $0.name == "listen_addresses" }?.value == "127.0.0.1")
    }

    @Test func csvHeaderParsingHandlesQuotes() {
        #expect(CSVHeader.parse("\u{FEFF}id;\"full; name\";\"a \"\"b\"\"\"\r\n1;2;3\n", delimiter: ";") == ["id", "full; name", "a \"b\""])
        #expect(CSVHeader.parse("a,b", delimiter: ",") == ["a", "b"])
    }
}

extension Array where Element == Unicode.Scalar {
    fileprivate func firstIndex(of scalar: Unicode.Scalar, after start: Int) -> Int? {
        self[start...].firstIndex(of: scalar)
    }
}
