#!/bin/bash
# No DPD while inbound ESP shows the peer alive (RFC 7296 §2.4: liveness
# checks only when nothing was heard), DPD once the traffic stops; with
# the usage counters of BPF (mode 1, fentry) and of the kernel's own SA
# counters (--bpf off, XFRM GETSA polling).
#
#   ┌──────────────────────────┐         ┌──────────────────────────┐
#   │ $NS1  keybridged (init.) │         │ $NS2  keybridged (resp.) │
#   │ dpd_delay = 3s           │         │ no DPD of its own        │
#   │ veth1 10.0.0.1/24        ├─────────┤ veth2 10.0.0.2/24        │
#   └──────────────────────────┘         └──────────────────────────┘
#        10.1.0.0/24  <======= ESP tunnel =======>  10.2.0.0/24
#          tcpdump on veth2: every IKE datagram (UDP 500/4500)
#
# Asserts, per mode: while pings cross every 0.2 s for 12 s (four
# dpd_delays) no IKE datagram crosses the link and $NS1 logs no liveness
# check; once they stop, $NS1 sends its empty INFORMATIONAL within
# dpd_delay plus one sampling period (1 s) and some slack, $NS2 answers
# it, and the IKE SA stays.
. "$KB_ROOT/kmod-tests/lib.sh"
. "$KB_ROOT/kmod-tests/kb.sh"
require_guest
require_cmd tcpdump
dir=$(mktemp -d)
pinger=
dumper=
cleanup() {
	[ -n "$pinger" ] && kill "$pinger" 2>/dev/null
	[ -n "$dumper" ] && kill "$dumper" 2>/dev/null
	ns_cleanup
	rm -rf "$dir"
}
trap cleanup EXIT

kb_two_sites
kb_conf "$dir/2.conf" 10.0.0.2 10.0.0.1 two.test one.test \
	10.2.0.0/24 10.1.0.0/24 none
kb_conf "$dir/1.conf" 10.0.0.1 10.0.0.2 one.test two.test \
	10.1.0.0/24 10.2.0.0/24 start
sed -i 's/^\(\t*\)proposals = .*/&\n\1dpd_delay = 3s/' "$dir/1.conf"
grep -q 'dpd_delay = 3s' "$dir/1.conf" || fail "dpd_delay not in the config"

# ike_datagrams: IKE datagrams tcpdump has seen so far on veth2.
ike_datagrams() { grep -c 'UDP\|isakmp' "$dir/ike.txt" || true; }

# round MODE WHAT_THE_LOG_SAYS: one tunnel with keybridged --bpf MODE.
round() {
	local mode=$1 says=$2 log=$KB_OUT/$KB_TEST.kb-$NS1.log
	step "--bpf $mode: tunnel up, pings every 0.2 s from the start"
	kb_start "$NS2" "$dir/2.conf" --bpf "$mode"
	# traffic before the tunnel is up (clear text until then): the CHILD
	# SA never sits idle for a dpd_delay
	ip netns exec "$NS1" ping -n -q -i 0.2 -I 10.1.0.1 10.2.0.1 >/dev/null 2>&1 &
	pinger=$!
	kb_start "$NS1" "$dir/1.conf" --bpf "$mode"
	kb_wait "$NS1" "$says"
	kb_wait "$NS1" "CHILD SA negotiated"
	local out
	out=$(spi_of "$NS1" 10.0.0.1 10.0.0.2)
	sleep 1 # the IKE_AUTH exchange is over
	ip netns exec "$NS2" tcpdump -n -l -i veth2 'udp port 500 or udp port 4500' \
		>"$dir/ike.txt" 2>/dev/null &
	dumper=$!
	sleep 0.5

	step "--bpf $mode: busy for 12 s (four dpd_delays): no DPD"
	local quiet_from
	quiet_from=$(grep -c "liveness check sent" "$log" || true)
	sleep 12
	assert_eq "IKE datagrams on the link while ESP flows" 0 "$(ike_datagrams)"
	assert_eq "liveness checks $NS1 logged while ESP flows" "$quiet_from" \
		"$(grep -c "liveness check sent" "$log" || true)"
	assert_ge "pings through SA $out" 50 "$(xfrm_packets "$NS1" "$out")"

	step "--bpf $mode: idle: DPD within dpd_delay + sampling + slack"
	kill "$pinger"
	wait "$pinger" 2>/dev/null || true
	pinger=
	local t0=$SECONDS i
	for i in $(seq 100); do
		[ "$(ike_datagrams)" -ge 2 ] && break
		sleep 0.1
	done
	cat "$dir/ike.txt"
	assert_ge "IKE datagrams (DPD request and answer) once idle" 2 \
		"$(ike_datagrams)"
	echo "ok: DPD after $((SECONDS - t0)) s idle (dpd_delay 3 s)"
	[ $((SECONDS - t0)) -le 8 ] || fail "DPD came late"
	kb_wait "$NS1" "liveness check sent" 2
	grep -q "IKE SA deleted\|peer did not answer" "$log" &&
		fail "the IKE SA went down"
	echo "ok: the IKE SA stays"
	kill "$dumper"
	wait "$dumper" 2>/dev/null || true
	dumper=
	kb_stop "$NS1"
	kb_stop "$NS2"
	mv "$log" "$log.$mode"
	mv "$KB_OUT/$KB_TEST.kb-$NS2.log" "$KB_OUT/$KB_TEST.kb-$NS2.log.$mode"
}

round auto "SA usage: BPF fentry"
round off "SA usage: BPF off"
