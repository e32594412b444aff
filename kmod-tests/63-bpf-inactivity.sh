#!/bin/bash
# The child option `inactivity` closes a CHILD SA that carried no traffic
# for that long, as keybridged's usage counters (mode 1, fentry) see it,
# and leaves a busy one alone.
#
#   ┌──────────────────────────┐         ┌──────────────────────────┐
#   │ $NS1  keybridged (init.) │         │ $NS2  keybridged (resp.) │
#   │ inactivity = 10s          │         │                          │
#   │ veth1 10.0.0.1/24        ├─────────┤ veth2 10.0.0.2/24        │
#   └──────────────────────────┘         └──────────────────────────┘
#        10.1.0.0/24  <======= ESP tunnel =======>  10.2.0.0/24
#
# Asserts: while pings cross every 0.5 s for 12 s the CHILD SA stays and
# carries them (a closed one would let them pass in clear text); once they
# stop, $NS1 logs "carried no traffic for 10 s (inactivity = 10 s)",
# deletes the CHILD SA with its peer, both kernels lose its SAs, and the
# IKE SA stays up.
. "$KB_ROOT/kmod-tests/lib.sh"
. "$KB_ROOT/kmod-tests/kb.sh"
require_guest
cleanup() { ns_cleanup; }
trap cleanup EXIT

dir=$(mktemp -d)
kb_two_sites
kb_conf "$dir/2.conf" 10.0.0.2 10.0.0.1 two.test one.test \
	10.2.0.0/24 10.1.0.0/24 none
kb_conf "$dir/1.conf" 10.0.0.1 10.0.0.2 one.test two.test \
	10.1.0.0/24 10.2.0.0/24 start
sed -i 's/start_action = start/&\n\t\t\t\t\tinactivity = 10s/' "$dir/1.conf"
kb_start "$NS2" "$dir/2.conf"
kb_start "$NS1" "$dir/1.conf"
# traffic from the start (in clear text until the tunnel is up): a slow
# guest cannot leave the new CHILD SA idle before the pings begin
ip netns exec "$NS1" ping -n -q -i 0.5 -I 10.1.0.1 10.2.0.1 >/dev/null &
pinger=$!
kb_wait "$NS1" "SA usage: BPF fentry"
kb_wait "$NS1" "CHILD SA negotiated"
log=$KB_OUT/$KB_TEST.kb-$NS1.log
out=$(spi_of "$NS1" 10.0.0.1 10.0.0.2)

step "busy for 12 s: the CHILD SA stays"
sleep 12
kill "$pinger"
wait "$pinger" 2>/dev/null || true
grep "carried no traffic" "$log" && fail "a busy CHILD SA was closed"
assert_eq "SAs in $NS1 while busy" 2 "$(xfrm_count "$NS1" state)"
assert_ge "pings through SA $out" 20 "$(xfrm_packets "$NS1" "$out")"

step "idle: closed after 10 s"
kb_wait "$NS1" "CHILD SA [0-9a-f]+/[0-9a-f]+ carried no traffic for 1[01] s \(inactivity = 10 s\): closing it" 25
kb_wait "$NS1" "CHILD SA deleted" 10
kb_wait "$NS2" "CHILD SA deleted" 10
assert_eq "SAs left in $NS1" 0 "$(xfrm_count "$NS1" state)"
assert_eq "SAs left in $NS2" 0 "$(xfrm_count "$NS2" state)"
grep -q "IKE SA deleted" "$log" && fail "the IKE SA went too"
echo "ok: the IKE SA stays"
kb_stop "$NS1"
kb_stop "$NS2"
rm -rf "$dir"
