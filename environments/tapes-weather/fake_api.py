"""Stands in for the weather API when recording the tape (CI has no network).

    python3 fake_api.py PORT

GET /v2/forecast?city=NAME&units=metric&appid=KEY -> a JSON forecast; 401 without appid.
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

FORECASTS = {
    "Oslo": {"temp_c": 3, "summary": "light rain", "precipitation_mm": 1.2},
    "Cairo": {"temp_c": 24, "summary": "clear sky", "precipitation_mm": 0},
}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path != "/v2/forecast":
            status, value = 404, {"error": "not found"}
        elif not query.get("appid"):
            status, value = 401, {"error": "missing appid"}
        elif query.get("city") not in FORECASTS:
            status, value = 404, {"error": "unknown city"}
        else:
            status, value = 200, {"city": query["city"], "units": "metric", "now": FORECASTS[query["city"]]}
        body = json.dumps(value).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
