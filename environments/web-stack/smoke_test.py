"""Smoke test of the web stack: through nginx to the app, which reads PostgreSQL through
pgbouncer and counts visits in redis; then the pool URL straight from psql."""
import json, os, subprocess, urllib.parse, urllib.request

web = os.environ["WEB_URL"]
first = json.load(urllib.request.urlopen(web + "/products"))
second = json.load(urllib.request.urlopen(web + "/products"))
assert [p["name"] for p in first["products"]] == ["kettle", "teapot", "cups"], first
assert second["visits"] == first["visits"] + 1, (first, second)
# nginx passed its own $host through (not blanked by a template).
assert first["host"] == urllib.parse.urlsplit(web).hostname, first

# The pool's URL carries a password with '@ : / #', percent-encoded: psql accepts it.
pool = os.environ["DATABASE_URL"]
assert "%40" in pool and "%23" in pool, pool
count = subprocess.run(["psql", pool, "-tAc", "SELECT count(*) FROM products"],
                       check=True, capture_output=True, text=True).stdout.strip()
assert count == "3", count
print("1 passed, 0 failed")
