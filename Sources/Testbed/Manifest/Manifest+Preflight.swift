import Foundation
import TestbedModel
import TestbedTapes
import TestbedDrivers

extension Manifest {
    /// What can be known to fail before anything starts, given the environment a run would
    /// get: every `${VAR}` without a default must be set (in `environment` or the `.env` file
    /// beside the manifest; `${VAR:?message}` reports its message), every fixture path with
    /// `${VAR}` must name an existing file, every `working_dir` must be an existing folder,
    /// and every process's program must be installed (`ProgramCheck`).
    ///
    /// `testbed validate` runs these after loading; a start finds the same problems when it
    /// plans the run. Returns the problems in file order, empty when there are none. Linear
    /// in the size of the manifest.
    package func preflight(environment: [String: String]) -> [ManifestProblem] {
        // Service values are only known once ports are reserved: any text stands in for them.
        var values: [String: [String: String]] = ["run": ["dir": "", "name": name]]
        for service in services {
            var own: [String: String] = [:]
            for key in ServiceValueKeys.keys(of: service) { own[key] = "" }
            values[service.name] = own
        }
        let resolver = Resolver(manifest: self, environment: environment, values: values)
        var problems: [ManifestProblem] = []
        func check(_ template: Template, service: String?) -> String? {
            do { return try resolver.resolve(template, service: service) } catch {
                problems.append(error)
                return nil
            }
        }
        for service in services {
            for template in ManifestValidator.templates(of: service) where template.parts.contains(where: \.isVariable) {
                _ = check(template, service: service.name)
            }
            if let process = service.process, let template = process.workingDirectory,
               template.referencedServices.isEmpty, !template.parts.contains(where: \.isRunValue),
               let resolved = check(template, service: service.name) {
                let path = resolvePath(resolved)
                var isDirectory: ObjCBool = false
                if !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) || !isDirectory.boolValue {
                    problems.append(ManifestProblem(template.location, service: service.name,
                        "working_dir '\(resolved)' is not an existing folder (looked for \(path))",
                        hint: "create it, or fix the path (relative paths are against the manifest's folder)"))
                }
            }
            // The program, found on the service's own PATH when it sets one; a PATH made of
            // other services' values is only known when the run is planned.
            if let process = service.process, let program = ProgramCheck.program(of: process.command),
               program.referencedServices.isEmpty, let name = try? resolver.resolve(program, service: service.name) {
                let own = service.environment.last { $0.name == "PATH" }?.value
                if own?.referencedServices.isEmpty ?? true {
                    let path = own.map { try? resolver.resolve($0, service: service.name) } ?? environment["PATH"]
                    do { _ = try ProgramCheck.locate(name, of: service, path: path, at: program.location) } catch { problems.append(error) }
                }
            }
            problems += ServiceKinds.kind(of: service.kind).preflight(service.kind, service: service.name, location: service.location,
                                                                      environment: environment)
            for step in service.seed where step.files.contains(where: { $0.contains("${") }) {
                do {
                    for path in try resolver.seedFiles(step, of: self, service: service.name)
                    where !FileManager.default.fileExists(atPath: path) {
                        problems.append(ManifestProblem(step.location, service: service.name,
                            "fixture file \(path) does not exist", hint: "check the variables in its path and the manifest's folder"))
                    }
                } catch {
                    problems.append(error)
                }
            }
        }
        for export in exports where export.value.parts.contains(where: \.isVariable) {
            _ = check(export.value, service: nil)
        }
        let resolvedLinks = resolvingLinkVariables(environment: environment)
        problems += resolvedLinks.problems
        problems += resolvedLinks.manifest.preflightTapes(environment: environment)
        return problems.sorted { ($0.location.file, $0.location.line, $0.location.column) < ($1.location.file, $1.location.line, $1.location.column) }
    }
}

extension Manifest {
    /// HTTP links: the problems of ``tapeModes(chosen:environment:)``, and a tape the run
    /// would read that cannot be loaded (malformed, newer), named with its line.
    func preflightTapes(environment: [String: String]) -> [ManifestProblem] {
        let modes = tapeModes(chosen: nil, environment: environment)
        var problems = modes.problems
        for tape in tapes(override: modes.override) where tape.mode.readsTape && tape.exists {
            do { _ = try Tape.load(from: URL(fileURLWithPath: tape.path)) } catch {
                problems.append(ManifestProblem(tape.http.location, "link '\(tape.link)': \(error)",
                                                hint: "fix the tape, or record it again with TESTBED_TAPES=record"))
            }
        }
        return problems
    }
}

extension ManifestLoader {
    /// Loads the manifest at `path` and runs ``Manifest/preflight(environment:)`` on it: what
    /// `testbed validate` checks. Throws every problem found at once.
    package static func validate(path: String, environment: [String: String]) throws(ManifestError) -> Manifest {
        let manifest = try load(path: path)
        let problems = manifest.preflight(environment: environment)
        if !problems.isEmpty { throw ManifestError(problems: problems) }
        return manifest
    }
}

extension Template.Part {
    /// A `${VAR}` placeholder.
    var isVariable: Bool {
        if case .variable = self { return true }
        return false
    }

    /// `${run.dir}` or `${run.name}`.
    var isRunValue: Bool {
        if case .reference("run", _) = self { return true }
        return false
    }
}
