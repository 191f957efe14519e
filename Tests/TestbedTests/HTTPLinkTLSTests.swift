import Foundation
import Testing
@testable import Testbed
@testable import TestbedSystem
@testable import TestbedLinks

/// An HTTP link to an https upstream whose certificate comes from a private CA: trusted
/// through the link's `ca_file`, refused without it. The CA and the server certificate are
/// made with the openssl CLI, the upstream is `Fixtures/http/upstream.py` speaking TLS.
@Suite(.serialized) struct HTTPLinkTLSTests {
    static func manifest(upstream: String, caFile: String?) -> String {
        """
        name: tls
        services: {}
        links:
          api:
            to: \(upstream)
            http:
              tape: tapes/api.json
              mode: record
              \(caFile.map { "ca_file: \($0)" } ?? "")
        exports:
          API_URL: ${api.url}
        """
    }

    /// Status and a hash of the body of each request, one a line.
    static let curl = #"""
        for p in /items?a=1 /big /count /nothing; do curl -s -o "$TB_OUT" -w "$p %{http_code} " "$API_URL$p"; sha256sum < "$TB_OUT"; done
        curl -s -o "$TB_OUT" -w "POST /echo %{http_code} " -H 'Content-Type: application/json' -d '{"x": 7, "y": [1, 2]}' "$API_URL/echo"; sha256sum < "$TB_OUT"
        """#

    /// A private CA and a certificate it signed for localhost and 127.0.0.1, in `folder`
    /// (made 0700): returns the CA's, the server certificate's and its key's paths.
    static func makeCertificates(in folder: String) throws -> (ca: String, certificate: String, key: String) {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: folder)
        try "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
            .write(toFile: folder + "/server.ext", atomically: true, encoding: .utf8)
        let steps: [[String]] = [
            ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
             "-subj", "/CN=Testbed Test CA", "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
            ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"],
            ["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem",
             "-days", "2", "-extfile", "server.ext"],
        ]
        for arguments in steps {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["openssl"] + arguments
            process.currentDirectoryURL = URL(fileURLWithPath: folder)
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try withUnblockedSignals { try process.run() }
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw TestFailure("openssl \(arguments.joined(separator: " ")) failed") }
        }
        return (folder + "/ca.pem", folder + "/server.pem", folder + "/server.key")
    }

    func run(_ stack: TestStack, extra: [String: String] = [:]) async throws -> CLI.Result {
        let command = "TB_OUT=\"$(mktemp)\"; trap 'rm -f \"$TB_OUT\"' EXIT\n" + Self.curl
        return try await CLI.Running(["run", "--json", "--report", stack.folder + "/report.json", stack.path, "--", "sh", "-c", command],
                                     mark: stack.mark, extra: ["TESTBED_RUN_ROOT": stack.runRoot].merging(extra) { $1 }).wait()
    }

    @Test func aPrivateCAInCAFileIsTrustedAndTheTapeReplaysWithTheUpstreamStopped() async throws {
        let stack = try TestStack(Self.manifest(upstream: "https://localhost:1", caFile: nil))
        defer { stack.cleanUp() }
        let tls = try Self.makeCertificates(in: stack.folder + "/certs")
        let upstream = try await HTTPUpstreamServer(tls: (tls.certificate, tls.key))
        try FileManager.default.createDirectory(atPath: stack.folder + "/tapes", withIntermediateDirectories: true)
        let url = "https://localhost:\(upstream.port)"
        try Self.manifest(upstream: url, caFile: "certs/ca.pem").write(toFile: stack.path, atomically: true, encoding: .utf8)

        let recorded = try await run(stack)
        #expect(recorded.status == 0, "\(recorded.stdout)\n\(recorded.stderr)")
        for line in ["/items?a=1 200", "/big 200", "/count 200", "/nothing 404", "POST /echo 200"] {
            #expect(recorded.stdout.contains(line), "\(recorded.stdout)\n\(recorded.stderr)")
        }
        #expect(recorded.stderr.contains("tape-written"), "\(recorded.stderr)")
        let tape = try String(contentsOfFile: stack.folder + "/tapes/api.json", encoding: .utf8)
        #expect(tape.contains("\"count\""), "the tape holds what the https upstream said")

        // The upstream is gone; replay answers with the same statuses and body bytes.
        await upstream.stop()
        let replayed = try await run(stack, extra: ["TESTBED_TAPES": "replay"])
        #expect(replayed.status == 0, "\(replayed.stdout)\n\(replayed.stderr)")
        #expect(replayed.stdout == recorded.stdout)
    }

    @Test func withoutCAFileThePrivateCertificateIsRefused() async throws {
        let stack = try TestStack(Self.manifest(upstream: "https://localhost:1", caFile: nil))
        defer { stack.cleanUp() }
        let tls = try Self.makeCertificates(in: stack.folder + "/certs")
        let upstream = try await HTTPUpstreamServer(tls: (tls.certificate, tls.key))
        let manifest = Self.manifest(upstream: "https://localhost:\(upstream.port)", caFile: nil)
        try manifest.write(toFile: stack.path, atomically: true, encoding: .utf8)

        let command = "curl -s -D - \"$API_URL/items?a=1\""
        let refused = try await CLI.Running(["run", stack.path, "--", "sh", "-c", command], mark: stack.mark,
                                            extra: ["TESTBED_RUN_ROOT": stack.runRoot]).wait()
        #expect(refused.stdout.contains("HTTP/1.1 502"), "\(refused.stdout)\n\(refused.stderr)")
        #expect(refused.stdout.contains("X-Testbed-Link: upstream-failed"), "\(refused.stdout)")
        #expect(refused.stdout.uppercased().contains("CERTIFICATE_VERIFY_FAILED"), "the body names the refused certificate: \(refused.stdout)")
        #expect(!FileManager.default.fileExists(atPath: stack.folder + "/tapes/api.json")
                || !((try? String(contentsOfFile: stack.folder + "/tapes/api.json", encoding: .utf8)) ?? "").contains("/items"),
                "a refused upstream is not recorded")
        await upstream.stop()
    }

    @Test func aMissingOrNonPEMCAFileIsALocatedManifestError() async throws {
        let stack = try TestStack(Self.manifest(upstream: "https://localhost:8443", caFile: "certs/none.pem"),
                                  files: ["notpem.txt": "hello\n"])
        defer { stack.cleanUp() }
        let missing = try await CLI.Running(["validate", stack.path], mark: stack.mark, extra: [:]).wait()
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("stack.yml:9"), "\(missing.stderr)")
        #expect(missing.stderr.contains("ca_file") && missing.stderr.contains("none.pem"), "\(missing.stderr)")

        try Self.manifest(upstream: "https://localhost:8443", caFile: "notpem.txt").write(toFile: stack.path, atomically: true, encoding: .utf8)
        let notPEM = try await CLI.Running(["validate", stack.path], mark: stack.mark, extra: [:]).wait()
        #expect(notPEM.status != 0)
        #expect(notPEM.stderr.contains("stack.yml:9") && notPEM.stderr.contains("no PEM certificate"), "\(notPEM.stderr)")
    }
}
