#!/bin/bash
# make bench-instructions: the user-space instructions keybridged and
# strongSwan's charon execute per IKEv2 handshake as responders, counted by
# valgrind's callgrind, beside the crypto ceiling's (doc/performance.md).
#
#   ┌──────────────────────────┐          ┌──────────────────────────────┐
#   │ kbinstr-a  192.0.2.1/24  ├── veth ──┤ kbinstr-b  192.0.2.2/24      │
#   │ ike-load (initiators)    │          │ keybridged, then charon,     │
#   │                          │          │ each under callgrind         │
#   └──────────────────────────┘          └──────────────────────────────┘
#
# The same swanctl.conf and charon settings as make bench-peers
# (tools/bench-lib.sh): PSK, aes128gcm16-prfsha256-x25519, childless IKE
# SAs (RFC 6023), keybridged with one worker. Each responder runs twice
# under callgrind, once for KB_BENCH_BASE (20) handshakes and once for
# KB_BENCH_BASE + KB_BENCH_N (200) more, from ike-load at concurrency 2 with a 30 s retransmission
# timer (callgrind makes the responder about 50 times slower); the
# difference of the two totals divided by KB_BENCH_N is what one more
# handshake costs, start-up and shutdown cancelled out. The crypto
# ceiling is kbbench responder_psk_x25519_gcm128's rb_crypto (the crypto
# calls of one such handshake, daemon/bench/bench_responder.c) under
# callgrind: its inclusive count divided by its calls.
#
# Instruction counts do not move with the machine's load or CPU speed,
# which timings on this shared VM do by tens of percent within minutes:
# this is the figure to compare builds with. It leaves out what bench-peers
# times: the kernel (system calls, the network stack), waiting for memory
# and locks, and everything that runs in parallel (callgrind serializes
# threads). A benchmark: it prints figures and ratios, never a verdict.
# KB_BENCH_KEYBRIDGED compares another keybridged binary.
# Usage: bench-instructions.sh [BUILD_DIR]
set -euo pipefail
. "$(dirname "$0")/bench-lib.sh"

bench_name=bench-instructions
build=$(cd "${1:-${KB_BUILD:-build}}" && pwd)
N=${KB_BENCH_N:-200}
BASE=${KB_BENCH_BASE:-20}
KEYBRIDGED=${KB_BENCH_KEYBRIDGED:-$build/bin/keybridged}
CHILD= RTX=30000 WAIT_S=120
PROPOSAL=aes128gcm16-prfsha256-x25519
PSK="keybridge bench-instructions secret"
A=kbinstr-a B=kbinstr-b
dir=$(mktemp -d /tmp/kbinstr.XXXXXX)
pid=

stop_responder() {
	if [ -n "$pid" ]; then
		# SIGTERM: callgrind writes its counts when the process exits
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	pid=
}

cleanup() {
	[ -z "$pid" ] || kill -KILL "$pid" 2>/dev/null || true
	bench_netns_del
	rm -rf "$dir"
}
trap cleanup EXIT

bench_need "$build/bin/ike-load" "$build/bench/kbbench" "$KEYBRIDGED"
command -v valgrind >/dev/null || {
	echo "$bench_name: valgrind is needed (make deps)" >&2
	exit 1
}
if [ ! -x /usr/lib/ipsec/charon ] || ! command -v swanctl >/dev/null; then
	echo "$bench_name: strongSwan's charon and swanctl are needed (make deps)" >&2
	exit 1
fi

CALLGRIND="valgrind --tool=callgrind --dump-instr=no --callgrind-out-file=$dir/cg.out"

bench_netns kbinstr
bench_swanctl_conf "$dir/swanctl.conf"
bench_charon_conf "$dir/strongswan.conf" "$dir/charon-knl.log"

start_keybridged() {
	# one worker: with two the count moves by 1 % from run to run (how
	# datagrams and wake-ups fall between the threads); one gives the
	# same count to 0.1 %
	ip netns exec $B $CALLGRIND "$KEYBRIDGED" -c "$dir/swanctl.conf" \
		--vici "$dir/kb.vici" -l warning --workers 1 \
		>"$dir/keybridged.log" 2>&1 &
	pid=$!
	bench_wait_port_500 "$dir/keybridged.log"
}

start_charon() {
	bench_start_charon "$CALLGRIND"
}

# total NAME START_FN HANDSHAKES: the responder's instructions for a run of
# HANDSHAKES, all threads, start to exit; refuses a run with failures
total() {
	rm -f "$dir/cg.out"
	$2
	run_load "$1" 2 "$3"
	stop_responder
	python3 - "$dir/$1.json" "$3" "$1" <<'PY' >&2
import json, sys
j = json.load(open(sys.argv[1]))
if j["ok"] != int(sys.argv[2]):
    sys.exit(f"bench-instructions: {sys.argv[3]}: {j['ok']} of {sys.argv[2]} "
             f"handshakes, failures {j['failures']}")
PY
	callgrind_annotate "$dir/cg.out" 2>/dev/null |
		awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }'
}

per_handshake() {
	local t0 t1
	t0=$(total "$1-base" "$2" "$BASE")
	t1=$(total "$1" "$2" $((BASE + N)))
	echo $(((t1 - t0) / N))
}

echo "$bench_name: keybridged, $BASE and $((BASE + N)) handshakes under callgrind ..."
kb=$(per_handshake keybridged start_keybridged)
echo "$bench_name: charon, the same ..."
ch=$(per_handshake charon start_charon)
echo "$bench_name: the crypto ceiling (kbbench) ..."
KB_BENCH_SECONDS=1 $CALLGRIND "$build/bench/kbbench" \
	responder_psk_x25519_gcm128 >"$dir/kbbench.log" 2>&1
# rb_crypto's callers' lines ("< ... (Nx)") above its own ("* ..."): the
# instructions of all its calls, inclusive, and how many there were
ceil=$(callgrind_annotate --inclusive=yes --tree=caller "$dir/cg.out" 2>/dev/null |
	python3 -c '
import re, sys
cost = calls = 0
found = None
for line in sys.stdin.read().splitlines():  # all of it: no SIGPIPE upstream
    m = re.match(r"\s*([\d,]+) .*<\s.*\((\d+)x\)", line)
    if m:
        cost += int(m.group(1).replace(",", ""))
        calls += int(m.group(2))
    elif re.search(r"\*\s+\S*:rb_crypto \[", line) and found is None:
        found = (cost, calls)
    else:
        cost = calls = 0
print(found[0] // found[1] if found and found[1] else 0)
')

python3 - "$kb" "$ch" "$ceil" "$N" "$PROPOSAL" <<'PY'
import sys
kb, ch, ceil, n = (int(x) for x in sys.argv[1:5])
proposal = sys.argv[5]
print(f"\nbench-instructions: user-space instructions per handshake as "
      f"responder (callgrind, {n} handshakes), PSK, {proposal}, childless")
print(f"{'':<36}{'keybridged':>12}{'charon':>12}{'ratio':>9}")
print(f"{'responder, all threads':<36}{kb:>12,}{ch:>12,}{kb / ch:>8.2f}x")
if ceil:
    print(f"{'  crypto ceiling (kbbench)':<36}{ceil:>12,}{'':>12}"
          f"{ceil / kb:>8.2f}x  keybridged at this share of it")
else:
    print("bench-instructions: *** the crypto ceiling's count was not found "
          "in kbbench's callgrind output ***")
PY
