extension Preset {
    /// `redis: {}` — redis-server on a loopback port, no persistence; `${NAME.url}` is
    /// `redis://127.0.0.1:PORT/0`.
    static let redis = Preset(
        name: "redis",
        requires: RequiredProgram(program: "redis-server", package: "redis-server"),
        options: [
            Option(name: "maxmemory", defaultValue: "0", summary: "memory limit (redis units, e.g. 64mb; 0: none)"),
            Option(name: "maxmemory_policy", defaultValue: "noeviction", summary: "what to evict at the limit"),
            Option(name: "databases", defaultValue: "16", summary: "number of logical databases"),
        ],
        yaml: """
            command: [redis-server, "${self.files.conf}"]
            ports: [redis]
            user: {name: nobody, only_as_root: true}
            url: "redis://127.0.0.1:${self.ports.redis}/0"
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
            """)
}
