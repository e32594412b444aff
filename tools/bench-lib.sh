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
# (WAIT_S, 5 s, at most; then LOG, if given, is shown and the benchmark
# stops)
bench_wait_port_500() {
	for _ in $(seq $((${WAIT_S:-5} * 20))); do
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

# bench_charon_conf FILE KNL_LOG: strongswan.conf for charon as a benchmark
# responder: no logging but its kernel interface's errors into KNL_LOG
# (level 1: an SA or policy the kernel refused, nothing per SA that went
# in), the same DoS limits as keybridged's defaults, an IKE SA hash table
# sized for many SAs (its default of one bucket makes every lookup walk
# all SAs), its vici socket in $dir.
bench_charon_conf() {
	cat >"$1" <<EOC
charon {
  load_modular = yes
  install_routes = no
  install_virtual_ip = no
  routing_table = 0
  cookie_threshold = 30
  cookie_threshold_ip = 30
  block_threshold = 1000
  ikesa_table_size = 4096
  ikesa_table_segments = 16
  plugins {
    include /etc/strongswan.d/charon/*.conf
    vici {
      socket = unix://$dir/charon.vici
    }
  }
  syslog {
    daemon {
      default = -1
    }
  }
  filelog {
    knl {
      path = $2
      append = no
      flush_line = yes
      default = -1
      knl = 1
    }
  }
}
EOC
}

# bench_start_charon [WRAPPER...]: charon in $B (run by WRAPPER, e.g.
# valgrind, if given) with $dir/strongswan.conf, a /run of its own ($dir/run)
# and $dir/swanctl.conf loaded; pid is charon's. WAIT_S (5) bounds the wait
# for its vici socket.
bench_start_charon() {
	rm -f "$dir/charon.vici"
	mkdir -p "$dir/run"
	# ip netns exec, unshare and sh all exec: $! is charon's pid
	ip netns exec "$B" unshare -m sh -c "mount --bind $dir/run /run && \
		STRONGSWAN_CONF=$dir/strongswan.conf exec $* /usr/lib/ipsec/charon" \
		>"$dir/charon.log" 2>&1 &
	pid=$!
	for _ in $(seq $((${WAIT_S:-5} * 20))); do
		[ -S "$dir/charon.vici" ] && break
		sleep 0.05
	done
	swanctl --load-all --file "$dir/swanctl.conf" \
		--uri "unix://$dir/charon.vici" >"$dir/swanctl.log" 2>&1 || {
		cat "$dir/swanctl.log" "$dir/charon.log" >&2
		exit 1
	}
	bench_wait_port_500 "$dir/charon.log"
}
