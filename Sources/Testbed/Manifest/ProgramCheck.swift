import Foundation
import TestbedSystem
import TestbedModel

/// Finds the programs of a manifest's services before anything starts, the way their spawn
/// will (``ServiceProcess/locate(_:path:)``: the service's PATH, then /usr/local/sbin,
/// /usr/sbin and /sbin), so a missing one fails a run before its first service starts.
///
/// Only a bare program name is checked: a path (`./server`, `${app.dir}/bin/x`) may be made
/// by a job of the run, and is checked when it is spawned. `testbed validate`
/// (``Manifest/preflight(environment:)``) and planning (``EnvironmentPlan``) both use it.
enum ProgramCheck {
    /// The full path of `program`, the first word of a command of `service`, or nil when it
    /// is a path. Throws a problem at `location` naming the service and what to do: for the
    /// program a preset runs, its `apt-get install` line.
    static func locate(_ program: String, of service: ServiceSpec, path: String?,
                       at location: SourceLocation) throws(ManifestProblem) -> String? {
        guard !program.contains("/") else { return nil }
        let path = path ?? ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        if let found = ServiceProcess.locate(program, path: path) { return found }
        let searched = "PATH (\(path)) or in \(ServiceProcess.systemFolders.joined(separator: ", "))"
        if let process = service.process, let required = process.requires, required.program == program {
            throw ManifestProblem(location, service: service.name,
                                  "\(program) is not installed (the \(process.preset ?? "service") preset runs it): not found on \(searched)",
                                  hint: "install it: apt-get install -y \(required.package)")
        }
        throw ManifestProblem(location, service: service.name, "the program '\(program)' was not found on \(searched)",
                              hint: "install it, add its folder to PATH (for this service alone: its 'environment'), "
                                  + "or give its full path in the command")
    }

    /// The template of the program a command runs, when it is given as a list.
    static func program(of command: CommandSpec) -> Template? {
        if case .argv(let parts) = command { return parts.first }
        return nil
    }
}
