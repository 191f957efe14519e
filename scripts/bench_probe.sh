#!/bin/sh
# CPU cost of a health probe that fails for its whole deadline.
#
# A service that starts but never opens its port (a dependency misconfigured, say): its
# probe fails until the deadline. Prints testbed's user+system CPU time (its reaped children,
# such as command probes, included) and the number of attempts the failure message reports.
#
#   scripts/bench_probe.sh [TESTBED_BINARY] [DEADLINE] [tcp|command|http-503|http-closed]
#   e.g. scripts/bench_probe.sh .build/release/testbed 60s http-503
#
# http-503 probes a python3 server started here, outside testbed (so its CPU is not
# counted), that answers every GET with 503: each attempt is a whole HTTP exchange, the
# work of a passing probe. http-closed probes a port nobody listens on. With both, the
# difference of CPU per attempt is what one answered HTTP attempt costs (docs/benchmarks.md,
# "The HTTP health probe's CPU").
set -eu
binary=${1:-.build/debug/testbed}
deadline=${2:-10s}
kind=${3:-tcp}
dir=$(mktemp -d)
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$dir"' EXIT
case $kind in
    tcp) check="tcp: http" ;;
    command) check='command: [/bin/sh, -c, "exit 1"]' ;;
    http-503)
        python3 -u -c '
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(503); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a): pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()' > "$dir/port" &
        server=$!
        while [ ! -s "$dir/port" ]; do sleep 0.05; done
        check="http: \"http://127.0.0.1:$(cat "$dir/port")/health\"" ;;
    http-closed)
        port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
        check="http: \"http://127.0.0.1:$port/health\"" ;;
    *) echo "usage: $0 [BINARY] [DEADLINE] [tcp|command|http-503|http-closed]" >&2; exit 2 ;;
esac
cat > "$dir/probe.yml" <<YAML
name: bench-probe
services:
  silent:
    command: [sleep, "600"]
    ports: [http]
    healthcheck:
      $check
      deadline: $deadline
YAML
/usr/bin/time -f '%U %S %e' -o "$dir/time" "$binary" run "$dir/probe.yml" -- true >"$dir/out" 2>&1 || true
read -r user system elapsed <<TIME
$(tail -n 1 "$dir/time")
TIME
attempts=$(grep -o '([0-9]* attempts)' "$dir/out" | head -1 | tr -dc 0-9)
cpu=$(echo "$user + $system" | bc)
echo "binary=$binary probe=$kind deadline=$deadline attempts=${attempts:-?} cpu_seconds=$cpu (user $user, system $system) wall_seconds=$elapsed"
