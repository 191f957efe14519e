#!/usr/bin/env bash
# Links benchmark for docs/benchmarks.md (figures, not test assertions), side by side in one run:
#   1. pgbench -S: direct to PostgreSQL, through a link without faults, through socat
#      (TCP-LISTEN:…,fork) in front of the same server; ROUNDS rounds, interleaved;
#   2. p50/p99 one-byte round trip to an echo server, direct and through a link;
#   3. RSS added to testbed (the supervisor that holds the links) by 1,000 idle connections;
#   4. bandwidth: 4 MiB through a link with `bandwidth rate=1024` (KB/s);
#   5. latency: round trips through a link with `latency latency=100` (ms).
#
#   swift build -c release --product testbed
#   scripts/bench_links.sh [TESTBED_BINARY]      # needs pgbench, psql, socat, python3
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TESTBED=${1:-$ROOT/.build/release/testbed}
TOOL=$ROOT/Tests/TestbedTests/Fixtures/links/tcp_tool.py
ROUNDS=${ROUNDS:-3}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}
CLIENTS=${CLIENTS:-8}
WORK=$(mktemp -d /tmp/bench-links.XXXXXX)
NAME=linkbench-$$
SOCAT_PID=
cleanup() {
    [ -n "$SOCAT_PID" ] && kill "$SOCAT_PID" 2>/dev/null || true
    "$TESTBED" down "$NAME" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

cat > "$WORK/links.yml" <<EOF
name: linkbench
services:
  db: {postgres: {databases: [bench]}}
  echo:
    command: [python3, $TOOL, echo-on, "\${echo.ports.tcp}"]
    ports: [tcp]
    healthcheck: {tcp: tcp}
  source:
    command: [python3, $TOOL, source-on, "\${source.ports.tcp}", "4194304", "1"]
    ports: [tcp]
    healthcheck: {tcp: tcp}
links:
  app-db: {to: db}
  echo-link: echo.ports.tcp
  echo-slow:
    to: echo.ports.tcp
    faults: [{type: latency, latency: 100}]
  source-slow:
    to: source.ports.tcp
    faults: [{type: bandwidth, rate: 1024}]
exports:
  DIRECT_URL: \${db.url}
  LINK_URL: \${app-db.url}
  DB_PORT: \${db.port}
  ECHO_PORT: \${echo.ports.tcp}
  ECHO_LINK_PORT: \${echo-link.port}
  ECHO_SLOW_PORT: \${echo-slow.port}
  SOURCE_SLOW_PORT: \${source-slow.port}
EOF

"$TESTBED" up -d "$WORK/links.yml" --name "$NAME" --quiet > "$WORK/env" 2> "$WORK/up.err" || { cat "$WORK/up.err"; exit 1; }
set -a; . "$WORK/env"; set +a
SUPERVISOR=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['pid'])" "$TESTBED_RUN_DIR/detached.json" 2>/dev/null \
    || pgrep -f "up --supervise.*$NAME" | head -1)
SOCAT_PORT=$(python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])")
socat TCP-LISTEN:"$SOCAT_PORT",fork,reuseaddr,bind=127.0.0.1 TCP:127.0.0.1:"$DB_PORT" &
SOCAT_PID=$!
SOCAT_URL=${DIRECT_URL/127.0.0.1:$DB_PORT/127.0.0.1:$SOCAT_PORT}
echo "testbed: $TESTBED (supervisor pid $SUPERVISOR), $(nproc) cores, link threads ${TESTBED_LINK_THREADS:-1}"

pgbench -i -s 10 -q "$DIRECT_URL" > /dev/null 2>&1
tps() { pgbench -S -n -c "$CLIENTS" -j 2 -T "$SECONDS_PER_RUN" "$1" 2>/dev/null | awk '/^tps/ {print int($3)}'; }
# CPU clock ticks used by a process and the children it reaped (utime+stime+cutime+cstime).
ticks() { awk '{sub(/.*\) /, ""); print $12 + $13 + $14 + $15}' "/proc/$1/stat"; }
HZ=$(getconf CLK_TCK)
declare -A CPU=([link]=0 [socat]=0)
declare -A TOTAL=([direct]=0 [link]=0 [socat]=0)
echo "pgbench -S -c $CLIENTS -j 2 -T $SECONDS_PER_RUN (tps), $ROUNDS rounds:"
for round in $(seq "$ROUNDS"); do
    d=$(tps "$DIRECT_URL")
    before=$(ticks "$SUPERVISOR"); l=$(tps "$LINK_URL"); CPU[link]=$((CPU[link] + $(ticks "$SUPERVISOR") - before))
    before=$(ticks "$SOCAT_PID"); s=$(tps "$SOCAT_URL"); sleep 0.2; CPU[socat]=$((CPU[socat] + $(ticks "$SOCAT_PID") - before))
    TOTAL[direct]=$((TOTAL[direct] + d)); TOTAL[link]=$((TOTAL[link] + l)); TOTAL[socat]=$((TOTAL[socat] + s))
    echo "  round $round: direct $d, link $l, socat $s"
done
d=$((TOTAL[direct] / ROUNDS)); l=$((TOTAL[link] / ROUNDS)); s=$((TOTAL[socat] / ROUNDS))
# The proxy's own CPU per transaction (µs): what it takes from pgbench and the server on a busy machine.
echo "  proxy CPU per transaction: link $(python3 -c "print(round(${CPU[link]} / $HZ * 1e6 / ($l * $SECONDS_PER_RUN * $ROUNDS), 1))") µs," \
     "socat $(python3 -c "print(round(${CPU[socat]} / $HZ * 1e6 / ($s * $SECONDS_PER_RUN * $ROUNDS), 1))") µs;" \
     "all CPU per direct transaction: $(python3 -c "print(round($(nproc) * 1e6 / $d, 1))") µs ($(nproc) cores busy)"
echo "  mean: direct $d, link $l ($((100 * l / d))% of direct), socat $s ($((100 * s / d))% of direct)"

SOCAT_ECHO_PORT=$(python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])")
socat TCP-LISTEN:"$SOCAT_ECHO_PORT",fork,reuseaddr,bind=127.0.0.1 TCP:127.0.0.1:"$ECHO_PORT" &
SOCAT_ECHO_PID=$!
sleep 0.3
read -r dp50 dp99 < <(python3 "$TOOL" rtt "$ECHO_PORT" 20000)
read -r lp50 lp99 < <(python3 "$TOOL" rtt "$ECHO_LINK_PORT" 20000)
read -r sp50 sp99 < <(python3 "$TOOL" rtt "$SOCAT_ECHO_PORT" 20000)
kill "$SOCAT_ECHO_PID" 2>/dev/null || true
echo "round trip (µs, 20,000 one-byte echoes): direct p50 $dp50 p99 $dp99; link p50 $lp50 p99 $lp99;" \
     "socat p50 $sp50 p99 $sp99; added p50: link $(python3 -c "print(round($lp50 - $dp50, 1))") µs," \
     "socat $(python3 -c "print(round($sp50 - $dp50, 1))") µs"

rss() { awk '/^VmRSS/ {print $2}' "/proc/$SUPERVISOR/status"; }
before=$(rss)
python3 "$TOOL" hold "$ECHO_LINK_PORT" 1000 6 > "$WORK/hold" &
HOLD=$!
for _ in $(seq 100); do grep -q holding "$WORK/hold" 2>/dev/null && break; sleep 0.1; done
sleep 1
after=$(rss)
wait "$HOLD"
echo "RSS of testbed: $before kB, with 1,000 idle connections through a link $after kB: +$(((after - before) / 1024)) MB ($((after - before)) kB)"

echo "bandwidth (set 1024 KB/s): $(python3 "$TOOL" rate "$SOURCE_SLOW_PORT" 4194304 1)"
read -r sp50 sp99 < <(python3 "$TOOL" rtt "$ECHO_SLOW_PORT" 300)
echo "latency (set 100 ms): p50 $(python3 -c "print(round($sp50 / 1000, 2))") ms, p99 $(python3 -c "print(round($sp99 / 1000, 2))") ms (300 round trips)"
