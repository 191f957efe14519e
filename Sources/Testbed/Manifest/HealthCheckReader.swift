import Yams
import TestbedModel

/// Reads a service's `healthcheck:` block.
enum HealthCheckReader {
    static let probeKeys = ["tcp", "http", "command", "test", "log", "sql"]
    static let keys = probeKeys + ["port", "status", "interval", "timeout", "start_period", "deadline", "disable", "retries"]

    static func read(_ node: Node, service: String, reader: inout NodeReader) -> HealthCheckSpec? {
        guard let entries = reader.entries(node, "healthcheck", service: service) else { return nil }
        reader.checkKeys(entries, allowed: keys, in: "the healthcheck", service: service)
        func value(_ key: String) -> Node? { entries.first { $0.key == key }?.value }
        if let disable = value("disable"), reader.bool(disable, "disable", service: service) == true { return nil }
        let probes = entries.filter { probeKeys.contains($0.key) }
        guard let probeEntry = probes.first else {
            reader.fail(node, service: service, "the healthcheck says nothing to check",
                        hint: "add one of: tcp: PORT_NAME, http: /path (with port:), command: [...], log: REGEX, sql: QUERY")
            return nil
        }
        if probes.count > 1 {
            reader.fail(probes[1].keyNode, service: service,
                        "a healthcheck has one check, found \(probes.map { "'\($0.key)'" }.joined(separator: " and "))",
                        hint: "keep one; a service that needs several conditions can wait on a job that checks them")
            return nil
        }
        let port = value("port").flatMap { portReference($0, service: service, reader: &reader) }
        for (key, needs) in [("port", "http"), ("status", "http")] where value(key) != nil && probeEntry.key != needs {
            let node = entries.first { $0.key == key }!.keyNode
            reader.fail(node, service: service, "'\(key)' applies to an http check, not to '\(probeEntry.key)'",
                        hint: probeEntry.key == "tcp" ? "name the port in the check itself: tcp: PORT_NAME" : "remove it")
        }
        if value("retries") != nil && value("deadline") != nil {
            reader.fail(entries.first { $0.key == "retries" }!.keyNode, service: service,
                        "give either 'retries' or 'deadline', not both", hint: "deadline is the overall time; retries derives it")
        }
        var probe: HealthCheckSpec.Probe?
        switch probeEntry.key {
        case "tcp":
            probe = portReference(probeEntry.value, service: service, reader: &reader).map { .tcp(port: $0) }
        case "http":
            var status = 200
            if let statusNode = value("status"), let parsed = reader.int(statusNode, "status", service: service, range: 100...599) {
                status = parsed
            }
            if let target = reader.template(probeEntry.value, "http", service: service) {
                if target.source.hasPrefix("/") {
                    if let port {
                        probe = .http(url: .path(target.source, port: port), status: status)
                    } else {
                        reader.fail(probeEntry.value, service: service, "an http check on a path needs 'port:' (a named port of the service)",
                                    hint: "add 'port: http', or give a full URL such as http://127.0.0.1:${\(service).ports.http}/health")
                    }
                } else if target.source.hasPrefix("http://") {
                    probe = .http(url: .url(target), status: status)
                } else {
                    reader.fail(probeEntry.value, service: service, "http must be a path (/health) or an http:// URL, found '\(target.source)'")
                }
            }
        case "command":
            probe = ServiceReader.readCommand(probeEntry.value, "the healthcheck command", service: service, reader: &reader).map { .command($0) }
        case "test":
            probe = composeTest(probeEntry.value, service: service, reader: &reader).map { .command($0) }
        case "log":
            if let pattern = reader.string(probeEntry.value, "log", service: service) {
                if (try? NSRegularExpression(pattern: pattern)) == nil {
                    reader.fail(probeEntry.value, service: service, "log pattern /\(pattern)/ is not a valid regular expression")
                } else {
                    probe = .log(pattern: pattern)
                }
            }
        case "sql":
            probe = reader.string(probeEntry.value, "sql", service: service).map { .sql(query: $0) }
        default: break
        }
        guard let probe else { return nil }
        var spec = HealthCheckSpec(probe: probe, location: reader.location(probeEntry.keyNode))
        if let node = value("interval"), let duration = reader.duration(node, "interval", service: service) {
            // An explicit interval is kept between every two attempts: no backoff.
            spec.timing.interval = duration
            spec.timing.maxInterval = duration
        }
        if let node = value("timeout"), let duration = reader.duration(node, "timeout", service: service) { spec.timing.timeout = duration }
        if let node = value("start_period"), let duration = reader.duration(node, "start_period", service: service) { spec.timing.startPeriod = duration }
        if let node = value("deadline"), let duration = reader.duration(node, "deadline", service: service) { spec.timing.deadline = duration }
        if let node = value("retries"), let retries = reader.int(node, "retries", service: service, range: 1...100_000),
           value("deadline") == nil {
            // Compose's retries: the deadline becomes start_period + retries × (interval + timeout).
            spec.timing.deadline = spec.timing.startPeriod + (spec.timing.interval + spec.timing.timeout) * retries
        }
        return spec
    }

    static func portReference(_ node: Node, service: String, reader: inout NodeReader) -> HealthCheckSpec.PortReference? {
        guard let text = reader.string(node, "port", service: service) else { return nil }
        if let number = Int(text) {
            guard (1...65535).contains(number) else {
                reader.fail(node, service: service, "port \(number) is out of range")
                return nil
            }
            return .number(number)
        }
        return .named(text)
    }

    /// Compose's `test: ["CMD", ...]`, `["CMD-SHELL", "..."]` or a string.
    static func composeTest(_ node: Node, service: String, reader: inout NodeReader) -> CommandSpec? {
        guard case .sequence(let items) = node else {
            return ServiceReader.readCommand(node, "test", service: service, reader: &reader)
        }
        let words = items.compactMap { reader.template($0, "test", service: service) }
        guard words.count == items.count, let first = words.first else { return nil }
        switch first.source {
        case "CMD" where words.count > 1: return .argv(Array(words.dropFirst()))
        case "CMD-SHELL" where words.count == 2: return .shell(words[1])
        case "CMD", "CMD-SHELL", "NONE":
            reader.fail(node, service: service, "test: \(first.source) needs \(first.source == "CMD-SHELL" ? "exactly one command string" : "a command after it")",
                        hint: "write test: [CMD, program, args...] or [CMD-SHELL, \"shell command\"]; use 'disable: true' for no check")
            return nil
        default: return .argv(words)
        }
    }
}

import Foundation
