"""The 'test suite' of the example: talks to the real API and the real database."""
import json, os, subprocess, sys, urllib.request

totals = json.load(urllib.request.urlopen(os.environ["API_URL"] + "/totals"))
expected = [{"name": "Ada Lovelace", "total_cents": 6249}, {"name": "Grace Hopper", "total_cents": 800},
            {"name": "Dijkstra, Edsger", "total_cents": 0}]
assert totals == expected, totals
gifts = subprocess.run(["psql", os.environ["DATABASE_URL"], "-tAc",
                        "SELECT count(*) FROM orders WHERE (details->>'gift')::boolean"],
                       check=True, capture_output=True, text=True).stdout.strip()
assert gifts == "1", gifts
print("2 passed, 0 failed")
