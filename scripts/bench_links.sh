#!/usr/bin/env bash
# Links benchmark for docs/benchmarks.md (figures, not test assertions), side by side in one run:
#   1. pgbench -S: direct to PostgreSQL, through a link without faults, through socat
#      (TCP-LISTEN:…,fork) and through the floor (scripts/bench_links_floor.c, the least a
#      user-space relay can do: epoll_wait, read, write) in front of the same server;
#      ROUNDS rounds, interleaved; each proxy's own CPU per transaction (user and system);
#   2. p50 one-byte round trip to an echo server, direct and through each proxy, in
#      RTT_ROUNDS interleaved rounds; the added p50 is the median of the rounds' differences;
#   3. RSS added to testbed (the supervisor that holds the links) by 1,000 idle connections;
#   4. bandwidth: 4 MiB through a link with `bandwidth rate=1024` (KB/s);
#   5. latency: round trips through a link with `latency latency=100` (ms).
#
#   swift build -c release --product testbed
#   scripts/bench_links.sh [TESTBED_BINARY]      # needs pgbench, psql, socat, cc, python3
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TESTBED=${1:-$ROOT/.build/release/testbed}
TOOL=$ROOT/Tests/TestbedTests/Fixtures/links/tcp_tool.py
ROUNDS=${ROUNDS:-3}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}
RTT_ROUNDS=${RTT_ROUNDS:-5}
RTT_ECHOES=${RTT_ECHOES:-4000}
CLIENTS=${CLIENTS:-8}
WORK=$(mktemp -d /tmp/bench-links.XXXXXX)
NAME=linkbench-$$
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
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
free_port() { python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])"; }
cc -O2 -o "$WORK/floor" "$ROOT/scripts/bench_links_floor.c"
# proxy KIND UPSTREAM_PORT: starts socat or the floor in front of the port; sets PORT and PID.
proxy() {
    PORT=$(free_port)
    case $1 in
        socat) socat TCP-LISTEN:"$PORT",fork,reuseaddr,bind=127.0.0.1 TCP:127.0.0.1:"$2" & ;;
        floor) "$WORK/floor" "$PORT" "$2" & ;;
    esac
    PID=$!
    PIDS+=("$PID")
}
proxy socat "$DB_PORT"; SOCAT_PID=$PID; SOCAT_URL=${DIRECT_URL/127.0.0.1:$DB_PORT/127.0.0.1:$PORT}
proxy floor "$DB_PORT"; FLOOR_PID=$PID; FLOOR_URL=${DIRECT_URL/127.0.0.1:$DB_PORT/127.0.0.1:$PORT}
echo "testbed: $TESTBED (supervisor pid $SUPERVISOR), $(nproc) cores, link threads ${TESTBED_LINK_THREADS:-1}"

pgbench -i -s 10 -q "$DIRECT_URL" > /dev/null 2>&1
tps() { pgbench -S -n -c "$CLIENTS" -j 2 -T "$SECONDS_PER_RUN" "$1" 2>/dev/null | awk '/^tps/ {print int($3)}'; }
# CPU clock ticks used by a process and the children it reaped: "user system".
ticks() { awk '{sub(/.*\) /, ""); print $12 + $14, $13 + $15}' "/proc/$1/stat"; }
HZ=$(getconf CLK_TCK)
declare -A PID_OF=([link]=$SUPERVISOR [socat]=$SOCAT_PID [floor]=$FLOOR_PID)
declare -A URL_OF=([direct]=$DIRECT_URL [link]=$LINK_URL [socat]=$SOCAT_URL [floor]=$FLOOR_URL)
declare -A TOTAL=([direct]=0 [link]=0 [socat]=0 [floor]=0) USER=([link]=0 [socat]=0 [floor]=0) SYS=([link]=0 [socat]=0 [floor]=0)
echo "pgbench -S -c $CLIENTS -j 2 -T $SECONDS_PER_RUN (tps), $ROUNDS rounds:"
for round in $(seq "$ROUNDS"); do
    line="  round $round:"
    for path in direct link socat floor; do
        [ "$path" = direct ] || read -r u0 s0 < <(ticks "${PID_OF[$path]}")
        t=$(tps "${URL_OF[$path]}")
        if [ "$path" != direct ]; then
            if [ "$path" = socat ]; then sleep 0.2; fi  # its forked children are reaped (and counted) once they exit
            read -r u1 s1 < <(ticks "${PID_OF[$path]}")
            USER[$path]=$((USER[$path] + u1 - u0)); SYS[$path]=$((SYS[$path] + s1 - s0))
        fi
        TOTAL[$path]=$((TOTAL[$path] + t)); line="$line $path $t,"
    done
    echo "${line%,}"
done
mean() { echo $((TOTAL[$1] / ROUNDS)); }
d=$(mean direct)
# The proxy's own CPU per transaction (µs): what it takes from pgbench and the server on a busy machine.
per_tx() { python3 -c "print(round($1 / $HZ * 1e6 / ${TOTAL[$2]} / $SECONDS_PER_RUN, 1))"; }
for path in link socat floor; do
    echo "  $path: mean $(mean $path) tps, $((100 * $(mean $path) / d))% of direct;" \
         "own CPU per transaction $(per_tx $((USER[$path] + SYS[$path])) $path) µs" \
         "(user $(per_tx "${USER[$path]}" $path), system $(per_tx "${SYS[$path]}" $path))"
done
echo "  direct: mean $d tps; all CPU per direct transaction: $(python3 -c "print(round($(nproc) * 1e6 / $d, 1))") µs ($(nproc) cores busy)"

proxy socat "$ECHO_PORT"; SOCAT_ECHO_PORT=$PORT
proxy floor "$ECHO_PORT"; FLOOR_ECHO_PORT=$PORT
sleep 0.3
declare -A ECHO_AT=([direct]=$ECHO_PORT [link]=$ECHO_LINK_PORT [socat]=$SOCAT_ECHO_PORT [floor]=$FLOOR_ECHO_PORT)
declare -A P50S=() ADDED=()
echo "round trip (µs, p50 of $RTT_ECHOES one-byte echoes per round, $RTT_ROUNDS rounds):"
for round in $(seq "$RTT_ROUNDS"); do
    line="  round $round:"
    for path in direct link socat floor; do
        read -r p50 _ < <(python3 "$TOOL" rtt "${ECHO_AT[$path]}" "$RTT_ECHOES")
        P50S[$path]="${P50S[$path]:-} $p50"; line="$line $path $p50,"
        [ "$path" = direct ] && direct_p50=$p50 || ADDED[$path]="${ADDED[$path]:-} $(python3 -c "print($p50 - $direct_p50)")"
    done
    echo "${line%,}"
done
median() { python3 -c "import statistics, sys; print(round(statistics.median(map(float, sys.argv[1:])), 1))" $1; }
echo "  median p50: direct $(median "${P50S[direct]}"), link $(median "${P50S[link]}"), socat $(median "${P50S[socat]}"), floor $(median "${P50S[floor]}")"
echo "  added p50 (median of the rounds): link $(median "${ADDED[link]}") µs, socat $(median "${ADDED[socat]}") µs, floor $(median "${ADDED[floor]}") µs"

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
