"""A small app that depends on a third-party weather API.

GET /outlook?city=NAME -> "NAME: 3°C, light rain; umbrella: yes" (200), or 502 with
"weather unavailable (API answered 503, retry after 1 s)" when the API fails.
Configured by PORT, WEATHER_URL (the API's base URL) and WEATHER_KEY.
"""
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BASE = os.environ["WEATHER_URL"].rstrip("/")
KEY = os.environ.get("WEATHER_KEY", "")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, text):
        body = (text + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/health":
            return self.reply(200, "ok")
        if url.path != "/outlook":
            return self.reply(404, "not found")
        city = urllib.parse.parse_qs(url.query).get("city", [""])[0]
        query = urllib.parse.urlencode({"city": city, "units": "metric", "appid": KEY})
        request = urllib.request.Request(f"{BASE}/forecast?{query}", headers={"Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                forecast = json.load(response)
        except urllib.error.HTTPError as error:
            retry = error.headers.get("Retry-After")
            return self.reply(502, f"weather unavailable (API answered {error.code}"
                                   + (f", retry after {retry} s)" if retry else ")"))
        except OSError as error:
            return self.reply(502, f"weather unavailable ({error})")
        now = forecast["now"]
        umbrella = "yes" if now["precipitation_mm"] > 0 else "no"
        self.reply(200, f"{forecast['city']}: {now['temp_c']}°C, {now['summary']}; umbrella: {umbrella}")


ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
