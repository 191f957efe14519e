import TestbedModel
extension Preset {
    /// `pgbouncer: {target: db}` — a connection pool in front of a `postgres:` service.
    ///
    /// Clients log in with the target's `user` and `password` (the userlist is a 0600 file
    /// owned by the account pgbouncer runs as), and pgbouncer logs in to the server with the
    /// same pair. A target without a `password:` gets one generated for the run: the pool
    /// listens on TCP, where no client gets in without one (`auth_type` is never `trust`).
    /// `${NAME.url}` is `postgresql://USER:PASSWORD@127.0.0.1:PORT/DATABASE` through the
    /// pool, user and password percent-encoded. As root it runs as `postgres` (pgbouncer
    /// refuses root, and that account can reach the cluster's socket).
    static let pgbouncer = Preset(
        name: "pgbouncer",
        requires: RequiredProgram(program: "pgbouncer", package: "pgbouncer"),
        options: [
            Option(name: "target", defaultValue: nil, isService: true, summary: "the postgres service to pool", logsIn: true),
            Option(name: "pool_mode", defaultValue: "transaction", summary: "session, transaction or statement"),
            Option(name: "default_pool_size", defaultValue: "20", summary: "server connections per user and database"),
            Option(name: "max_client_conn", defaultValue: "200", summary: "client connections accepted"),
            Option(name: "auth_type", defaultValue: "scram-sha-256", summary: "how clients log in: scram-sha-256, md5 or plain",
                   allowed: ["scram-sha-256", "md5", "plain"]),
        ],
        yaml: """
            command: [pgbouncer, "${self.files.ini}"]
            ports: [pg]
            depends_on: [{{target}}]
            user: {name: postgres, only_as_root: true}
            url: "postgresql://${{{target}}.user}:${{{target}}.password}@127.0.0.1:${self.ports.pg}/${{{target}}.database}"
            healthcheck: {tcp: pg}
            files:
              ini:
                name: pgbouncer.ini
                content: |
                  [databases]
                  * = host=${{{target}}.host} port=${{{target}}.port}
                  [pgbouncer]
                  listen_addr = 127.0.0.1
                  listen_port = ${self.ports.pg}
                  unix_socket_dir =
                  auth_type = {{auth_type}}
                  auth_file = ${self.files.users}
                  pool_mode = {{pool_mode}}
                  default_pool_size = {{default_pool_size}}
                  max_client_conn = {{max_client_conn}}
                  ignore_startup_parameters = extra_float_digits,options
              users:
                name: userlist.txt
                mode: "0600"
                content: |
                  "${{{target}}.user}" "${{{target}}.password}"
            """)
}
