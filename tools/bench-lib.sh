# tools/bench-lib.sh: what make bench-peers and make bench-workers share,
# sourced by tools/bench-peers.sh and tools/bench-workers.sh (not run on
# its own): two network namespaces joined by a veth pair, the responders'
# swanctl.conf, waiting for a responder and reading its CPU time, and
# ike-load's runs.
#
#   ┌──────────────────────────┐          ┌──────────────────────────────┐
#   │ $A  192.0.2.1/24         ├── veth ──┤ $B  192.0.2.2/24             │
#   │ ike-load (initiators)    │          │ the responder ($pid)         │
#   └──────────────────────────┘          └──────────────────────────────┘
#
# The sourcing script sets, before it calls anything here: bench_name (its
# name in messages), build (the build directory), dir (its scratch
# directory), A and B (namespace names of its own, so that both benchmarks
# never share one), PROPOSAL and PSK; and for run_load CHILD (empty:
# childless IKE SAs, RFC 6023) and RTX (ike-load's first retransmission
# timeout in ms). pid is the running responder's, set by its start
# function.

# bench_need FILE...: each must be an executable
bench_need() {
	local f
	for f in "$@"; do
		[ -x "$f" ] || { echo "$bench_name: no $f (run make)" >&2; exit 1; }
	done
}

# bench_netns IF: $A and $B afresh, joined by veth IF0 (in $A) and IF1
bench_netns() {
	bench_netns_del
	ip netns add "$A"
	ip netns add "$B"
	ip -n "$A" link set lo up
	ip -n "$B" link set lo up
	ip link add "${1}0" netns "$A" type veth peer name "${1}1" netns "$B"
	ip -n "$A" addr add 192.0.2.1/24 dev "${1}0"
	ip -n "$B" addr add 192.0.2.2/24 dev "${1}1"
	ip -n "$A" link set "${1}0" up
	ip -n "$B" link set "${1}1" up
}

bench_netns_del() {
	ip netns del "$A" 2>/dev/null || true
	ip netns del "$B" 2>/dev/null || true
}

# bench_swanctl_conf FILE: the responders' configuration, PSK and one IKE
# proposal, any peer; a CHILD SA if ike-load asks for one
bench_swanctl_conf() {
	cat >"$1" <<EOF
connections {
  bench {
    remote_addrs = %any
    proposals = $PROPOSAL
    local {
      auth = psk
      id = responder.bench
    }
    remote {
      auth = psk
    }
    children {
      c {
        esp_proposals = aes128gcm16
      }
    }
  }
}
secrets {
  ike-bench {
    secret = "$PSK"
  }
}
EOF
}

# bench_wait_port_500 [LOG]: until the responder in $B listens on UDP 500
# (5 s at most; then LOG, if given, is shown and the benchmark stops)
bench_wait_port_500() {
	for _ in $(seq 100); do
		ip netns exec "$B" ss -Huln 'sport = :500' | grep -q . && return 0
		sleep 0.05
	done
	echo "$bench_name: the responder did not open port 500${1:+:}" >&2
	[ -z "${1:-}" ] || cat "$1" >&2
	exit 1
}

# cpu_ticks: the responder's CPU time so far (utime + stime, all threads)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }

# run_load NAME CONC TOTAL: ike-load's JSON into $dir/NAME.json, its
# messages into $dir/NAME.err, its CPU seconds into $dir/NAME.load-cpu
run_load() {
	local childless=--childless
	[ -n "$CHILD" ] && childless=
	TIMEFORMAT='%U %S'
	{ time ip netns exec "$A" "$build/bin/ike-load" --peer 192.0.2.2 \
		--psk "$PSK" --ike "$PROPOSAL" --esp aes128gcm16 $childless \
		--retransmit "$RTX" -n "$3" -c "$2" --json >"$dir/$1.json" 2>"$dir/$1.err" || true; } \
		2>"$dir/$1.load-time"
	awk '{ print $1 + $2 }' "$dir/$1.load-time" >"$dir/$1.load-cpu"
}

# rate_of JSON: the handshakes per second of one run_load
rate_of() {
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["handshakes_per_second"])' "$1"
}
