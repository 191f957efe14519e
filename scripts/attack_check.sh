#!/bin/sh
# Runs, as a second unprivileged user created here (and removed at the end), attacks on a
# root testbed binary and prints one line per attack, `NAME: what happened — verdict`,
# and at the end `N checks, M ways in` (exit 1 unless every check held).
# Checks 1-4 are issue 15's (run roots, forged lists, names, `down`); checks 5-12 are
# issue 23's (tapes through symlinked folders, a FIFO tape, tape modes, pgbouncer, other
# runs' clusters, redis, Toxiproxy endpoint aliases, a world-readable cache). Use it to
# compare two builds:
#
#   sudo scripts/attack_check.sh .build/debug/testbed
#   sudo scripts/attack_check.sh /path/to/an/older/testbed
#
# Each check prints `held`, `WAY IN`, or `NOT CHECKED` when its own control failed (a
# setup that should work did not). Needs root, useradd/userdel, setpriv, python3, curl,
# PostgreSQL, psql, pgbouncer, redis-server and redis-cli. Takes 15-30 s against a
# binary that holds (a debug build on a busy 2-core machine); against an older one the
# `down` attack alone takes about 70 s (it waits out the supervisor) and a hung FIFO tape
# 30 s. Everything listens on loopback; each check has a run root and a cache of its own
# (/dev/shm/attack-check-PID-X, a folder in /tmp), removed at the end with the user.
# The test suite proves the same things (RunRootSecurityTests, RunRootCheckTests,
# PortLockSecurityTests, CacheSecurityTests, CachePrivacyTests, TapeFolderSecurityTests,
# TapeFileSafetyTests, PresetSecurityTests, PostgresRunIsolationTests,
# ToxiproxyEndpointGuardTests).
set -u
binary=$(realpath "${1:?usage: attack_check.sh TESTBED_BINARY}")
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 2; }
work=$(mktemp -d /tmp/attack-check-XXXXXX)
chmod 755 "$work"
user=tbt-attack-$$
useradd --system --no-create-home --shell /usr/sbin/nologin --user-group "$user"
uid=$(id -u "$user")
gid=$(id -g "$user")
cleanup() {
    for pid in $(ps -o pid= -u "$uid"); do kill -KILL "$pid" 2>/dev/null; done
    sleep 0.2
    # check 9's detached run, when the script was interrupted while it was up
    [ -d /dev/shm/attack-check-$$-i ] && TESTBED_RUN_ROOT=/dev/shm/attack-check-$$-i timeout 60 "$binary" down a >/dev/null 2>&1
    userdel "$user" 2>/dev/null
    rm -rf "$work" /dev/shm/attack-check-$$-*
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE
as_user() { setpriv --reuid="$uid" --regid="$gid" --init-groups -- "$@"; }
checks=0
ways_in=0
unchecked=0
# report NAME WHAT HELD: one line per attack; HELD is 0 when the attack was refused,
# `unchecked` when the check could not be made.
report() {
    checks=$((checks + 1))
    if [ "$3" = 0 ]; then verdict=held
    elif [ "$3" = unchecked ]; then verdict="NOT CHECKED"; unchecked=$((unchecked + 1))
    else verdict="WAY IN"; ways_in=$((ways_in + 1)); fi
    printf '%-18s %s — %s\n' "$1:" "$2" "$verdict"
}
# The test commands below run as root inside `testbed run` (with the stack's exports) and
# act as the attacker through $work/lib.sh's `att`: no environment of root's is passed on.
cat > "$work/lib.sh" <<EOF
att() { setpriv --reuid=$uid --regid=$gid --init-groups -- env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/nonexistent "\$@"; }
EOF
# tb LETTER SECONDS ARGS...: the binary, killed after SECONDS (exit 124), with a run root
# and a cache of its own for each check.
tb() {
    l=$1 secs=$2; shift 2
    TESTBED_RUN_ROOT=/dev/shm/attack-check-$$-$l TESTBED_CACHE_DIR=$work/cache-$l timeout -k 5 "$secs" "$binary" "$@"
}
err() { grep -m1 -i -E "error|unsafe" "$work/err" | cut -c1-160; }
# why: the reason a tape was refused, from the run's error.
why() { grep -m1 -o -E "refusing the tape: .*|is not a regular file[^;]*" "$work/err" | sed 's/, and Testbed runs as.*//'; }
cat > "$work/stack.yml" <<'EOF'
services:
  a:
    command: "echo up; exec sleep 600"
    healthcheck: {log: up}
EOF
chmod 644 "$work/stack.yml"

# 1. The run root planted as a symlink to a folder of the attacker's.
root=/dev/shm/attack-check-$$-a
as_user sh -c "mkdir -m 700 $root-target && ln -s $root-target $root"
TESTBED_RUN_ROOT=$root "$binary" run "$work/stack.yml" -- true >/dev/null 2>"$work/err"
status=$?
mode=$(stat -c %a "$root-target")
[ "$status" != 0 ] && [ "$mode" = 700 ] && [ -z "$(ls -A "$root-target")" ]
held=$?
report "symlinked root" "run exit $status, attacker's target now mode $mode ($(err))" $held

# 2. The run root made by the attacker, listing root's process group and folder.
root=/dev/shm/attack-check-$$-b
precious=$work/precious
mkdir "$precious"
setsid sleep 600 &
victim=$!
sleep 0.2
start=$(awk '{print $22}' "/proc/$victim/stat")
as_user sh -c "mkdir -m 777 $root $root/.owners && printf 'group $victim 9 $start\ngroup $victim 9\ndir $precious\n' > $root/.owners/999999"
TESTBED_RUN_ROOT=$root "$binary" gc >/dev/null 2>"$work/err"
status=$?
sleep 0.3
alive=killed; kill -0 "$victim" 2>/dev/null && alive=alive
kept=removed; [ -d "$precious" ] && kept=kept
[ "$alive" = alive ] && [ "$kept" = kept ]
held=$?
report "forged lists" "gc exit $status, root's process $alive, root's folder $kept ($(err))" $held
kill "$victim" 2>/dev/null

# 3. --name leaving the run root (three levels up from /dev/shm/NAME is /).
root=/dev/shm/attack-check-$$-c
TESTBED_RUN_ROOT=$root timeout -s INT 5 "$binary" up --name "../../../tmp/attack-check-$$-escape" "$work/stack.yml" >/dev/null 2>"$work/err" &
sleep 3
escaped=$(ls -d /tmp/attack-check-$$-escape* 2>/dev/null | head -1)
wait
[ -z "$escaped" ]
held=$?
report "--name escape" "$( [ -n "$escaped" ] && echo "created $escaped" || echo "nothing created outside the run root") ($(err))" $held
rm -rf /tmp/attack-check-$$-escape*

# 4. `down` of root's environment by the attacker.
root=/dev/shm/attack-check-$$-d
TESTBED_RUN_ROOT=$root "$binary" up -d --name victim "$work/stack.yml" >/dev/null 2>&1
began=$(date +%s)
as_user env TESTBED_RUN_ROOT=$root "$binary" down victim >"$work/out" 2>"$work/err"
status=$?
took=$(( $(date +%s) - began ))
still=gone; TESTBED_RUN_ROOT=$root "$binary" status victim >/dev/null 2>&1 && still=running
[ "$status" != 0 ] && [ "$still" = running ]
held=$?
report "down by another" "exit $status after ${took} s, environment $still ($(head -1 "$work/out")$(err))" $held
TESTBED_RUN_ROOT=$root "$binary" down victim >/dev/null 2>&1

# Issue 23. Each check below says WAY IN when the attack worked, held when it was refused
# the way the fix refuses it, and NOT CHECKED when its setup failed (a control that
# should work did not, or the run failed for another reason).
# Checks 5-7 record tapes of an HTTP link in front of a small http.server.
mkdir -m 755 "$work/www"
echo hello > "$work/www/hello.txt"
# tape_stack FILE TAPE MODE [EXTRA]: a manifest whose link `api` records to or replays TAPE.
tape_stack() {
    cat > "$1" <<EOF
services:
  up:
    command: [python3, -m, http.server, --bind, 127.0.0.1, --directory, $work/www, "\${up.ports.http}"]
    ports: [http]
    healthcheck: {tcp: http}
links:
  api:
    to: up
    http: {tape: $2, mode: $3${4:-}}
exports: {API_URL: "\${api.url}"}
EOF
}
fetch='curl -s -o /dev/null -m 10 "$API_URL/hello.txt"'
shared=$work/shared
mkdir -m 1777 "$shared"

# 5. A folder on the way to a tape, in a sticky shared folder, swapped by the attacker for
#    a symbolic link to a folder of root's: root's recording must not land there. Control:
#    the same link made by root is followed (it may be), so the recording does land.
mkdir -m 755 "$work/rootdir" "$work/rootdir-control"
ln -s "$work/rootdir-control" "$shared/control"
tape_stack "$work/t5c.yml" "$shared/control/api.json" record
tb e 60 run "$work/t5c.yml" -- sh -c "$fetch" >/dev/null 2>&1
as_user ln -s "$work/rootdir" "$shared/tapes"
tape_stack "$work/t5.yml" "$shared/tapes/api.json" record
tb e 60 run "$work/t5.yml" -- sh -c "$fetch" >/dev/null 2>"$work/err"
status=$?
written=$(ls -A "$work/rootdir" | tr '\n' ' ')
reason=$(why)
if [ -n "$written" ]; then held=1
elif [ "$status" != 0 ] && grep -q "refusing the tape" "$work/err" && [ -f "$work/rootdir-control/api.json" ]; then held=0
else held=unchecked; fi
report "tape via symlink" "run exit $status, root's folder ${written:+now holds }${written:-untouched} (${reason:-$(err)}); root's own link: $( [ -f "$work/rootdir-control/api.json" ] && echo followed || echo "NOT followed")" $held

# 6. A FIFO in place of a tape (in the sticky shared folder): root's replay must not hang.
#    Then root's own FIFO there, which passes the folder check: refused as not a regular file.
as_user mkfifo "$shared/fifo.json"
tape_stack "$work/t6.yml" "$shared/fifo.json" replay
began=$(date +%s%N)
tb f 30 run "$work/t6.yml" -- sh -c "$fetch" >/dev/null 2>"$work/err"
status=$?
took=$(( ($(date +%s%N) - began) / 1000000 ))
reason=$(why); [ -n "$reason" ] || reason=$(err)
mkfifo "$shared/root-fifo.json"
tape_stack "$work/t6r.yml" "$shared/root-fifo.json" replay
began=$(date +%s%N)
tb f 30 run "$work/t6r.yml" -- sh -c "$fetch" >/dev/null 2>"$work/err"
status_root=$?
took_root=$(( ($(date +%s%N) - began) / 1000000 ))
if [ "$status" = 0 ] || [ "$status" = 124 ] || [ "$status" = 137 ] || [ "$status_root" = 0 ] || [ "$status_root" = 124 ] || [ "$status_root" = 137 ]; then held=1
elif printf '%s\n' "$reason" | grep -q "refusing the tape\|not a regular file" && grep -q "root-fifo.json: is not a regular file" "$work/err"; then held=0
else held=unchecked; fi
report "FIFO tape" "attacker's FIFO: run exit $status after $took ms$( [ "$status" = 124 ] && echo ", hung until killed") (${reason:-no error}); root's own FIFO: exit $status_root after $took_root ms ($(why))" $held

# 7. Tapes are private: recorded into a folder the attacker can list, 0600 unless
#    tape_shared: true (0644, informational).
mkdir -m 755 "$work/tapes"
tape_stack "$work/t7.yml" "$work/tapes/api.json" record
tb g 60 run "$work/t7.yml" -- sh -c "$fetch" >/dev/null 2>"$work/err"
status=$?
tape_stack "$work/t7s.yml" "$work/tapes/shared.json" record ", tape_shared: true"
tb g 60 run "$work/t7s.yml" -- sh -c "$fetch" >/dev/null 2>&1
mode=$(stat -c %a "$work/tapes/api.json" 2>/dev/null || echo missing)
shared_mode=$(stat -c %a "$work/tapes/shared.json" 2>/dev/null || echo missing)
read=refused; as_user cat "$work/tapes/api.json" >/dev/null 2>&1 && read=READ
if [ "$mode" = missing ]; then held=unchecked
elif [ "$read" = READ ] || [ $(( 0$mode & 077 )) != 0 ]; then held=1
else held=0; fi
report "private tape" "run exit $status, tape mode $mode, attacker's cat $read; with tape_shared: true $shared_mode$( [ "$mode" = missing ] && echo " ($(err))")" $held

# 8. pgbouncer in front of a postgres service without password: the attacker connects to
#    the pool without one, and tries COPY … TO PROGRAM. Control: root with ${pool.url}.
pwned=$work/pwned-pgbouncer
cat > "$work/p8.yml" <<'EOF'
services:
  db: {postgres: {}}
  pool: {pgbouncer: {target: db}}
exports: {POOL_PORT: "${pool.ports.pg}", POOL_URL: "${pool.url}"}
EOF
cat > "$work/p8.sh" <<EOF
. $work/lib.sh
att psql -w -h 127.0.0.1 -p "\$POOL_PORT" -U postgres -d app -Atc 'select 1' > $work/p8.select 2>&1; echo \$? > $work/p8.select.rc
att psql -w -h 127.0.0.1 -p "\$POOL_PORT" -U postgres -d app -Atc "COPY (SELECT 1) TO PROGRAM 'touch $pwned'" > $work/p8.copy 2>&1
psql -w "\$POOL_URL" -Atc 'select 1' > $work/p8.root 2>&1
EOF
tb h 180 run "$work/p8.yml" -- sh "$work/p8.sh" >/dev/null 2>"$work/err"
status=$?
sel_rc=$(cat "$work/p8.select.rc" 2>/dev/null || echo none)
copied=no; [ -e "$pwned" ] && copied=YES
rootsel=$(head -1 "$work/p8.root" 2>/dev/null)
if [ "$sel_rc" = 0 ] || [ "$copied" = YES ]; then held=1
elif [ "$sel_rc" != none ] && [ "$rootsel" = 1 ]; then held=0
else held=unchecked; fi
report "pgbouncer" "run exit $status; attacker's psql exit $sel_rc ($(head -1 "$work/p8.select" 2>/dev/null | sed 's/.* failed: //' | cut -c1-90)), COPY TO PROGRAM ran: $copied; root with the password: ${rootsel:-nothing}$( [ "$sel_rc" = none ] && echo " ($(err))")" $held

# 9. Another run's cluster: from run B's server (COPY … TO PROGRAM as superuser), read the
#    cluster files of run A, detached in the same run root.
cat > "$work/p9.yml" <<'EOF'
services:
  db: {postgres: {}}
exports: {DB_URL: "${db.url}"}
EOF
tb i 180 up -d --name a "$work/p9.yml" >/dev/null 2>"$work/err"
adir=$(tb i 60 status a --json 2>/dev/null | python3 -c 'import json, sys; print(json.load(sys.stdin)["runDirectory"])' 2>/dev/null)
target=$adir/services/db/data/PG_VERSION
if [ -n "$adir" ] && [ -f "$target" ]; then
    cat > "$work/p9.sh" <<EOF
psql -w "\$DB_URL" -Atc "COPY (SELECT 1) TO PROGRAM 'cat $target >/dev/null'" > $work/p9.to 2>&1; echo \$? > $work/p9.to.rc
psql -w "\$DB_URL" -At > $work/p9.from 2>&1 <<'SQL'
CREATE TEMP TABLE o(l text);
COPY o FROM PROGRAM 'echo uid \$(id -u); cat $target 2>&1; true';
SELECT string_agg(l, ': ') FROM o;
SQL
EOF
    tb i 180 run "$work/p9.yml" -- sh "$work/p9.sh" >/dev/null 2>"$work/err"
    status=$?
    to_rc=$(cat "$work/p9.to.rc" 2>/dev/null || echo none)
    from=$(tail -1 "$work/p9.from" 2>/dev/null | cut -c1-160)
    if [ "$to_rc" = 0 ] || grep -qx "uid [0-9]*: $(cat "$target")" "$work/p9.from"; then held=1
    elif grep -q "Permission denied" "$work/p9.from"; then held=0
    else held=unchecked; fi
    report "other run's files" "run B exit $status; B's COPY TO PROGRAM 'cat A's PG_VERSION' psql exit $to_rc; A's server is uid $(stat -c %u "$adir/services/db/data"), B's says: ${from:-nothing}" $held
else
    report "other run's files" "run A did not start ($(err))" unchecked
fi
tb i 60 down a >/dev/null 2>&1

# 10. The redis preset: the attacker sends PING and SHUTDOWN NOSAVE without the password;
#     root's URL must still get PONG afterwards.
cat > "$work/r10.yml" <<'EOF'
services:
  cache: {redis: {}}
exports: {REDIS_PORT: "${cache.ports.redis}", REDIS_URL: "${cache.url}"}
EOF
cat > "$work/r10.sh" <<EOF
. $work/lib.sh
att timeout 10 redis-cli -p "\$REDIS_PORT" PING > $work/r10.ping 2>&1
att timeout 10 redis-cli -p "\$REDIS_PORT" SHUTDOWN NOSAVE > $work/r10.shutdown 2>&1
sleep 0.5
timeout 10 redis-cli --no-auth-warning -u "\$REDIS_URL" PING > $work/r10.root 2>&1
EOF
tb j 120 run "$work/r10.yml" -- sh "$work/r10.sh" >/dev/null 2>"$work/err"
status=$?
ping=$(head -1 "$work/r10.ping" 2>/dev/null | cut -c1-40)
shut=$(head -1 "$work/r10.shutdown" 2>/dev/null | cut -c1-40)
after=$(head -1 "$work/r10.root" 2>/dev/null | cut -c1-60)
case "$ping/$shut/$after" in
    PONG*) held=1 ;;            # in without the password
    NOAUTH*/NOAUTH*/PONG) held=0 ;;
    NOAUTH*/NOAUTH*/*) held=unchecked ;;
    NOAUTH*/*) held=1 ;;        # SHUTDOWN was not refused, and redis is gone
    *) held=unchecked ;;
esac
report "redis" "run exit $status; attacker's PING: ${ping:-nothing}, SHUTDOWN NOSAVE: ${shut:-nothing}; root's PING after: ${after:-nothing}$( [ -z "$ping" ] && echo " ($(err))")" $held

# 11. The Toxiproxy endpoint: proxies whose upstream is the endpoint itself under other
#     spellings, made by root (a proxy's onward connection, made by root, would pass the
#     endpoint's owner check for whoever connects to it), and the attacker's own request.
#     Control: a proxy to the run's service is made (201).
cat > "$work/x11.yml" <<'EOF'
services:
  s:
    command: [python3, -m, http.server, --bind, 127.0.0.1, "${s.ports.http}"]
    ports: [http]
    healthcheck: {tcp: http}
links:
  s-link: {to: s}
exports: {S_PORT: "${s.ports.http}"}
EOF
cat > "$work/x11.sh" <<EOF
. $work/lib.sh
port=\${TESTBED_LINKS_URL##*:}
post() { curl -s -o /dev/null -m 10 -w '%{http_code}' -X POST "\$TESTBED_LINKS_URL/proxies" -d "{\"name\": \"\$1\", \"listen\": \"127.0.0.1:0\", \"upstream\": \"\$2\"}"; }
n=0
for alias in "0:\$port" "2130706433:\$port" "[::ffff:127.0.0.1]:\$port" "127.1:\$port" "localhost:\$port"; do
    n=\$((n + 1)); echo "\$alias \$(post alias\$n "\$alias")"
done > $work/x11.aliases
post service "127.0.0.1:\$S_PORT" > $work/x11.control
att curl -s -o /dev/null -m 10 -w '%{http_code}' -X POST "\$TESTBED_LINKS_URL/proxies" -d '{"name": "evil", "listen": "127.0.0.1:0", "upstream": "127.0.0.1:1"}' > $work/x11.attacker
EOF
tb k 120 run "$work/x11.yml" -- sh "$work/x11.sh" >/dev/null 2>"$work/err"
status=$?
codes=$(sed 's/:[0-9]* / /' "$work/x11.aliases" 2>/dev/null | tr '\n' ',' | sed 's/,$//; s/,/, /g')
control=$(cat "$work/x11.control" 2>/dev/null)
attacker=$(cat "$work/x11.attacker" 2>/dev/null)
if grep -q ' 2[0-9][0-9]$' "$work/x11.aliases" 2>/dev/null; then held=1
else case "$attacker" in 2*) held=1 ;; 403|000) held=0 ;; *) held=unchecked ;; esac; fi
[ "$held" = 0 ] && { [ "$(grep -c ' 400$' "$work/x11.aliases")" = 5 ] && [ "$control" = 201 ] || held=unchecked; }
report "toxiproxy aliases" "run exit $status; upstream at the endpoint's port: ${codes:-nothing}; control (a proxy to the service): ${control:-nothing}; the attacker's POST: ${attacker:-nothing}" $held

# 12. A root cache made world-readable by hand is private again after a warm run that
#     only reads it: the attacker finds no readable file and no seeded card number.
cache=$work/cache-l
cat > "$work/card.sql" <<'EOF'
create table cards (number text);
insert into cards values ('4111111111111111');
EOF
cat > "$work/c12.yml" <<'EOF'
services:
  db:
    postgres: {}
    seed: [card.sql]
EOF
tb l 180 run "$work/c12.yml" -- true >/dev/null 2>"$work/err"
cold=$?
chmod -R go+rX "$cache" 2>/dev/null
before=$(as_user find "$cache" -type f -readable 2>/dev/null | wc -l)
card_before=$(as_user grep -rl 4111111111111111 "$cache" 2>/dev/null | wc -l)
tb l 180 run "$work/c12.yml" -- true >/dev/null 2>>"$work/err"
warm=$?
after=$(as_user find "$cache" -type f -readable 2>/dev/null | wc -l)
card_after=$(as_user grep -rl 4111111111111111 "$cache" 2>/dev/null | wc -l)
if [ "$after" != 0 ] || [ "$card_after" != 0 ]; then held=1
elif [ "$cold$warm" = 00 ] && [ "$card_before" != 0 ]; then held=0
else held=unchecked; fi
report "world-readable cache" "runs exit $cold, $warm; after chmod -R go+rX the attacker read $before files ($card_before with the card number), after the warm run $after ($card_after)$( [ "$cold$warm" != 00 ] && echo " ($(err))")" $held

echo "$checks checks, $ways_in ways in$( [ "$unchecked" = 0 ] || echo ", $unchecked not checked")"
[ "$ways_in" = 0 ] && [ "$unchecked" = 0 ]
