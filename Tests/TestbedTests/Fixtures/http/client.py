"""The HTTP link tests' client: one keep-alive connection (http.client), then urllib.

    python3 client.py BASE_URL [EXTRA_PATH]

Prints one line per request: method, path, status, the body's SHA-256 and its start, so that
two runs (record, replay) can be compared byte for byte. Ends with whether every request on
the keep-alive connection used the same socket. EXTRA_PATH adds one GET the tape lacks.
"""
import gzip
import hashlib
import http.client
import json
import sys
import urllib.request
from urllib.parse import urlsplit

base = sys.argv[1].rstrip("/")
url = urlsplit(base)


def show(method, path, status, body):
    digest = hashlib.sha256(body).hexdigest()[:16]
    print(f"{method} {path} -> {status} sha={digest} len={len(body)} {body[:60]!r}")


connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
ports = set()


def call(method, path, body=None, headers=None):
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    data = response.read()
    ports.add(connection.sock.getsockname()[1] if connection.sock else None)
    if response.getheader("Content-Encoding") == "gzip":
        data = gzip.decompress(data)
    show(method, path, response.status, data)
    return response


for _ in range(3):
    call("GET", "/count")
call("GET", "/items?b=2&a=1")
call("POST", "/echo", body=json.dumps({"x": 1, "card": {"number": "4111-1111"}}),
     headers={"Content-Type": "application/json", "X-Api-Key": "KEY-SECRET-7"})
call("GET", "/gzip", headers={"Accept-Encoding": "gzip"})
call("GET", "/chunked")
call("GET", "/login?token=QUERY-SECRET-9", headers={"Authorization": "Bearer TOP-SECRET-TOKEN"})
print("keep-alive:", "one connection" if len(ports) == 1 else f"{len(ports)} connections")
connection.close()

# urllib: a new connection per request, as many apps do.
with urllib.request.urlopen(base + "/items?a=1&b=2", timeout=10) as response:
    show("GET", "/items?a=1&b=2 (urllib)", response.status, response.read())

if len(sys.argv) > 2:
    try:
        with urllib.request.urlopen(base + sys.argv[2], timeout=10) as response:
            show("GET", sys.argv[2], response.status, response.read())
    except urllib.error.HTTPError as error:
        body = error.read()
        print(f"GET {sys.argv[2]} -> {error.code} {error.reason}")
        print(body.decode())
