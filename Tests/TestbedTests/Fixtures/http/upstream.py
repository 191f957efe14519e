"""A small HTTP/1.1 API for the HTTP link tests: keep-alive, JSON, gzip, chunked, cookies.

    python3 upstream.py PORT_FILE [PORT [CERT_PEM KEY_PEM]]

Writes the port it listens on to PORT_FILE. With CERT_PEM and KEY_PEM it speaks HTTPS
(TLS from python's ssl module) instead of plain HTTP. Routes:
    GET  /count             {"count": N}: N goes up by one on every call (order of replay)
    GET  /items?a=1&b=2     the query back as JSON (order-insensitive matching)
    POST /echo              {"keys": <the JSON body's keys>, "x": <its x>, "len": N}
    GET  /gzip              a JSON body sent gzip-encoded when the client accepts gzip
    GET  /chunked           a body sent with Transfer-Encoding: chunked, in 3 chunks
    GET  /login             Set-Cookie with a session secret; echoes Authorization's length
    GET  /big               20,000 bytes of text
    GET  /ws                a WebSocket-like upgrade: 101, then echoes bytes upper-cased
    anything else           404 {"error": "not found"}
"""
import gzip
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

counter = 0
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send_json(self, status, value, headers=()):
        body = json.dumps(value, sort_keys=True).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        for name, text in headers:
            self.send_header(name, text)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        global counter
        url = urlsplit(self.path)
        if url.path == "/count":
            with lock:
                counter += 1
                value = counter
            return self.send_json(200, {"count": value})
        if url.path == "/items":
            return self.send_json(200, {"query": dict(parse_qsl(url.query))})
        if url.path == "/gzip":
            body = json.dumps({"compressed": True, "text": "squeeze " * 50}).encode()
            if "gzip" in self.headers.get("Accept-Encoding", ""):
                body = gzip.compress(body)
                self.send_response(200)
                self.send_header("Content-Encoding", "gzip")
            else:
                self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if url.path == "/chunked":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (b"first,", b"second,", b"third"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
            return
        if url.path == "/login":
            token = self.headers.get("Authorization", "")
            return self.send_json(200, {"authorized": bool(token), "token_length": len(token)},
                                  headers=[("Set-Cookie", "session=SESSION-SECRET-42; HttpOnly")])
        if url.path == "/big":
            body = b"0123456789" * 2000
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if url.path == "/ws" and self.headers.get("Upgrade"):
            self.send_response(101)
            self.send_header("Upgrade", self.headers["Upgrade"])
            self.send_header("Connection", "Upgrade")
            self.end_headers()
            self.wfile.flush()
            while True:
                data = self.connection.recv(65536)
                if not data:
                    break
                self.connection.sendall(data.upper())
            self.close_connection = True
            return
        self.send_json(404, {"error": "not found"})

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        try:
            value = json.loads(raw) if raw else None
        except ValueError:
            value = raw.decode("utf-8", "replace")
        if urlsplit(self.path).path == "/echo":
            keys = sorted(value) if isinstance(value, dict) else []
            return self.send_json(200, {"keys": keys, "x": value.get("x") if keys else None, "len": len(raw)})
        self.send_json(404, {"error": "not found"})


def main():
    port_file = sys.argv[1]
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    ThreadingHTTPServer.allow_reuse_address = True
    ThreadingHTTPServer.daemon_threads = True
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    if len(sys.argv) > 4:
        import ssl
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(sys.argv[3], sys.argv[4])
        server.socket = context.wrap_socket(server.socket, server_side=True)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    import os
    os.replace(port_file + ".tmp", port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
