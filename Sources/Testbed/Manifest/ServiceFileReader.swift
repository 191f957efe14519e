import Foundation
import Yams
import TestbedModel

/// Reads a process service's `files:` and `user:`.
enum ServiceFileReader {
    static let fileKeys = ["content", "template", "name", "mode"]

    /// `files: {KEY: {content: TEXT | template: PATH, name: NAME, mode: "0600"}}`.
    /// `takesTarget`: the service is a container, whose files may name a `target:` inside it.
    static func files(_ node: Node, service: String, takesTarget: Bool = false, reader: inout NodeReader) -> [ServiceFileSpec] {
        var files: [ServiceFileSpec] = []
        for entry in reader.entries(node, "files", service: service) ?? [] {
            guard ManifestLoader.isValidServiceName(entry.key) else {
                reader.fail(entry.keyNode, service: service, "file key '\(entry.key)' may only contain letters, digits, '-' and '_'",
                            hint: "the key names the value ${\(service).files.KEY}")
                continue
            }
            guard let fields = reader.entries(entry.value, "file '\(entry.key)'", service: service) else { continue }
            reader.checkKeys(fields, allowed: fileKeys + (takesTarget ? ["target"] : []), in: "file '\(entry.key)'", service: service,
                             extra: takesTarget ? [:] : ["target": "only a container ('image:') mounts a file at a target; a process reads it at ${\(service).files.\(entry.key)}"])
            var spec = ServiceFileSpec(key: entry.key, name: entry.key, lines: [], location: reader.location(entry.keyNode))
            let content = fields.first { $0.key == "content" }, template = fields.first { $0.key == "template" }
            switch (content, template) {
            case (nil, nil):
                reader.fail(entry.keyNode, service: service, "file '\(entry.key)' has neither 'content' nor 'template'",
                            hint: "write the text inline with 'content: |' or name a template file beside the manifest")
                continue
            case (.some, .some):
                reader.fail(entry.keyNode, service: service, "file '\(entry.key)' has both 'content' and 'template'", hint: "keep one")
                continue
            case (let content?, nil):
                guard let text = reader.string(content.value, "content", service: service) else { continue }
                // A block scalar (`|`) starts on the line after its indicator.
                var first = reader.location(content.value)
                // A preset's nodes all carry the preset key's mark: every line is reported there.
                let fromPreset = content.value.mark?.line == content.keyNode.mark?.line
                    && content.value.mark?.column == content.keyNode.mark?.column
                if !fromPreset, case .scalar(let scalar) = content.value, scalar.style == .literal || scalar.style == .folded { first.line += 1 }
                spec.lines = lines(of: text, file: first.file, firstLine: first.line, step: fromPreset ? 0 : 1,
                                   service: service, reader: &reader)
            case (nil, let template?):
                guard let relative = reader.string(template.value, "template", service: service) else { continue }
                let path = relative.hasPrefix("/") ? relative : reader.directory + "/" + relative
                guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                    reader.fail(template.value, service: service, "template '\(relative)' of file '\(entry.key)' cannot be read (looked in \(path))",
                                hint: "template paths are relative to the manifest's folder")
                    continue
                }
                spec.templatePath = path
                spec.lines = lines(of: text, file: path, firstLine: 1, step: 1, service: service, reader: &reader)
            }
            if let name = fields.first(where: { $0.key == "name" }) {
                guard let text = reader.string(name.value, "name", service: service) else { continue }
                guard isPlainName(text) else {
                    reader.fail(name.value, service: service, "file name '\(text)' would leave the service's folder",
                                hint: "give a plain file name (no '/', not '.' or '..'); the file goes to ${\(service).dir}")
                    continue
                }
                spec.name = text
            }
            if let mode = fields.first(where: { $0.key == "mode" }) {
                guard let text = reader.string(mode.value, "mode", service: service) else { continue }
                guard let bits = UInt16(text, radix: 8), bits <= 0o777 else {
                    reader.fail(mode.value, service: service, "mode '\(text)' is not a file mode",
                                hint: "write octal permission bits in quotes, e.g. mode: \"0640\"")
                    continue
                }
                spec.mode = bits
            }
            if let target = fields.first(where: { $0.key == "target" }), let text = reader.string(target.value, "target", service: service) {
                guard text.hasPrefix("/"), !text.contains(":"), !text.contains(",") else {
                    reader.fail(target.value, service: service, "target '\(text)' must be an absolute path inside the container",
                                hint: "e.g. target: /etc/app/app.conf")
                    continue
                }
                spec.target = text
            }
            if files.contains(where: { $0.name == spec.name }) {
                reader.fail(entry.keyNode, service: service, "two files are named '\(spec.name)'", hint: "give one a different 'name'")
                continue
            }
            files.append(spec)
        }
        return files
    }

    /// True when `name` names a file directly inside a folder.
    static func isPlainName(_ name: String) -> Bool {
        !name.isEmpty && name != "." && name != ".." && !name.contains("/") && !name.contains("\0")
    }

    /// The text's lines as templates, each located at its own line of `file`.
    static func lines(of text: String, file: String, firstLine: Int, step: Int, service: String,
                      reader: inout NodeReader) -> [Template] {
        var result: [Template] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let location = SourceLocation(file: file, line: firstLine + index * step, column: 1)
            do {
                result.append(try Template(parsing: String(line), location: location))
            } catch {
                reader.problems.append(ManifestProblem(location, service: service, error.message,
                                                       hint: "write $${ for a literal '${'"))
            }
        }
        return result
    }

    /// `user: NAME`, or `user: {name: NAME, only_as_root: true}`.
    static func user(_ node: Node, service: String, reader: inout NodeReader) -> ServiceUserSpec? {
        if case .mapping = node {
            guard let fields = reader.entries(node, "user", service: service) else { return nil }
            reader.checkKeys(fields, allowed: ["name", "only_as_root"], in: "user", service: service)
            guard let nameNode = fields.first(where: { $0.key == "name" })?.value,
                  let name = reader.string(nameNode, "user name", service: service) else {
                reader.fail(node, service: service, "user has no 'name'")
                return nil
            }
            let onlyAsRoot = fields.first { $0.key == "only_as_root" }.flatMap { reader.bool($0.value, "only_as_root", service: service) } ?? false
            return ServiceUserSpec(name: name, onlyAsRoot: onlyAsRoot, location: reader.location(node))
        }
        guard let name = reader.string(node, "user", service: service) else { return nil }
        guard !name.isEmpty else {
            reader.fail(node, service: service, "user is empty")
            return nil
        }
        return ServiceUserSpec(name: name, location: reader.location(node))
    }
}
