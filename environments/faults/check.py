"""Checks the shop's timeout and retry behaviour with faults on its link to the price API,
through the Toxiproxy endpoint of the run (TOXIPROXY_URL) — plain HTTP, no client library.

    testbed run environments/faults.yml -- python3 environments/faults/check.py
"""
import json
import os
import sys
import time
import urllib.error
import urllib.request

TOXIPROXY = os.environ["TOXIPROXY_URL"]
SHOP = os.environ["SHOP_URL"]
TIMEOUT = float(os.environ["PRICES_TIMEOUT"])
ATTEMPTS = int(os.environ["PRICES_ATTEMPTS"])
LINK = "shop-prices"


def toxiproxy(method, path, document=None):
    data = None if document is None else json.dumps(document).encode()
    request = urllib.request.Request(TOXIPROXY + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        body = answer.read()
        return json.loads(body) if body else None


def add_fault(fault):
    return toxiproxy("POST", "/proxies/%s/toxics" % LINK, fault)


def quote():
    """GET /quote: (status, document, seconds)."""
    began = time.monotonic()
    try:
        with urllib.request.urlopen(SHOP + "/quote", timeout=30) as answer:
            return answer.status, json.loads(answer.read()), time.monotonic() - began
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), time.monotonic() - began


def check(name, condition, detail):
    print("%-44s %s  %s" % (name, "ok  " if condition else "FAIL", detail))
    if not condition:
        sys.exit(1)


def reset():
    toxiproxy("POST", "/reset")


# A healthy dependency: one attempt.
status, document, _ = quote()
check("healthy: answered at once", status == 200 and document["attempts"] == 1, document)

# Timeout and latency: every answer takes longer than the shop's timeout, so each
# attempt times out; the shop gives up after ATTEMPTS, in about ATTEMPTS × TIMEOUT.
add_fault({"type": "latency", "attributes": {"latency": int(TIMEOUT * 1000 * 3)}})
status, document, seconds = quote()
check("slow dependency: 503 after every attempt", status == 503 and document["attempts"] == ATTEMPTS, document)
check("slow dependency: gave up after the timeouts", seconds >= ATTEMPTS * TIMEOUT, "%.2f s" % seconds)
reset()

# Latency below the timeout: slower, but still one attempt.
add_fault({"type": "latency", "attributes": {"latency": int(TIMEOUT * 1000 / 10)}})
status, document, seconds = quote()
check("latency under the timeout: one attempt", status == 200 and document["attempts"] == 1, "%s, %.2f s" % (document, seconds))
reset()

# Dependency down: connections are refused; the shop answers 503 without waiting out timeouts.
toxiproxy("POST", "/proxies/" + LINK, {"enabled": False})
status, document, _ = quote()
check("dependency down: 503", status == 503 and "Connection refused" in document["last_error"], document)
toxiproxy("POST", "/proxies/" + LINK, {"enabled": True})
status, document, _ = quote()
check("dependency back up: 200 again", status == 200, document)

# A flaky network: half of the connections are reset at once (seeded, so this replays).
add_fault({"type": "reset_peer", "toxicity": 0.5, "attributes": {"timeout": 0}})
answers = [quote() for _ in range(12)]
retried = [d["attempts"] for s, d, _ in answers if s == 200 and d["attempts"] > 1]
check("flaky network: retries hide some resets", retried != [], "attempts of retried answers: %s" % retried)
check("flaky network: never an error other than 503",
      all(s in (200, 503) for s, _, _ in answers), [s for s, _, _ in answers])
reset()

# A partial response: the connection is cut after 100 bytes of the answer.
add_fault({"type": "limit_data", "attributes": {"bytes": 100}})
status, document, _ = quote()
check("partial response: 503, never a wrong price", status == 503 and document["attempts"] == ATTEMPTS, document)
reset()

# Faults live in the link only while set: after /reset the shop is healthy again.
proxy = toxiproxy("GET", "/proxies/" + LINK)
check("reset: no faults left", proxy["toxics"] == [] and proxy["enabled"], proxy)
status, document, _ = quote()
check("healthy again", status == 200 and document["attempts"] == 1, document)
print("all checks passed")
