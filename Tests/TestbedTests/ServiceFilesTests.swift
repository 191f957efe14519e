import Foundation
import Testing
@testable import Testbed
@testable import TestbedSystem
@testable import TestbedModel

/// `files:`, `user:` and `url:` on process services, against real processes.
@Suite struct ServiceFilesTests {
    @Test func templatesAreRenderedWithPortsAndSecretsAndLeaveOtherDollarsAlone() async throws {
        let stack = try TestStack("""
            services:
              db:
                postgres: {database: shop, password: "pa$ss@:/#"}
              proxy:
                command: [sleep, "600"]
                ports: [http]
                files:
                  conf:
                    name: proxy.conf
                    template: proxy.conf.in
                  note:
                    content: |
                      listen ${proxy.ports.http}; # $$HOME stays for the shell
                    mode: "0644"
            """, files: ["proxy.conf.in": """
                server { listen 127.0.0.1:${proxy.ports.http}; }
                proxy_set_header Host $host;
                password "${db.password}" for ${db.user}; shell $HOME and $${literal}
                """])
        defer { stack.cleanUp() }
        let environment = try stack.environment()
        try await environment.start()
        let values = try #require(await environment.values["proxy"])
        let port = try #require(values["ports.http"])
        let path = try #require(values["files.conf"])
        #expect(path == values["dir"]! + "/proxy.conf")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text == """
            server { listen 127.0.0.1:\(port); }
            proxy_set_header Host $host;
            password "pa$ss@:/#" for postgres; shell $HOME and ${literal}
            """)
        var info = stat()
        #expect(stat(path, &info) == 0 && info.st_mode & 0o777 == 0o600)
        let note = try #require(values["files.note"])
        #expect(try String(contentsOfFile: note, encoding: .utf8) == "listen \(port); # $HOME stays for the shell\n")
        #expect(stat(note, &info) == 0 && info.st_mode & 0o777 == 0o644)
        await environment.stop()
    }

    @Test(.enabled(if: UnixUser.isRoot && UnixUser.named("nobody") != nil, "needs root and the nobody account"))
    func aServiceWithAUserRunsAsItAndOwnsItsFiles() async throws {
        let nobody = try #require(UnixUser.named("nobody"))
        let stack = try TestStack("""
            services:
              svc:
                command: ["/bin/sh", "-c", "id -u > ${svc.dir}/uid && cat ${svc.files.secret} > ${svc.dir}/copy && exec sleep 600"]
                user: nobody
                files:
                  secret: {content: "s3cret ${svc.dir}"}
                healthcheck: {command: [test, -s, "${svc.dir}/copy"]}
            """)
        defer { stack.cleanUp() }
        let environment = try stack.environment()
        try await environment.start()
        let values = try #require(await environment.values["svc"])
        let folder = try #require(values["dir"])
        #expect(try String(contentsOfFile: folder + "/uid", encoding: .utf8) == "\(nobody.uid)\n")
        #expect(try String(contentsOfFile: folder + "/copy", encoding: .utf8) == "s3cret \(folder)")
        var info = stat()
        #expect(stat(try #require(values["files.secret"]), &info) == 0 && info.st_uid == nobody.uid && info.st_mode & 0o777 == 0o600)
        #expect(stat(folder, &info) == 0 && info.st_uid == nobody.uid)
        // The run directory itself stays private: the account may pass through, not list it.
        #expect(stat(await environment.exports["TESTBED_RUN_DIR"]!, &info) == 0 && info.st_uid == 0 && info.st_mode & 0o007 == 0)
        await environment.stop()
        #expect(stack.leftoverRuns.isEmpty)
    }

    @Test func anotherUserIsALocatedErrorForACallerWhoIsNotRoot() throws {
        let manifest = try ManifestLoader.parse(yaml: """
            services:
              svc:
                command: [sleep, "1"]
                user: somebody-else
              pool:
                command: [sleep, "1"]
                user: {name: somebody-else, only_as_root: true}
            """, path: "m.yml", directory: "/tmp")
        let context = EnvironmentPlan.Context(manifest: manifest, run: RunDirectory(path: "/tmp/r"), caller: [:])
        for service in manifest.services {
            guard let process = service.kind as? ProcessSpec else { continue }
            if service.name == "pool" {
                #expect(try context.account(of: service, process, isRoot: false) == nil)
                continue
            }
            let error = #expect(throws: ManifestProblem.self) { try context.account(of: service, process, isRoot: false) }
            #expect(error?.location.line == 4)
            #expect(error?.message.contains("only root can start a process as another user") == true)
        }
    }

    @Test(.enabled(if: UnixUser.isRoot && UnixUser.named("postgres") != nil, "needs root to switch to the postgres user"))
    func anotherUserIsRefusedWhereItIsWrittenWhenTheCallerIsNotRoot() async throws {
        let caller = try #require(UnixUser.named("postgres"))
        let stack = try TestStack("""
            services:
              svc:
                command: [sleep, "600"]
                user: nobody
            """)
        defer { stack.cleanUp() }
        let runRoot = "/dev/shm/tbt-nonroot-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: runRoot) }
        let result = try await CLI.Running(
            ["run", stack.path, "--", "true"], mark: stack.mark,
            extra: ["TESTBED_RUN_ROOT": runRoot, "HOME": "/var/lib/postgresql"], workingDirectory: "/tmp", user: caller).wait()
        #expect(result.status == 125, "\(result.stderr)")
        #expect(result.stderr.contains("stack.yml:4:"), "\(result.stderr)")
        #expect(result.stderr.contains("only root can start a process as another user"), "\(result.stderr)")
        #expect(await eventually { stack.liveProcesses.isEmpty })
    }

    @Test func aURLEncodesItsUserInformationOnly() throws {
        let manifest = try ManifestLoader.parse(yaml: """
            services:
              db:
                postgres: {database: "shop", user: "app", password: "p@ss:w/rd#1"}
              pool:
                command: [sleep, "1"]
                ports: [pg]
                url: "postgresql://${db.user}:${db.password}@127.0.0.1:${pool.ports.pg}/${db.database}?x=${db.password}"
            exports:
              POOL_URL: ${pool.url}
            """, path: "m.yml", directory: "/tmp")
        let plan = try EnvironmentPlan(manifest: manifest, runDirectory: RunDirectory(path: "/tmp/r"), environment: [:], cacheRoot: "/tmp/c")
        defer { plan.releasePorts() }
        let port = try #require(plan.values["pool"]?["ports.pg"])
        #expect(plan.exports["POOL_URL"] == "postgresql://app:p%40ss%3Aw%2Frd%231@127.0.0.1:\(port)/shop?x=p@ss:w/rd#1")
        #expect(plan.values["db"]?["password"] == "p@ss:w/rd#1")
    }

    @Test func fileProblemsAreReportedWhereTheyAre() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "line one\nport ${web.ports.http}\nsecret ${web.nothing}\n".write(toFile: directory + "/web.conf.in", atomically: true, encoding: .utf8)
        let error = #expect(throws: ManifestError.self) {
            try ManifestLoader.parse(yaml: """
                services:
                  web:
                    command: [sleep, "1"]
                    ports: [http]
                    files:
                      conf: {template: web.conf.in}
                      gone: {template: missing.in}
                      out: {content: x, name: ../escape}
                """, path: directory + "/m.yml", directory: directory)
        }
        let problems = error?.problems ?? []
        let placeholder = problems.first { $0.message.contains("web.nothing") }
        #expect(placeholder?.location.file == directory + "/web.conf.in")
        #expect(placeholder?.location.line == 3)
        #expect(problems.contains { $0.message.contains("template 'missing.in'") && $0.location.line == 7 })
        #expect(problems.contains { $0.message.contains("would leave the service's folder") && $0.location.line == 8 })
    }
}
