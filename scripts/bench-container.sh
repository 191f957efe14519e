#!/bin/sh
# Container services (#25), side by side on one machine, interleaved round by round:
#   engine  podman run -d (127.0.0.1 port published) -> first HTTP answer (curl every 10 ms)
#   testbed testbed run of the same image and command -> healthy (its "ready in" figure)
#   native  testbed run of the same program (busybox httpd) as a process -> healthy
# and the container's teardown as testbed reports it (stopping -> stopped), against
# podman rm --force --time 0 of the engine's own container.
#
#   sh scripts/bench-container.sh [ROUNDS]      # default 10; needs podman, busybox, curl, a build
#   INTERVAL=10ms sh scripts/bench-container.sh # a fixed health-check interval instead of the default backoff
#
# "ready" is Testbed's own figure from its --json events (start -> every service healthy);
# Prints each figure's median, minimum and maximum in milliseconds. The health check polls
# with the default backoff (a tenth of the time waited, from 5 ms), or every INTERVAL.
set -eu
rounds=${1:-10}
timing=${INTERVAL:+", interval: $INTERVAL"}
here=$(cd "$(dirname "$0")/.." && pwd)
testbed=${TESTBED:-$here/.build/release/testbed}
[ -x "$testbed" ] || testbed=$here/.build/debug/testbed
sh "$here/scripts/container-test-image.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/www"
echo hello > "$work/www/index.html"
cat > "$work/container.yml" <<YAML
services:
  web:
    image: localhost/tb-busybox:1
    command: [httpd, -f, -p, "\${web.bind}:\${web.ports.http}", -h, /www]
    ports: [http]
    init: true
    volumes: ["./www:/www"]
    healthcheck: {http: /index.html, port: http$timing}
YAML
cat > "$work/native.yml" <<YAML
services:
  web:
    command: [busybox, httpd, -f, -p, "127.0.0.1:\${web.ports.http}", -h, www]
    ports: [http]
    healthcheck: {http: /index.html, port: http$timing}
YAML
now() { date +%s%N; }
ms() { echo $(( ($2 - $1) / 1000000 )); }
port=18391
for round in $(seq "$rounds"); do
    # The engine alone.
    start=$(now)
    podman run -d --rm --pull never --name "tb-bench-$$" -p "127.0.0.1:$port:$port" -v "$work/www:/www:ro" --init \
        localhost/tb-busybox:1 httpd -f -p "0.0.0.0:$port" -h /www >/dev/null
    until curl -sf "http://127.0.0.1:$port/index.html" >/dev/null 2>&1; do sleep 0.01; done
    end=$(now)
    echo "engine $(ms "$start" "$end")" >> "$work/figures"
    start=$(now)
    podman rm --force --time 0 "tb-bench-$$" >/dev/null
    echo "engine-teardown $(ms "$start" "$(now)")" >> "$work/figures"
    # Testbed: the container, then the same program natively.
    for kind in container native; do
        (cd "$work" && "$testbed" run --json "$kind.yml" -- true) 2> "$work/$kind.out" >/dev/null || { cat "$work/$kind.out" >&2; exit 1; }
        python3 - "$work/$kind.out" "$kind" >> "$work/figures" <<'PY'
import json, sys
events = [json.loads(line) for line in open(sys.argv[1]) if line.startswith("{")]
at = lambda phase, service=None: next(e["ms"] for e in events if e["phase"] == phase and e.get("service") == service)
print(sys.argv[2], round(at("ready")))
print(sys.argv[2] + "-teardown", round(at("stopped", "web") - at("stopping", "web")))
PY
    done
done
echo "figure            median   min   max   (ms, $rounds rounds)"
for figure in engine testbed-container:container testbed-native:native engine-teardown container-teardown native-teardown; do
    label=${figure%%:*}; key=${figure#*:}
    sort -n -k2 "$work/figures" | awk -v key="$key" -v label="$label" '$1 == key { v[n++] = $2 }
        END { if (n) printf "%-17s %6d %5d %5d\n", label, v[int((n - 1) / 2)], v[0], v[n - 1] }'
done
