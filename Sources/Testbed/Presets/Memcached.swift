import TestbedModel
extension Preset {
    /// `memcached: {}` — memcached on a loopback TCP port, UDP off; `${NAME.url}` is
    /// `memcached://127.0.0.1:PORT`.
    static let memcached = Preset(
        name: "memcached",
        requires: RequiredProgram(program: "memcached", package: "memcached"),
        options: [
            Option(name: "memory", defaultValue: "64", summary: "item memory in megabytes"),
            Option(name: "connections", defaultValue: "1024", summary: "maximum simultaneous connections"),
        ],
        yaml: """
            command: [memcached, --listen=127.0.0.1, "--port=${self.ports.memcached}", --udp-port=0,
                      "--memory-limit={{memory}}", "--conn-limit={{connections}}"]
            ports: [memcached]
            user: {name: nobody, only_as_root: true}
            url: "memcached://127.0.0.1:${self.ports.memcached}"
            healthcheck: {tcp: memcached}
            """)
}
