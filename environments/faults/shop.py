"""The app under test: GET /quote asks the price API, with a timeout per attempt and a
bounded number of attempts. It answers 200 with the price and how many attempts it took,
or 503 when every attempt failed (slow, refused, reset or cut-off answers)."""
import http.client
import http.server
import json
import os
import time
import urllib.request

PRICES_URL = os.environ["PRICES_URL"]
TIMEOUT = float(os.environ.get("PRICES_TIMEOUT", "0.5"))
ATTEMPTS = int(os.environ.get("PRICES_ATTEMPTS", "3"))


def fetch_price():
    last_error = None
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with urllib.request.urlopen(PRICES_URL + "/price", timeout=TIMEOUT) as answer:
                return json.loads(answer.read())["price"], attempt, None
        except (OSError, ValueError, KeyError, http.client.HTTPException) as error:
            last_error = "%s: %s" % (type(error).__name__, error)
            time.sleep(0.05 * attempt)
    return None, ATTEMPTS, last_error


class Shop(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/health":
            return self.answer(200, {"ok": True})
        if self.path != "/quote":
            return self.answer(404, {"error": "not found"})
        price, attempts, error = fetch_price()
        if price is None:
            return self.answer(503, {"error": "prices unavailable", "attempts": attempts, "last_error": error})
        return self.answer(200, {"price": price, "attempts": attempts})

    def answer(self, status, document):
        body = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Shop).serve_forever()
