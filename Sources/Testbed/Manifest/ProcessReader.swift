import Yams
import TestbedSystem
import TestbedModel

/// Reads the keys of a process service (`command:`, `ports:`, `files:`, …): the settings of
/// the kind a service without a block has. The core reads them, since seed commands,
/// health checks and presets share their readers.
enum ProcessReader {
    /// Reads one entry of the service into `process`; other keys are left alone.
    static func read(_ entry: (key: String, keyNode: Node, value: Node), service name: String, into process: inout ProcessSpec,
                     reader: inout NodeReader) {
        switch entry.key {
        case "command":
            if let command = ServiceReader.readCommand(entry.value, "command", service: name, reader: &reader) { process.command = command }
        case "working_dir":
            if let dir = reader.template(entry.value, "working_dir", service: name) { process.workingDirectory = dir }
        case "ports": process.ports = ServiceReader.readPorts(entry.value, service: name, reader: &reader)
        case "stop_signal":
            if let text = reader.string(entry.value, "stop_signal", service: name) {
                if let signal = SignalNames.parse(text) { process.stopSignal = signal } else {
                    reader.fail(entry.value, service: name, "stop_signal '\(text)' is not a signal", hint: "use a name such as SIGTERM, SIGINT or SIGQUIT")
                }
            }
        case "stop_grace_period":
            if let grace = reader.duration(entry.value, "stop_grace_period", service: name) { process.stopGracePeriod = grace }
        case "files": process.files = ServiceFileReader.files(entry.value, service: name, reader: &reader)
        case "user": process.user = ServiceFileReader.user(entry.value, service: name, reader: &reader)
        case "url": process.url = reader.template(entry.value, "url", service: name)
        default: break
        }
    }
}
