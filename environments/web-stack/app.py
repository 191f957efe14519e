"""The web stack's app (stdlib only): products from PostgreSQL through pgbouncer (psql),
a visit counter in redis (RESP over a socket). Its settings file is rendered by Testbed."""
import json, socket, subprocess, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

with open(sys.argv[1]) as f:
    SETTINGS = json.load(f)


def query(sql):
    out = subprocess.run(["psql", SETTINGS["database_url"], "-tA", "-F", "\t", "-c", sql],
                         check=True, capture_output=True, text=True).stdout
    return [line.split("\t") for line in out.splitlines() if line]


def redis(*args):
    """Sends AUTH with the run's password (the preset asks every client for it), then `args`."""
    def encode(*words):
        return f"*{len(words)}\r\n" + "".join(f"${len(str(w))}\r\n{w}\r\n" for w in words)
    with socket.create_connection((SETTINGS["redis"]["host"], SETTINGS["redis"]["port"]), timeout=2) as conn:
        conn.sendall((encode("AUTH", SETTINGS["redis"]["password"]) + encode(*args)).encode())
        replies = conn.makefile("rb")
        auth, reply = replies.readline().decode().strip(), replies.readline().decode().strip()
    if auth != "+OK":
        raise RuntimeError(auth)
    if reply[0] in "+:":
        return reply[1:]
    raise RuntimeError(reply)


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/health":
            query("SELECT 1")
            redis("PING")
            return self.reply(200, {"status": "ok"})
        if self.path == "/products":
            rows = query("SELECT name, price_cents FROM products ORDER BY id")
            visits = int(redis("INCR", "visits"))
            return self.reply(200, {"products": [{"name": n, "price_cents": int(p)} for n, p in rows],
                                    "visits": visits, "host": self.headers.get("Host")})
        self.reply(404, {"error": "not found"})

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt, *args):
        print(fmt % args, flush=True)


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", SETTINGS["port"]), Handler)
    print(f"app listening on {server.server_address[1]}", flush=True)
    server.serve_forever()
