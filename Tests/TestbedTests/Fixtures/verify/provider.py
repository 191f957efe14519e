"""A small orders API, in variants, for the tests of `testbed verify`.

Usage: provider.py VARIANT PORT

  unchanged  the API the consumer's tape was recorded against (ids and timestamps
             differ on every answer, as a real API's do)
  renamed    customer.name is now customer.full_name
  retyped    items[].price is now a string ("5.00")
  removed    GET /orders/<id> is gone (404)
  added      orders carry a new field, 'currency'
"""
import json
import sys
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

VARIANT = sys.argv[1]
PORT = int(sys.argv[2])


def order(number):
    customer = {"name": "Ada Lovelace", "email": "ada@example.com"}
    if VARIANT == "renamed":
        customer = {"full_name": customer["name"], "email": customer["email"]}
    price = 5 if VARIANT != "retyped" else "5.00"
    result = {
        "number": number,
        "request_id": str(uuid.uuid4()),
        "created_at": "%.6f" % time.time(),
        "customer": customer,
        "items": [{"sku": "A-1", "price": price}, {"sku": "B-2", "price": price, "discount": None}],
        "note": None,
    }
    if VARIANT == "added":
        result["currency"] = "EUR"
    return result


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send_json(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/health":
            return self.send_json(200, {"ok": True})
        if self.path == "/orders":
            return self.send_json(200, {"orders": [order(1), order(2)], "count": 2})
        if self.path.startswith("/orders/") and VARIANT != "removed":
            return self.send_json(200, order(int(self.path.rsplit("/", 1)[1])))
        return self.send_json(404, {"error": "not found"})

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        sent = json.loads(self.rfile.read(length) or b"{}")
        if self.path == "/orders" and self.headers.get("Authorization") == "Bearer s3cret":
            created = order(3)
            created["customer"]["email"] = sent.get("email", created["customer"]["email"])
            return self.send_json(201, created)
        if self.path == "/orders":
            return self.send_json(401, {"error": "unauthorized"})
        return self.send_json(404, {"error": "not found"})


ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
