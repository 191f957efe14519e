"""A small web app for the example stack: reads PostgreSQL through psql (stdlib only)."""
import json, os, subprocess
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DATABASE_URL = os.environ["DATABASE_URL"]


def query(sql):
    out = subprocess.run(["psql", DATABASE_URL, "-tA", "-F", "\t", "-c", sql], check=True,
                         capture_output=True, text=True).stdout
    return [line.split("\t") for line in out.splitlines() if line]


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/health":
            query("SELECT 1")
            return self.reply(200, {"status": "ok"})
        if self.path == "/totals":
            rows = query("SELECT name, total_cents FROM user_totals ORDER BY id")
            return self.reply(200, [{"name": n, "total_cents": int(t)} for n, t in rows])
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
    server = ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler)
    print(f"api listening on {server.server_address[1]}", flush=True)
    server.serve_forever()
