#!/usr/bin/env bash
# HTTP tapes benchmark for docs/benchmarks.md (figures, not test assertions), in one run:
#   1. replay: requests/s and p50 latency of wrk on keep-alive connections against an HTTP
#      link replaying a recorded answer (1 connection, then 16);
#   2. passthrough: p50 of wrk on 1 keep-alive connection straight to the upstream (nginx
#      serving a 1 KB JSON file) and through an HTTP link in passthrough, interleaved over
#      3 rounds; the difference is what the link adds.
#
#   swift build -c release --product testbed --scratch-path .build-release
#   scripts/bench_tapes.sh [TESTBED_BINARY]          # needs wrk (apt-get install -y wrk), nginx, curl
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TESTBED=${1:-$ROOT/.build-release/release/testbed}
DURATION=${DURATION:-10}
WORK=$(mktemp -d /tmp/bench-tapes.XXXXXX)
chmod 755 "$WORK"
NAME=tapebench-$$
NGINX_PID=
cleanup() {
    "$TESTBED" down "$NAME" >/dev/null 2>&1 || true
    if [ -n "$NGINX_PID" ]; then kill "$NGINX_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$WORK/www"
python3 -c 'import json; print(json.dumps({"id": 7, "items": [{"n": i, "name": "item %d" % i} for i in range(40)]})[:1024])' \
    > "$WORK/www/item.json"
printf '%s\n' \
    "worker_processes 1;" "daemon off;" "master_process off;" \
    "error_log $WORK/nginx.err;" "pid $WORK/nginx.pid;" "events {}" \
    "http { access_log off; keepalive_requests 10000000;" \
    "  server { listen 127.0.0.1:$PORT; location / { root $WORK/www; default_type application/json; } } }" \
    > "$WORK/nginx.conf"
nginx -c "$WORK/nginx.conf" -p "$WORK" &
NGINX_PID=$!
for _ in $(seq 50); do curl -fsS -o /dev/null "http://127.0.0.1:$PORT/item.json" 2>/dev/null && break; sleep 0.1; done

printf '%s\n' \
    "name: tapebench" "services: {}" "links:" \
    "  replay: {to: 'http://127.0.0.1:$PORT', http: {tape: '$WORK/tape.json'}}" \
    "  pass: {to: 'http://127.0.0.1:$PORT', http: {mode: passthrough}}" \
    "exports:" "  REPLAY_URL: \${replay.url}" "  PASS_URL: \${pass.url}" \
    > "$WORK/tapes.yml"

# Record one exchange, then keep the stack up replaying it.
"$TESTBED" run --quiet --tapes record "$WORK/tapes.yml" -- sh -c 'curl -fsS -o /dev/null "$REPLAY_URL/item.json"'
"$TESTBED" up -d --quiet --tapes replay --name "$NAME" "$WORK/tapes.yml" > "$WORK/env"
REPLAY_URL=$(sed -n 's/^REPLAY_URL=//p' "$WORK/env")
PASS_URL=$(sed -n 's/^PASS_URL=//p' "$WORK/env")
DIRECT_URL=http://127.0.0.1:$PORT

# Prints wrk's "Requests/sec" and 50% latency (in ms) for LABEL, CONNECTIONS, URL; keeps the p50.
measure() {
    wrk -t1 -c"$2" -d"${DURATION}s" --latency "$3/item.json" > "$WORK/wrk.out"
    python3 - "$1" "$2" "$WORK/wrk.out" "$WORK/p50-$1-$2" <<'PY'
import re, sys
label, connections, path, keep = sys.argv[1:]
text = open(path).read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
value, unit = re.search(r"^\s+50%\s+([\d.]+)(us|ms|s)\s*$", text, re.M).groups()
p50 = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
print(f"{label:12} {connections:>3} conn  {rps:10.0f} req/s  p50 {p50:.3f} ms" + (f"  ({errors.group(1)} non-2xx!)" if errors else ""))
open(keep, "w").write(str(p50))
PY
}
curl -fsS -o /dev/null "$REPLAY_URL/item.json"
curl -fsS -o /dev/null "$PASS_URL/item.json"
echo "$("$TESTBED" --version) · $(nproc) cores · ${DURATION}s per measure · $(date -u +%FT%TZ)"
measure replay 1 "$REPLAY_URL"
measure replay 16 "$REPLAY_URL"
for round in 1 2 3; do
    measure direct 1 "$DIRECT_URL"
    measure passthrough 1 "$PASS_URL"
    python3 -c 'import sys; print("  round %s: passthrough adds %.3f ms p50" % (sys.argv[1], float(open(sys.argv[3]).read()) - float(open(sys.argv[2]).read())))' \
        "$round" "$WORK/p50-direct-1" "$WORK/p50-passthrough-1"
done
