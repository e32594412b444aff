#!/bin/bash
# keybridged ↔ strongSwan's charon, each initiating once, pinging through
# the tunnel both times.
#
#   ┌──────────────────────────┐         ┌──────────────────────────┐
#   │ $NS1  keybridged         │         │ $NS2  charon (strongSwan)│
#   │ lo    10.1.0.1/32        │         │ lo    10.2.0.1/32        │
#   │ veth1 10.0.0.1/24        ├─────────┤ veth2 10.0.0.2/24        │
#   └──────────────────────────┘         └──────────────────────────┘
#        10.1.0.0/24  <======= ESP tunnel =======>  10.2.0.0/24
#
# Round 1: keybridged initiates. Round 2: charon initiates (it moves IKE to
# port 4500 for IKE_AUTH, MOBIKE). Each round: 0 % ping loss, the SAs count
# the packets on both sides, and keybridged's SIGTERM deletes the IKE SA at
# charon too.
. "$KB_ROOT/kmod-tests/lib.sh"
. "$KB_ROOT/kmod-tests/kb.sh"
require_guest
require_cmd swanctl
[ -x /usr/lib/ipsec/charon ] || skip "strongSwan's charon is not installed"
cleanup() { ns_cleanup; }
trap cleanup EXIT

dir=$(mktemp -d)
kb_two_sites
charon_start "$NS2"

# round START_KB START_CHARON: one tunnel, traffic, stop.
round() {
	kb_conf "$dir/kb.conf" 10.0.0.1 10.0.0.2 kb.test swan.test \
		10.1.0.0/24 10.2.0.0/24 "$1"
	kb_conf "$dir/swan.conf" 10.0.0.2 10.0.0.1 swan.test kb.test \
		10.2.0.0/24 10.1.0.0/24 none
	swan "$NS2" --load-all --file "$dir/swan.conf" >/dev/null
	kb_start "$NS1" "$dir/kb.conf"
	if [ "$2" = yes ]; then
		swan "$NS2" --initiate --child c --timeout 30 >/dev/null ||
			fail "charon could not initiate to keybridged"
	fi
	kb_wait "$NS1" "CHILD SA negotiated" 30
	ping_ok "$NS1" 10.2.0.1 5 -I 10.1.0.1
	local out in
	out=$(spi_of "$NS1" 10.0.0.1 10.0.0.2)
	in=$(spi_of "$NS1" 10.0.0.2 10.0.0.1)
	assert_ge "packets keybridged -> charon (SA $out)" 5 \
		"$(xfrm_packets "$NS1" "$out")"
	assert_ge "packets charon -> keybridged (SA $in)" 5 \
		"$(xfrm_packets "$NS1" "$in")"
	assert_ge "charon's kernel counted them (SA $out)" 5 \
		"$(xfrm_packets "$NS2" "$out")"
	kb_stop "$NS1"
	assert_eq "SAs left in $NS1" 0 "$(xfrm_count "$NS1" state)"
	local i
	for i in $(seq 50); do
		[ "$(xfrm_count "$NS2" state)" = 0 ] && break
		sleep 0.1
	done
	assert_eq "SAs left at charon after our Delete" 0 \
		"$(xfrm_count "$NS2" state)"
	mv "$KB_OUT/$KB_TEST.kb-$NS1.log" "$KB_OUT/$KB_TEST.kb-$NS1.log.$1"
}

step "round 1: keybridged initiates to charon"
round start no
step "round 2: charon initiates to keybridged"
round none yes
rm -rf "$dir"
