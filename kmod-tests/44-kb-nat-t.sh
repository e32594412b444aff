#!/bin/bash
# NAT traversal: a masquerading router between the peers. Both detect the
# NAT in IKE_SA_INIT (RFC 7296 §2.23), IKE floats to port 4500 and ESP is
# UDP-encapsulated (RFC 3948).
#
#   ┌──────────────────┐      ┌──────────────────────┐      ┌──────────────────┐
#   │ $NS1 keybridged  │      │ $NS2 router          │      │ $NS3 keybridged  │
#   │ lo 10.1.0.1/32   │      │ masquerade out of    │      │ lo 10.3.0.1/32   │
#   │ veth1 10.0.1.1   ├──────┤ veth23 (10.0.2.254)  ├──────┤ veth3 10.0.2.1   │
#   └──────────────────┘      └──────────────────────┘      └──────────────────┘
#     initiator, behind NAT                                  responder, %any
#
# Asserts: the SAs are "encap espinudp" on port 4500, 5 pings pass, the SAs
# count them on both sides.
. "$KB_ROOT/kmod-tests/lib.sh"
. "$KB_ROOT/kmod-tests/kb.sh"
require_guest
require_cmd nft
cleanup() { ns_cleanup; }
trap cleanup EXIT

dir=$(mktemp -d)
ns_three
addr "$NS1" lo 10.1.0.1/32
addr "$NS3" lo 10.3.0.1/32
n1 ip route add 10.3.0.0/24 via 10.0.1.254 src 10.1.0.1
masquerade "$NS2" veth23

kb_conf "$dir/3.conf" 10.0.2.1 %any three.test one.test \
	10.3.0.0/24 10.1.0.0/24 none
kb_conf "$dir/1.conf" 10.0.1.1 10.0.2.1 one.test three.test \
	10.1.0.0/24 10.3.0.0/24 start
kb_start "$NS3" "$dir/3.conf"
kb_start "$NS1" "$dir/1.conf"
kb_wait "$NS1" "CHILD SA negotiated"
kb_wait "$NS3" "CHILD SA negotiated"

step "UDP-encapsulated ESP on port 4500"
ip -n "$NS1" xfrm state
ip -n "$NS1" xfrm state | grep -q "encap type espinudp sport 4500 dport 4500" ||
	fail "$NS1's SAs are not UDP-encapsulated on 4500"
ip -n "$NS3" xfrm state | grep -q "encap type espinudp" ||
	fail "$NS3's SAs are not UDP-encapsulated"
echo "ok: ESP in UDP on both sides"

step "traffic through the NAT"
ping_ok "$NS1" 10.3.0.1 5 -I 10.1.0.1
out=$(spi_of "$NS1" 10.0.1.1 10.0.2.1)
assert_ge "packets out of $NS1 (SA $out)" 5 "$(xfrm_packets "$NS1" "$out")"
assert_ge "packets into $NS3 (SA $out)" 5 "$(xfrm_packets "$NS3" "$out")"
kb_stop "$NS1"
kb_stop "$NS3"
rm -rf "$dir"
