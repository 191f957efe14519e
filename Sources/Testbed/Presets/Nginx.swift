import TestbedModel
extension Preset {
    /// `nginx: {upstream: app}` — nginx as a reverse proxy to another service's port
    /// (`upstream_port`, default `http`); `${NAME.url}` is `http://127.0.0.1:PORT`.
    ///
    /// Everything nginx writes (pid, temporary files) goes to the service's folder; its
    /// errors go to the service log. As root it runs as `nobody`.
    static let nginx = Preset(
        name: "nginx",
        requires: RequiredProgram(program: "nginx", package: "nginx"),
        options: [
            Option(name: "upstream", defaultValue: nil, isService: true, summary: "the service requests are passed to"),
            Option(name: "upstream_port", defaultValue: "http", summary: "the upstream's port name"),
            Option(name: "worker_processes", defaultValue: "1", summary: "nginx worker processes"),
        ],
        yaml: """
            command: [nginx, -e, stderr, -p, "${self.dir}", -c, "${self.files.conf}"]
            ports: [http]
            depends_on: [{{upstream}}]
            user: {name: nobody, only_as_root: true}
            url: "http://127.0.0.1:${self.ports.http}"
            healthcheck: {tcp: http}
            files:
              conf:
                name: nginx.conf
                content: |
                  daemon off;
                  worker_processes {{worker_processes}};
                  pid ${self.dir}/nginx.pid;
                  error_log stderr;
                  events { worker_connections 256; }
                  http {
                    access_log off;
                    client_body_temp_path ${self.dir}/client_body;
                    proxy_temp_path ${self.dir}/proxy;
                    fastcgi_temp_path ${self.dir}/fastcgi;
                    uwsgi_temp_path ${self.dir}/uwsgi;
                    scgi_temp_path ${self.dir}/scgi;
                    server {
                      listen 127.0.0.1:${self.ports.http};
                      location / {
                        proxy_pass http://127.0.0.1:${{{upstream}}.ports.{{upstream_port}}};
                        proxy_set_header Host $host;
                        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                      }
                    }
                  }
            """)
}
