#!/bin/bash
# start_action = trap: keybridged installs the policy at start-up and the
# first packet that hits it (the kernel's ACQUIRE) brings the tunnel up.
#
#   ┌──────────────────────────┐         ┌──────────────────────────┐
#   │ $NS1  keybridged (trap)  │         │ $NS2  keybridged (resp.) │
#   │ lo    10.1.0.1/32        │         │ lo    10.2.0.1/32        │
#   │ veth1 10.0.0.1/24        ├─────────┤ veth2 10.0.0.2/24        │
#   └──────────────────────────┘         └──────────────────────────┘
#
# Asserts: a policy and no SA before traffic; after the first ping the
# CHILD SA is negotiated and 5 more pings pass with 0 % loss.
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
	10.1.0.0/24 10.2.0.0/24 trap
kb_start "$NS2" "$dir/2.conf"
kb_start "$NS1" "$dir/1.conf"

step "before traffic: the trap policy, no SA"
assert_ge "policies in $NS1" 1 "$(xfrm_count "$NS1" policy)"
assert_eq "SAs in $NS1" 0 "$(xfrm_count "$NS1" state)"
grep -q "IKE SA established" "$KB_OUT/$KB_TEST.kb-$NS1.log" &&
	fail "the tunnel came up without traffic"

step "the first packet triggers ACQUIRE and the negotiation"
n1 ping -c 1 -W 1 -I 10.1.0.1 10.2.0.1 >/dev/null 2>&1 || true
kb_wait "$NS1" "traffic needs an SA"
kb_wait "$NS1" "CHILD SA negotiated"
ping_ok "$NS1" 10.2.0.1 5 -I 10.1.0.1
kb_stop "$NS1"
kb_stop "$NS2"
assert_eq "policies left in $NS1" 0 "$(xfrm_count "$NS1" policy)"
assert_eq "SAs left in $NS1" 0 "$(xfrm_count "$NS1" state)"
rm -rf "$dir"
