#!/bin/bash
# make bench-peers: keybridged and strongSwan's charon as IKEv2 responders,
# side by side, driven by ike-load on this machine (doc/performance.md).
#
#   ┌──────────────────────────┐          ┌──────────────────────────────┐
#   │ kbbench-a  192.0.2.1/24  ├── veth ──┤ kbbench-b  192.0.2.2/24      │
#   │ ike-load (initiators)    │          │ keybridged, then charon      │
#   └──────────────────────────┘          └──────────────────────────────┘
#
# Both responders read the same swanctl.conf: PSK, one IKE proposal
# (aes128gcm16-prfsha256-x25519), any peer. ike-load asks for childless IKE
# SAs (RFC 6023) unless KB_BENCH_CHILD=1, when IKE_AUTH also negotiates a
# CHILD SA (aes128gcm16; a kernel without ESP refuses to install it, the
# IKE SA still comes up). For each responder: a short run at each
# concurrency of KB_BENCH_CONC on a fresh responder, then KB_BENCH_N
# handshakes (20000) at the best one on another fresh responder, whose CPU
# seconds (utime + stime of /proc/PID/stat, all threads) and peak RSS
# (VmHWM) are read before it is stopped. Both responders ask for COOKIEs
# above 30 half-open IKE SAs and refuse more than 1000 (keybridged's
# defaults; charon is set to the same, its per-address limits too), and
# charon gets an IKE SA hash table sized for many SAs (its default of one
# bucket makes every lookup walk all SAs).
#
# Beside keybridged's handshakes per CPU-second: the crypto ceiling, the
# CPU time the crypto calls of one such handshake take the responder
# (kbbench responder_psk_x25519_gcm128, run after keybridged's runs), with
# both cores busy as in the runs (two copies at once) and alone.
#
# With CHILD SAs the kernel's SAs in kbbench-b are counted after each full
# run ("SAs in the kernel", 2 per CHILD SA) and flushed after each
# responder (killed, it leaves them behind); fewer SAs than the CHILD SAs
# established need is said loudly and the exit status is 1 (on a kernel
# without ESP, always). make bench-peers-guest runs this in the kmod guest.
#
# KB_BENCH_N, KB_BENCH_SWEEP_N (2000), KB_BENCH_CONC ("4 8 16 32 64"),
# KB_BENCH_KEYBRIDGED (another keybridged binary, to compare builds),
# KB_BENCH_WORKERS (keybridged's --workers; its default is one per CPU,
# and 1 leaves the other core of a two-core machine to ike-load),
# KB_BENCH_RETRANSMIT (ike-load's first retransmission timeout, 2000 ms)
# and KB_BENCH_LOGS (a directory that gets the responders' logs) change the
# run. A benchmark: it prints figures and ratios, never a verdict on them.
# Usage: bench-peers.sh [BUILD_DIR]
set -euo pipefail
. "$(dirname "$0")/bench-lib.sh"

bench_name=bench-peers
build=$(cd "${1:-${KB_BUILD:-build}}" && pwd)
N=${KB_BENCH_N:-20000}
SWEEP_N=${KB_BENCH_SWEEP_N:-2000}
CONCS=${KB_BENCH_CONC:-4 8 16 32 64}
CHILD=${KB_BENCH_CHILD:-}
KEYBRIDGED=${KB_BENCH_KEYBRIDGED:-$build/bin/keybridged}
WORKERS=${KB_BENCH_WORKERS:-}
LOGS=${KB_BENCH_LOGS:-}
RTX=${KB_BENCH_RETRANSMIT:-2000}
PROPOSAL=aes128gcm16-prfsha256-x25519
PSK="keybridge bench-peers secret"
A=kbbench-a B=kbbench-b
dir=$(mktemp -d /tmp/kbbench.XXXXXX)
pid=

stop_responder() {
	if [ -n "$pid" ]; then
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	pid=
	if [ -n "$CHILD" ]; then
		ip -n $B xfrm state flush
		ip -n $B xfrm policy flush
	fi
}

cleanup() {
	stop_responder
	[ -z "$LOGS" ] || cp "$dir"/*.log "$dir"/*.json "$dir"/*.err "$LOGS/" 2>/dev/null || true
	bench_netns_del
	rm -rf "$dir"
}
trap cleanup EXIT

bench_need "$build/bin/ike-load" "$KEYBRIDGED"
if [ ! -x /usr/lib/ipsec/charon ] || ! command -v swanctl >/dev/null; then
	echo "bench-peers: strongSwan's charon and swanctl are needed (make deps)" >&2
	exit 1
fi

bench_netns kbbench
bench_swanctl_conf "$dir/swanctl.conf"

bench_charon_conf "$dir/strongswan.conf" "$dir/charon-knl.log"

start_keybridged() {
	ip netns exec $B "$KEYBRIDGED" -c "$dir/swanctl.conf" --vici "$dir/kb.vici" \
		-l warning ${WORKERS:+--workers "$WORKERS"} >"$dir/keybridged.log" 2>&1 &
	pid=$!
	bench_wait_port_500 "$dir/keybridged.log"
}

start_charon() {
	bench_start_charon
}

# kernel_sas: "SAS ALL POLICIES" in kbbench-b: SAs with keys, all SAs (with
# SPIs allocated and not used), policies (without the IKE sockets' bypass
# ones, which have no selector). Only counts leave ip: no key is kept.
kernel_sas() {
	local sas all pols
	sas=$(ip -n $B xfrm state | grep -c '^[[:space:]]*\(aead\|enc\) ' || true)
	all=$(ip -n $B xfrm state | grep -c '^src ' || true)
	pols=$(ip -n $B xfrm policy |
		awk '/^src/ { n++ } /^\tsocket / { n-- } END { print n + 0 }')
	echo "$sas $all $pols"
}

# rss_kib, hwm_kib: of the running responder. The growth per
# IKE SA comes from VmRSS: a start-up peak above what the SAs later need
# (keybridged's, with its BPF programs) hides them from VmHWM.
rss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$pid/status"; }
hwm_kib() { awk '/^VmHWM/ { print $2 }' "/proc/$pid/status"; }

# bench NAME START_FN: the sweep, then the full run
bench() {
	local name=$1 start=$2 best=0 best_c=0 r
	printf '%s: concurrency sweep, %s handshakes each:' "$name" "$SWEEP_N"
	for c in $CONCS; do
		$start
		run_load "$name-sweep-$c" "$c" "$SWEEP_N"
		stop_responder
		r=$(rate_of "$dir/$name-sweep-$c.json")
		printf ' c=%s %.0f/s' "$c" "$r"
		if python3 -c "import sys; sys.exit(not float('$r') > float('$best'))"; then
			best=$r
			best_c=$c
		fi
	done
	printf '\n%s: %s handshakes at concurrency %s ...\n' "$name" "$N" "$best_c"
	$start
	local t0 r0
	t0=$(cpu_ticks)
	r0=$(rss_kib)
	run_load "$name" "$best_c" "$N"
	echo "$best_c $(( $(cpu_ticks) - t0 )) $(getconf CLK_TCK) $r0 $(rss_kib) $(hwm_kib)" \
		>"$dir/$name.responder"
	kernel_sas >"$dir/$name.kernel"
	stop_responder
}

bench keybridged start_keybridged
# The crypto of one such responder handshake alone, in CPU time, now: one
# copy with the other core idle, then two at once, since the responder
# ran with ike-load keeping the other core busy (that costs CPU time too).
ceiling() {
	KB_BENCH_CLOCK=cpu KB_BENCH_SECONDS=3 "$build/bench/kbbench" \
		responder_psk_x25519_gcm128 |
		awk '/responder crypto ceiling, handshakes/ { print $5 }'
}
ceiling >"$dir/ceiling.alone"
ceiling >"$dir/ceiling.busy1" & ceiling >"$dir/ceiling.busy2"
wait
bench charon start_charon

python3 - "$dir" "$N" "${CHILD:+CHILD SA in IKE_AUTH}" "$PROPOSAL" "$WORKERS" <<'EOF'
import json, sys
d, n, child, proposal = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
workers = sys.argv[5] or "one per CPU (its default)"
status = 0
rows, peers = [], ("keybridged", "charon")
res = {}
for p in peers:
    j = json.load(open(f"{d}/{p}.json"))
    c, ticks, hz, r0, r1, h1 = open(f"{d}/{p}.responder").read().split()
    cpu = int(ticks) / int(hz)
    j["conc"], j["cpu"], j["hwm"] = int(c), cpu, int(h1) / 1024
    j["rss_per_sa"] = (int(r1) - int(r0)) * 1024 / max(j["ok"], 1)
    j["per_cpu"] = j["ok"] / cpu if cpu else 0
    j["load_cpu"] = float(open(f"{d}/{p}.load-cpu").read())
    j["sas"], j["all_sas"], j["pols"] = map(int, open(f"{d}/{p}.kernel").read().split())
    j["refused"] = sum(j["child_sa_failures"].values())
    res[p] = j

def row(label, key, fmt="{:.1f}", ratio=True, goal=""):
    k, c = (key(res[p]) for p in peers)
    r = f"{k / c:.2f}x" if ratio and c else ""
    print(f"{label:<34}{fmt.format(k):>12}{fmt.format(c):>12}{r:>9}  {goal}")

print(f"\nbench-peers: {n} IKE SAs per responder, PSK, {proposal}, "
      f"{child or 'childless (RFC 6023)'}; ike-load on the same machine; "
      f"keybridged's workers: {workers}")
print(f"{'':<34}{'keybridged':>12}{'charon':>12}{'ratio':>9}")
row("best concurrency (sweep)", lambda j: j["conc"], "{:d}", False)
row("handshakes/s", lambda j: j["handshakes_per_second"])
row("  in the first tenth", lambda j: j["rate_by_tenth"][0])
row("  in the last tenth", lambda j: j["rate_by_tenth"][9])
row("latency p50 ms", lambda j: j["latency_ms"]["p50"], "{:.2f}")
row("latency p99 ms", lambda j: j["latency_ms"]["p99"], "{:.2f}")
row("latency max ms", lambda j: j["latency_ms"]["max"], "{:.2f}")
row("responder CPU seconds", lambda j: j["cpu"], "{:.2f}")
row("handshakes per responder CPU-s", lambda j: j["per_cpu"], "{:.0f}",
    True, "goal: keybridged >= 3x charon")
# kbbench responder_psk_x25519_gcm128 (doc/performance.md)
def ceiling(*names):
    v = [float(open(f"{d}/ceiling.{x}").read()) for x in names]
    return sum(v) / len(v)
kb = res["keybridged"]["per_cpu"]
for label, ceil, goal in (
        ("  crypto ceiling, both cores busy", ceiling("busy1", "busy2"),
         "goal: keybridged >= 0.80 of the crypto ceiling"),
        ("  crypto ceiling, other core idle", ceiling("alone"), "")):
    print(f"{label:<34}{ceil:>12.0f}{'':>12}{kb / ceil:>8.2f}x  {goal}")
row("responder peak RSS MiB", lambda j: j["hwm"], "{:.1f}")
row("  growth per IKE SA, bytes", lambda j: j["rss_per_sa"], "{:.0f}")
row("ike-load CPU seconds", lambda j: j["load_cpu"], "{:.2f}")
row("failed handshakes", lambda j: j["failed"], "{:d}", False)
row("retransmits", lambda j: j["retransmits"], "{:d}", False)
row("COOKIE restarts", lambda j: j["cookies"], "{:d}", False)
if child:
    row("CHILD SAs refused or failed", lambda j: j["refused"], "{:d}", False)
    row("CHILD SAs deleted by the responder", lambda j: j["child_sa_deleted"],
        "{:d}", False)
    row("SAs in the kernel (2 per CHILD SA)", lambda j: j["sas"], "{:d}", False)
    row("  expected: 2 per IKE SA", lambda j: 2 * j["ok"], "{:d}", False)
    row("  all, with unused SPIs", lambda j: j["all_sas"], "{:d}", False)
    row("policies in the kernel", lambda j: j["pols"], "{:d}", False)
for p in peers:
    if res[p]["failures"]:
        print(f"{p} failures: {res[p]['failures']}")
    if child and res[p]["child_sa_failures"]:
        print(f"{p} CHILD SA failures: {res[p]['child_sa_failures']}")
    want = 2 * res[p]["ok"]
    if child and res[p]["sas"] < want:
        print(f"bench-peers: *** {p}: {res[p]['ok']} IKE SAs with a CHILD SA "
              f"asked for, but only {res[p]['sas']} SAs in the kernel "
              f"(expected {want}): CHILD SAs were not installed ***")
        log = {"keybridged": "keybridged.log", "charon": "charon-knl.log"}[p]
        for line in open(f"{d}/{log}", errors="replace").readlines()[:5]:
            print(f"  {log}: {line.rstrip()}")
        status = 1
sys.exit(status)
EOF
