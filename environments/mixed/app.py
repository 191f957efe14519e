"""The mixed stack's app: prices from PostgreSQL (psql), converted with the rates the
container serves (through the link in front of it). Standard library only."""
import json, os, subprocess, time, urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DATABASE_URL = os.environ["DATABASE_URL"]
RATES_URL = os.environ["RATES_URL"]


def price(sku):
    # psql reads :'sku' (quoted by psql) from a script on stdin, not from -c.
    out = subprocess.run(["psql", DATABASE_URL, "-tA", "-v", "sku=" + sku], input="SELECT price_eur FROM products WHERE sku = :'sku';",
                         check=True, capture_output=True, text=True).stdout.strip()
    return float(out) if out else None


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/health":
            return self.answer(200, {"ok": True})
        if self.path.startswith("/price/"):
            sku, _, currency = self.path[len("/price/"):].partition("/")
            eur = price(sku)
            if eur is None:
                return self.answer(404, {"error": "no such product"})
            began = time.monotonic()
            with urllib.request.urlopen(RATES_URL, timeout=5) as answer:
                rates = json.load(answer)["rates"]
            took = round((time.monotonic() - began) * 1000)
            return self.answer(200, {"sku": sku, "currency": currency, "price": round(eur * rates[currency], 2), "rates_ms": took})
        self.answer(404, {"error": "not found"})

    def answer(self, status, document):
        body = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
