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
# CHILD SA is negotiated and 5 more pings pass with 0 % loss; when the
# peer goes away the trap stays and no packet leaves in clear text.
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

step "the peer goes away: the trap stays, nothing leaves in clear text"
kb_stop "$NS2"
kb_wait "$NS1" "IKE SA deleted"
ip -n "$NS1" xfrm policy | grep -A1 "src 10.1.0.0/24 dst 10.2.0.0/24" |
	grep -q "dir out" || fail "the trap policy went with the CHILD SA"
echo "ok: the outbound trap policy is still installed"
n2 timeout 5 tcpdump -c 1 -n -i veth2 icmp >"$KB_OUT/$KB_TEST.clear.txt" 2>&1 &
dump=$!
sleep 1
n1 ping -c 2 -W 1 -I 10.1.0.1 10.2.0.1 >/dev/null 2>&1 &&
	fail "ping passed with no tunnel: traffic left in clear text"
wait "$dump" || true
grep -q "ICMP echo request" "$KB_OUT/$KB_TEST.clear.txt" &&
	fail "an echo request crossed the wire in clear text"
echo "ok: no clear-text echo request on the wire"
kb_stop "$NS1"
assert_eq "policies left in $NS1" 0 "$(xfrm_count "$NS1" policy)"
# The ping's ACQUIRE made the kernel a larval SA (SPI 0) that only its own
# acquire timer removes; every SA keybridge installed must be gone.
assert_eq "SAs left in $NS1 (larval ones aside)" 0 \
	"$(ip -n "$NS1" xfrm state | grep -c 'spi 0x[0-9a-f]*[1-9a-f]' || true)"
rm -rf "$dir"
