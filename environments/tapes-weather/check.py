"""Checks the outlook app against the weather API's tape, then with the API failing.

Run by `testbed run environments/tapes-weather.yml -- python3 environments/tapes-weather/check.py`:
OUTLOOK_URL is the app, TOXIPROXY_URL the run's fault endpoint (the link is a proxy there).
"""
import json
import os
import urllib.error
import urllib.request

app = os.environ["OUTLOOK_URL"]
faults = os.environ["TOXIPROXY_URL"] + "/proxies/weather/toxics"


def outlook(city):
    try:
        with urllib.request.urlopen(f"{app}/outlook?city={city}", timeout=10) as response:
            return response.status, response.read().decode().strip()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode().strip()


def call(method, url, value=None):
    data = json.dumps(value).encode() if value is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read()


# Both cities come from the tape (the API is never contacted), with the recorded answers.
status, text = outlook("Oslo")
assert (status, text) == (200, "Oslo: 3°C, light rain; umbrella: yes"), (status, text)
status, text = outlook("Cairo")
assert (status, text) == (200, "Cairo: 24°C, clear sky; umbrella: no"), (status, text)

# The API goes down (an HTTP fault on the link): the app says so instead of crashing.
call("POST", faults, {"name": "api-down", "type": "http_status",
                      "attributes": {"status": 503, "path": "/forecast", "headers": {"Retry-After": "1"}}})
status, text = outlook("Oslo")
assert (status, text) == (502, "weather unavailable (API answered 503, retry after 1 s)"), (status, text)
call("DELETE", faults + "/api-down")

status, text = outlook("Oslo")
assert status == 200 and "umbrella: yes" in text, (status, text)
print("outlook: tape answers and a failing API both handled")
