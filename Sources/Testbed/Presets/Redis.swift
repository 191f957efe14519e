import TestbedModel
extension Preset {
    /// `redis: {}` — redis-server on a loopback port, no persistence, a password of its own:
    /// `${NAME.password}`, generated for each run; `${NAME.url}` is
    /// `redis://default:PASSWORD@127.0.0.1:PORT/0` (user `default`: Redis 6 or newer).
    ///
    /// The password is in `auth.conf` (0600), which the command line includes after the
    /// configuration file, so a `files: {conf: …}` of the manifest's own keeps it.
    static let redis = Preset(
        name: "redis",
        requires: RequiredProgram(program: "redis-server", package: "redis-server"),
        options: [
            Option(name: "maxmemory", defaultValue: "0", summary: "memory limit (redis units, e.g. 64mb; 0: none)"),
            Option(name: "maxmemory_policy", defaultValue: "noeviction", summary: "what to evict at the limit"),
            Option(name: "databases", defaultValue: "16", summary: "number of logical databases"),
        ],
        generatesPassword: true,
        yaml: """
            command: [redis-server, "${self.files.conf}", --include, "${self.files.auth}"]
            ports: [redis]
            user: {name: nobody, only_as_root: true}
            url: "redis://default:${self.password}@127.0.0.1:${self.ports.redis}/0"
            healthcheck: {tcp: redis}
            files:
              conf:
                name: redis.conf
                content: |
                  bind 127.0.0.1
                  port ${self.ports.redis}
                  save ""
                  appendonly no
                  dir ${self.dir}
                  maxmemory {{maxmemory}}
                  maxmemory-policy {{maxmemory_policy}}
                  databases {{databases}}
              auth:
                name: auth.conf
                mode: "0600"
                content: |
                  requirepass ${self.password}
            """)
}
