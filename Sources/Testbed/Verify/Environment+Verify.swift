import Foundation
import TestbedModel
import TestbedTapes

extension Environment {
    /// The base URL of a service or link of the running stack, for `verify --against NAME`:
    /// its `url` value (`${NAME.url}`), or `http://HOST:PORT` when it has no URL and exactly
    /// one port. Throws ``VerifyError`` (`invalid provider`) otherwise.
    package func providerURL(of name: String) throws(VerifyError) -> String {
        guard let own = values[name] else {
            let names = (manifest.services.map(\.name) + manifest.links.map(\.name)).joined(separator: ", ")
            throw VerifyError(.invalidProvider, "'\(name)' is neither a service nor a link of \(manifest.path) (it has: \(names)), nor an http(s) URL")
        }
        if let url = own["url"], !url.isEmpty { return url }
        let ports = own.filter { $0.key.hasPrefix("ports.") }
        if ports.count == 1, let port = ports.first?.value {
            return "http://\(own["host"] ?? "127.0.0.1"):\(port)"
        }
        throw VerifyError(.invalidProvider, "service '\(name)' has no URL and \(ports.isEmpty ? "no port" : "\(ports.count) ports"): "
                          + "declare one with 'url: http://127.0.0.1:${\(name).ports.NAME}' in \(manifest.path), or pass the URL to --against")
    }

    /// Runs the manifest's `verify:` checks against the running stack, in file order, and
    /// returns one report per check. Throws ``VerifyError`` when a check cannot run (a tape
    /// that cannot be read, a provider without a URL, an unset variable in a template); a
    /// broken contract is a report whose ``VerifyReport/broken`` is true.
    public func verifyContracts() async throws(VerifyError) -> [VerifyReport] {
        var reports: [VerifyReport] = []
        let resolver = Resolver(manifest: manifest, environment: options.environment, values: values)
        for spec in manifest.verify {
            let at = "\(spec.location.file):\(spec.location.line)"
            let provider: String
            do {
                let source = spec.against.source
                provider = spec.against.isLiteral && !source.contains("://") ? try providerURL(of: source) : try resolver.resolve(spec.against)
            } catch let error as VerifyError {
                throw VerifyError(error.code, "\(at): \(error.message)")
            } catch {
                throw VerifyError(.invalidProvider, "\(at): \(error)")
            }
            var headers: [TapeHeader] = []
            for header in spec.headers {
                do {
                    headers.append(TapeHeader(header.name, try resolver.resolve(header.value)))
                } catch {
                    throw VerifyError(.invalidHeader, "\(at): header '\(header.name)': \(error)")
                }
            }
            var ignored: [JSONPath] = []
            for path in spec.ignore {
                do { ignored.append(try JSONPath(parsing: path)) } catch { throw VerifyError(.invalidPath, "\(at): \(error)") }
            }
            let tape: Tape
            do {
                tape = try Tape.load(from: URL(fileURLWithPath: manifest.resolvePath(spec.tape)))
            } catch {
                throw VerifyError(.tape, "\(error)")
            }
            let verifier = TapeVerifier(options: .init(
                comparison: ResponseComparison(ignored: ignored, compareValues: spec.values, newFieldsBreak: spec.failOnNewFields),
                learn: spec.learn, headers: headers, timeout: spec.timeout))
            reports.append(try await verifier.verify(tape, named: spec.tape, against: provider))
        }
        return reports
    }
}
