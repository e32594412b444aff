#!/bin/bash
# tools/prof-responder.sh: keybridged as the responder of N childless
# handshakes from ike-load at concurrency C, in the namespaces and with the
# swanctl.conf of make bench-peers (tools/bench-lib.sh); prints the rate and
# the responder's CPU per handshake, user and system apart (utime and stime
# of /proc/PID/stat, all threads). With PERF arguments, `perf record` runs
# on the responder with them, into $KB_PROF_OUT (/tmp/kbprof.perf.data).
# KB_WORKERS sets --workers; KB_PIN and LOAD_PIN are CPU lists for taskset
# (the responder, ike-load). doc/performance.md, "What limits keybridged".
# Usage: prof-responder.sh BUILD N C [PERF ARGS...]
set -euo pipefail
. "$(dirname "$0")/bench-lib.sh"

bench_name=prof-responder
build=$(cd "$1" && pwd)
N=$2 C=$3
shift 3
CHILD= RTX=2000
PROPOSAL=aes128gcm16-prfsha256-x25519
PSK="keybridge prof-responder secret"
A=kbprof-a B=kbprof-b
dir=$(mktemp -d /tmp/kbprof.XXXXXX)
pid= perf_pid=
trap '[ -z "$pid" ] || { kill -KILL $pid 2>/dev/null; wait $pid 2>/dev/null; }; bench_netns_del; rm -rf "$dir"' EXIT

bench_need "$build/bin/ike-load" "$build/bin/keybridged"
bench_netns kbprof
bench_swanctl_conf "$dir/swanctl.conf"
ip netns exec $B ${KB_PIN:+taskset -c "$KB_PIN"} "$build/bin/keybridged" \
	-c "$dir/swanctl.conf" --vici "$dir/kb.vici" -l warning \
	${KB_WORKERS:+--workers "$KB_WORKERS"} >"$dir/kb.log" 2>&1 &
pid=$!
bench_wait_port_500 "$dir/kb.log"
read -r u0 s0 < <(awk '{ print $14, $15 }' "/proc/$pid/stat")
if [ $# -gt 0 ]; then
	perf record -o "${KB_PROF_OUT:-/tmp/kbprof.perf.data}" "$@" -p "$pid" \
		2>"$dir/perf.err" &
	perf_pid=$!
	sleep 0.5
fi
ip netns exec $A ${LOAD_PIN:+taskset -c "$LOAD_PIN"} "$build/bin/ike-load" \
	--peer 192.0.2.2 --psk "$PSK" --ike "$PROPOSAL" --childless \
	-n "$N" -c "$C" --json >"$dir/load.json"
read -r u1 s1 < <(awk '{ print $14, $15 }' "/proc/$pid/stat")
[ -z "$perf_pid" ] || { kill -INT "$perf_pid"; wait "$perf_pid" || true; }
python3 - "$dir/load.json" $((u1 - u0)) $((s1 - s0)) "$(getconf CLK_TCK)" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
u, s, hz = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
ok = max(j["ok"], 1)
cpu = (u + s) / hz
print(f"{j['ok']} handshakes, {j['handshakes_per_second']:.0f}/s; responder "
      f"{cpu * 1e6 / ok:.0f} us of CPU per handshake (user {u / hz * 1e6 / ok:.0f}, "
      f"system {s / hz * 1e6 / ok:.0f}), {ok / cpu if cpu else 0:.0f} per CPU-second")
PY
