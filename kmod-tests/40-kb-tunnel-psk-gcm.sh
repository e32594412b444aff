#!/bin/bash
# keybridged ↔ keybridged: IPv4 tunnel mode, PSK, AES-GCM, through real ESP.
#
#   ┌──────────────────────────┐         ┌──────────────────────────┐
#   │ $NS1  keybridged (init.) │         │ $NS2  keybridged (resp.) │
#   │ lo    10.1.0.1/32        │         │ lo    10.2.0.1/32        │
#   │ veth1 10.0.0.1/24        ├─────────┤ veth2 10.0.0.2/24        │
#   └──────────────────────────┘         └──────────────────────────┘
#        10.1.0.0/24  <======= ESP tunnel =======>  10.2.0.0/24
#
# Asserts: both daemons negotiate the CHILD SA, ping from 10.1.0.1 to
# 10.2.0.1 has 0 % loss, both ESP SAs count the packets in both kernels,
# and SIGTERM removes every SA and policy on both sides.
. "$KB_ROOT/kmod-tests/lib.sh"
. "$KB_ROOT/kmod-tests/kb.sh"
require_guest
cleanup() { ns_cleanup; }
trap cleanup EXIT

dir=$(mktemp -d)
kb_two_sites

step "start the responder, then the initiator"
kb_conf "$dir/2.conf" 10.0.0.2 10.0.0.1 two.test one.test \
	10.2.0.0/24 10.1.0.0/24 none
kb_conf "$dir/1.conf" 10.0.0.1 10.0.0.2 one.test two.test \
	10.1.0.0/24 10.2.0.0/24 start
kb_start "$NS2" "$dir/2.conf"
kb_start "$NS1" "$dir/1.conf"
kb_wait "$NS1" "CHILD SA negotiated"
kb_wait "$NS2" "CHILD SA negotiated"
assert_eq "SAs in $NS1" 2 "$(xfrm_count "$NS1" state)"
assert_eq "SAs in $NS2" 2 "$(xfrm_count "$NS2" state)"

step "traffic through the tunnel"
ping_ok "$NS1" 10.2.0.1 5 -I 10.1.0.1
out=$(spi_of "$NS1" 10.0.0.1 10.0.0.2)
in=$(spi_of "$NS1" 10.0.0.2 10.0.0.1)
assert_ge "packets out of $NS1 (SA $out)" 5 "$(xfrm_packets "$NS1" "$out")"
assert_ge "packets into $NS1 (SA $in)" 5 "$(xfrm_packets "$NS1" "$in")"
assert_ge "packets into $NS2 (SA $out)" 5 "$(xfrm_packets "$NS2" "$out")"
assert_ge "packets out of $NS2 (SA $in)" 5 "$(xfrm_packets "$NS2" "$in")"
ip -n "$NS1" -s xfrm state

step "SIGTERM: the peer sees the Delete, both kernels end clean"
kb_stop "$NS1"
kb_wait "$NS2" "IKE SA deleted"
assert_eq "SAs left in $NS1" 0 "$(xfrm_count "$NS1" state)"
assert_eq "policies left in $NS1" 0 "$(xfrm_count "$NS1" policy)"
assert_eq "SAs left in $NS2" 0 "$(xfrm_count "$NS2" state)"
assert_eq "policies left in $NS2" 0 "$(xfrm_count "$NS2" policy)"
kb_stop "$NS2"
rm -rf "$dir"
