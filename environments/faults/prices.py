"""The dependency: a tiny price API (GET /price → {"sku": …, "price": …})."""
import http.server
import json
import sys


class Prices(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path != "/price":
            self.send_error(404)
            return
        body = json.dumps({"sku": "tea", "price": 4.2, "note": "x" * 200}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Prices).serve_forever()
