#!/bin/sh
# Runs, as a second unprivileged user created here (and removed at the end), the attacks
# of issue 15 on run roots, names and `down` against a root testbed binary, and prints
# what happened. Use it to compare two builds:
#
#   sudo scripts/attack_check.sh .build/debug/testbed
#   sudo scripts/attack_check.sh /path/to/an/older/testbed
#
# Needs root, useradd/userdel and setpriv. The `down` attack takes about 70 s against a
# binary that waits out the supervisor. The test suite proves the same things
# (RunRootSecurityTests, RunRootCheckTests, PortLockSecurityTests, CacheSecurityTests).
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
    userdel "$user" 2>/dev/null
    rm -rf "$work" /dev/shm/attack-check-$$-*
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE
as_user() { setpriv --reuid="$uid" --regid="$gid" --init-groups -- "$@"; }
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
echo "symlinked root:   run exit $?, attacker's target now mode $(stat -c %a "$root-target") — $(grep -m1 -i error "$work/err")"

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
echo "forged lists:     gc exit $status, root's process $alive, root's folder $kept — $(grep -m1 -i error "$work/err")"
kill "$victim" 2>/dev/null

# 3. --name leaving the run root (three levels up from /dev/shm/NAME is /).
root=/dev/shm/attack-check-$$-c
TESTBED_RUN_ROOT=$root timeout -s INT 5 "$binary" up --name "../../../tmp/attack-check-$$-escape" "$work/stack.yml" >/dev/null 2>"$work/err" &
sleep 3
escaped=$(ls -d /tmp/attack-check-$$-escape* 2>/dev/null | head -1)
wait
echo "--name escape:    $( [ -n "$escaped" ] && echo "created $escaped" || echo "nothing created outside the run root") — $(grep -m1 -i error "$work/err")"
rm -rf /tmp/attack-check-$$-escape*

# 4. `down` of root's environment by the attacker.
root=/dev/shm/attack-check-$$-d
TESTBED_RUN_ROOT=$root "$binary" up -d --name victim "$work/stack.yml" >/dev/null 2>&1
began=$(date +%s)
as_user env TESTBED_RUN_ROOT=$root "$binary" down victim >"$work/out" 2>"$work/err"
status=$?
took=$(( $(date +%s) - began ))
still=gone; TESTBED_RUN_ROOT=$root "$binary" status victim >/dev/null 2>&1 && still=running
echo "down by another:  exit $status after ${took} s, environment $still — $(head -1 "$work/out")$(grep -m1 -i error "$work/err")"
TESTBED_RUN_ROOT=$root "$binary" down victim >/dev/null 2>&1
