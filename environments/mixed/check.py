"""Checks the mixed stack: the app joins native PostgreSQL with the containerised rates
service, the link's latency fault is felt, and the container is reachable on loopback.

    testbed run environments/mixed.yml -- python3 environments/mixed/check.py
"""
import json, os, sys, urllib.request


def get(url):
    with urllib.request.urlopen(url, timeout=10) as answer:
        return json.load(answer)


quote = get(os.environ["APP_URL"] + "/price/mug/USD")
assert quote["price"] == 12.5, quote
assert quote["rates_ms"] >= 50, "the link's latency fault did not act: %s" % quote
assert get(os.environ["APP_URL"] + "/price/tea/GBP")["price"] == 2.0
assert get(os.environ["RATES_DIRECT_URL"] + "/rates.json")["base"] == "EUR"
print("mixed stack ok:", json.dumps(quote))
