import ArgumentParser
import Foundation
import Testbed
import TestbedModel
import TestbedLinks

/// `testbed link`: faults on a running environment's links, through its Toxiproxy endpoint.
struct LinkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "link",
        abstract: "Take a link down or up, add or remove its faults, or list links.",
        discussion: """
            testbed link ls                          every link with its faults
            testbed link LINK ls                     one link
            testbed link LINK down | up              refuse and cut connections / accept again
            testbed link LINK add TYPE [k=v ...]     e.g. add latency latency=300 jitter=50 stream=upstream
            testbed link LINK remove FAULT           by name (default name: TYPE_STREAM)
            testbed link LINK clear                  remove every fault

            Types: latency (latency, jitter: ms), bandwidth (rate: KB/s), slow_close (delay: ms),
            timeout (timeout: ms, 0 = never), reset_peer (timeout: ms), slicer (average_size,
            size_variation: bytes; delay: µs), limit_data (bytes). Every fault also takes
            name=, stream=upstream|downstream, toxicity=0..1 and seed=N.

            HTTP links take HTTP faults instead (docs/tapes.md): http_status (status, body,
            header.NAME=VALUE), http_latency (latency, jitter: ms), http_cut_body (bytes),
            http_expired_token; each matches method= and path= (exact, or a prefix ending in *),
            and toxicity= is the share of matching requests hit, e.g.
              testbed link payments add http_status status=503 method=POST path=/charges header.Retry-After=2 toxicity=0.5

            Which environment: --name ENV (a detached one); else, inside a `testbed run` command,
            that run (TESTBED_LINKS_URL); else the only detached environment running.
            """)

    @Option(name: .long, help: ArgumentHelp("The detached environment (see below for the default).", valueName: "env"))
    var name: String?

    @Flag(help: "Print JSON (Toxiproxy's shapes).")
    var json = false

    @Argument(help: ArgumentHelp("LINK ACTION [ARGUMENTS], or ls.", valueName: "words"))
    var words: [String]

    func validate() throws {
        guard let first = words.first else { throw ValidationError("name a link and an action, e.g. testbed link app-db down; or testbed link ls") }
        if first == "ls" && words.count == 1 { return }
        guard words.count >= 2 else { throw ValidationError("give an action for link '\(first)': down, up, add, remove, clear or ls") }
        let arguments = words.count - 2
        switch words[1] {
        case "down", "up", "clear", "ls":
            guard arguments == 0 else { throw ValidationError("'\(words[1])' takes no arguments (got '\(words[2])')") }
        case "add":
            guard arguments >= 1 else { throw ValidationError("give the fault type after 'add', e.g. add latency latency=300") }
        case "remove":
            guard arguments == 1 else { throw ValidationError("give one fault name after 'remove' (testbed link \(first) ls lists them)") }
        default:
            throw ValidationError("unknown action '\(words[1])': use down, up, add, remove, clear or ls")
        }
    }

    /// Each call to the endpoint is awaited (event-driven, no thread blocked); finding a detached
    /// environment's endpoint asks its control socket first.
    func run() async throws {
        let client = try endpoint()
        do {
            if words == ["ls"] { return try list(await client.proxies()) }
            let link = words[0]
            switch words[1] {
            case "ls": try list([await client.proxy(link)])
            case "down": report(try await client.setEnabled(link, false), "\(link) is down: new connections are refused, open ones were cut")
            case "up": report(try await client.setEnabled(link, true), "\(link) is up: it accepts connections again")
            case "add":
                let fault = try Self.fault(words[2], Array(words.dropFirst(3)))
                let added = try await client.add(fault, to: link)
                report(added, "\(link): added \(added.summary)")
            case "remove":
                try await client.remove(fault: words[2], from: link)
                report(try await client.proxy(link), "\(link): removed \(words[2])")
            default:
                let faults = try await client.proxy(link).toxics
                for fault in faults { try await client.remove(fault: fault.name, from: link) }
                report(try await client.proxy(link), "\(link): removed \(faults.count) fault\(faults.count == 1 ? "" : "s")")
            }
        } catch let error as ToxiproxyError {
            throw Self.fail(error.message)
        }
    }

    /// The endpoint of `--name`, else of the run this command runs in, else of the only detached environment.
    func endpoint() throws -> ToxiproxyClient {
        let variables = ProcessInfo.processInfo.environment
        var url = name == nil ? variables["TESTBED_LINKS_URL"].flatMap { $0.isEmpty ? nil : $0 } : nil
        if url == nil {
            let root = RunDirectory.root(environment: variables)
            let run: DetachedRun
            let answer: ControlResponse
            do {
                run = try DetachedRun.find(name, root: root)
                answer = try ControlSocket.send(ControlRequest(.env), to: run.controlSocket, timeout: .seconds(10))
            } catch {
                throw Self.fail("\(error)")
            }
            url = answer.exports?["TESTBED_LINKS_URL"]
            if url == nil {
                throw Self.fail("environment '\(run.name)' has no links: its manifest (\(run.manifest)) has no "
                    + "'links:' section and no 'toxiproxy: true' (see docs/faults.md)")
            }
        }
        do {
            return try ToxiproxyClient(url: url!)
        } catch {
            throw Self.fail("TESTBED_LINKS_URL: \(error.message)")
        }
    }

    /// Reads `add TYPE k=v…` into a fault; every error names the argument it is about.
    static func fault(_ type: String, _ arguments: [String]) throws -> Fault {
        var attributes: [String: Int] = [:]
        var text: [String: String] = [:]
        var name: String?, seed: UInt64?
        var stream = Fault.Stream.downstream
        var toxicity = 1.0
        var given: [String: String] = [:]
        for argument in arguments {
            let parts = argument.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty else {
                throw Self.fail("argument '\(argument)': write KEY=VALUE, e.g. latency=300")
            }
            let (key, value) = (parts[0], parts[1])
            guard given.updateValue(argument, forKey: key) == nil else {
                throw Self.fail("argument '\(argument)': '\(key)' is given twice")
            }
            switch key {
            case "name": name = value
            case "stream":
                guard let parsed = Fault.Stream(rawValue: value) else {
                    throw Self.fail("argument '\(argument)': stream is upstream or downstream")
                }
                stream = parsed
            case "toxicity":
                guard let parsed = Double(value) else {
                    throw Self.fail("argument '\(argument)': toxicity is a number from 0 to 1")
                }
                toxicity = parsed
            case "seed":
                guard let parsed = UInt64(value) else {
                    throw Self.fail("argument '\(argument)': seed is a whole number of 0 or more")
                }
                seed = parsed
            case _ where ["method", "path", "body"].contains(key) || key.hasPrefix("header."):
                text[key] = value
            default:
                guard let parsed = Int(value) else {
                    throw Self.fail("argument '\(argument)': \(key) takes a whole number "
                        + "(milliseconds for times, microseconds for the slicer's delay, bytes, KB/s for rate)")
                }
                attributes[key] = parsed
            }
        }
        do {
            return try Fault(type: type, attributes: attributes, text: text, name: name, stream: stream, toxicity: toxicity,
                             seed: seed)
        } catch let error as LinkError {
            // Name the argument the message is about, else the type.
            let culprit = given.sorted { $0.key < $1.key }
                .first { error.message.contains("'\($0.key)'") || error.message.contains(" \($0.key) ") }?.value
            throw Self.fail("argument '\(culprit ?? type)': \(error.message)")
        }
    }

    private func list(_ proxies: [ProxyDescription]) throws {
        if json { return printJSON(proxies) }
        if proxies.isEmpty { return print("no links") }
        for proxy in proxies {
            print("\(proxy.name.padding(toLength: max(12, proxy.name.count), withPad: " ", startingAt: 0)) \(proxy.enabled ? "up  " : "down") \(proxy.listen) → \(proxy.upstream)")
            for fault in proxy.toxics { print("    \(fault.summary)") }
        }
    }

    /// Prints `text`, or with `--json` the link or fault as Toxiproxy answered it.
    private func report(_ value: some Encodable, _ text: String) {
        if json { return printJSON(value) }
        print(text)
    }

    /// Prints `message` as an error and returns the exit status 1 to throw.
    static func fail(_ message: String) -> ExitCode {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        return ExitCode(1)
    }

    private func printJSON<T: Encodable>(_ value: T) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        if let data = try? encoder.encode(value) { print(String(decoding: data, as: UTF8.self)) }
    }
}
