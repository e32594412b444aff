#!/bin/bash
# make bench-workers: keybridged with one worker beside keybridged with two
# (doc/performance.md, "Every core"), driven by ike-load on this machine.
#
#   ┌──────────────────────────┐          ┌──────────────────────────────┐
#   │ kbwork-a  192.0.2.1/24   ├── veth ──┤ kbwork-b  192.0.2.2/24       │
#   │ ike-load (initiators)    │          │ keybridged --workers 1, 2    │
#   └──────────────────────────┘          └──────────────────────────────┘
#
# The same swanctl.conf as make bench-peers (tools/bench-lib.sh: PSK,
# aes128gcm16-prfsha256-x25519, any peer), childless IKE SAs (RFC 6023),
# the same ike-load runs. For each worker count,
# KB_BENCH_N handshakes (4000) at each concurrency of KB_BENCH_CONC
# ("8 16 32"), each on a fresh responder; the best rate of each count is
# compared, with the responder's CPU seconds (all threads); a line says
# so if the kernel did not steer datagrams to their workers. ike-load needs about as much
# CPU per handshake as the responder and runs on the same machine: on two
# cores the responder cannot have both. The load average (uptime) before
# and after is printed: the machine is shared. A benchmark: it prints
# figures and the ratio, never a verdict. Usage: bench-workers.sh [BUILD]
set -euo pipefail
. "$(dirname "$0")/bench-lib.sh"

bench_name=bench-workers
build=$(cd "${1:-${KB_BUILD:-build}}" && pwd)
N=${KB_BENCH_N:-4000}
CONCS=${KB_BENCH_CONC:-8 16 32}
WORKERS=${KB_BENCH_WORKERS:-1 2}
CHILD= RTX=2000
PROPOSAL=aes128gcm16-prfsha256-x25519
PSK="keybridge bench-workers secret"
A=kbwork-a B=kbwork-b
dir=$(mktemp -d /tmp/kbwork.XXXXXX)
pid=

stop_responder() {
	if [ -n "$pid" ]; then
		kill -TERM "$pid" 2>/dev/null || true
		sleep 0.3
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	pid=
}

cleanup() {
	stop_responder
	bench_netns_del
	rm -rf "$dir"
}
trap cleanup EXIT

bench_need "$build/bin/ike-load" "$build/bin/keybridged"
bench_netns kbwork
bench_swanctl_conf "$dir/swanctl.conf"

# start_keybridged WORKERS: BPF on (auto) for the steering program;
# warnings only, as make bench-peers
start_keybridged() {
	ip netns exec $B "$build/bin/keybridged" -c "$dir/swanctl.conf" \
		--vici "$dir/kb.vici" --lock-file "$dir/kb.lock" \
		--workers "$1" -l warning >"$dir/kb-$1.log" 2>&1 &
	pid=$!
	bench_wait_port_500 "$dir/kb-$1.log"
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for w in $WORKERS; do
	printf 'workers=%s:' "$w"
	for c in $CONCS; do
		start_keybridged "$w"
		t0=$(cpu_ticks)
		run_load "w$w-c$c" "$c" "$N"
		echo "$(( $(cpu_ticks) - t0 )) $(getconf CLK_TCK)" \
			>"$dir/w$w-c$c.cpu"
		stop_responder
		if grep -q 'not steered' "$dir/kb-$w.log"; then
			echo "bench-workers: datagrams not steered by the kernel:" >&2
			grep 'not steered' "$dir/kb-$w.log" >&2
		fi
		printf ' c=%s %.0f/s' "$c" "$(rate_of "$dir/w$w-c$c.json")"
	done
	echo
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

python3 - "$dir" "$N" "$WORKERS" "$CONCS" "$load_before" "$load_after" "$(nproc)" <<'EOF'
import json, sys
d, n, workers, concs = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(), sys.argv[4].split()
best = {}
for w in workers:
    for c in concs:
        j = json.load(open(f"{d}/w{w}-c{c}.json"))
        ticks, hz = open(f"{d}/w{w}-c{c}.cpu").read().split()
        j["cpu"], j["conc"] = int(ticks) / int(hz), int(c)
        if w not in best or j["handshakes_per_second"] > best[w]["handshakes_per_second"]:
            best[w] = j
a, b = best[workers[0]], best[workers[-1]]
def row(label, f, fmt="{:.1f}", ratio=True, goal=""):
    x, y = f(a), f(b)
    r = f"{y / x:.2f}x" if ratio and x else ""
    print(f"{label:<34}{fmt.format(x):>12}{fmt.format(y):>12}{r:>9}  {goal}")
print(f"\nbench-workers: {n} childless IKE SAs per run, PSK, aes128gcm16-prfsha256-x25519;"
      f" {sys.argv[7]} CPUs, ike-load on the same machine")
print(f"load average before {sys.argv[5]}, after {sys.argv[6]} (the machine is shared)")
print(f"{'':<34}{'workers=' + workers[0]:>12}{'workers=' + workers[-1]:>12}{'ratio':>9}")
row("best concurrency", lambda j: j["conc"], "{:d}", False)
row("handshakes/s", lambda j: j["handshakes_per_second"], "{:.1f}", True,
    f"goal: {workers[-1]} workers >= 1.8x 1")
row("latency p50 ms", lambda j: j["latency_ms"]["p50"], "{:.2f}")
row("latency p99 ms", lambda j: j["latency_ms"]["p99"], "{:.2f}")
row("responder CPU seconds", lambda j: j["cpu"], "{:.2f}")
row("responder CPU-s per wall second", lambda j: j["cpu"] * j["handshakes_per_second"] / max(j["ok"], 1), "{:.2f}")
row("handshakes per responder CPU-s", lambda j: j["ok"] / j["cpu"] if j["cpu"] else 0, "{:.0f}")
row("failed handshakes", lambda j: j["failed"], "{:d}", False)
row("retransmits", lambda j: j["retransmits"], "{:d}", False)
row("COOKIE restarts", lambda j: j["cookies"], "{:d}", False)
EOF
