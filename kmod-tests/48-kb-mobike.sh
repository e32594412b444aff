#!/bin/bash
# MOBIKE (RFC 4555): the initiator's address changes under a running ping
# flow; keybridged notices (rtnetlink), sends UPDATE_SA_ADDRESSES from its
# new address, and both sides move their SAs and policies
# (XFRM_MSG_MIGRATE here, charon its own way) without a new key exchange.
# Once with keybridged as the responder, once with strongSwan's charon.
#
#   ┌───────────────────────────┐         ┌───────────────────────────┐
#   │ $NS1 keybridged, mobike   │         │ $NS2 keybridged or charon │
#   │ lo    10.1.0.1/32         │         │ lo    10.2.0.1/32         │
#   │ veth1 10.0.0.1/24         ├─────────┤ veth2 10.0.0.2/24         │
#   │   -> 10.0.0.11/24         │         │ remote_addrs = %any       │
#   └───────────────────────────┘         └───────────────────────────┘
#        10.1.0.0/24  <======= ESP tunnel =======>  10.2.0.0/24
#
# Each round: tunnel up, `ping -i 0.1` from 10.1.0.1 to 10.2.0.1; after 3 s
# NS1's 10.0.0.1 is deleted and 10.0.0.11 added (route re-added), the ping
# goes on for 12 s more. Prints packets lost and the longest gap between
# answers (the time to recover). Asserts: replies resume after the change
# (at least 50 of the last ~120), the gap stays under 8 s, both kernels'
# SAs and keybridged's policy templates carry 10.0.0.11, and the SPIs are
# those from before the move (no rekey, no new CHILD SA).
# kmod-timeout: 480
. "$KB_ROOT/kmod-tests/lib.sh"
. "$KB_ROOT/kmod-tests/kb.sh"
require_guest
require_cmd swanctl
[ -x /usr/lib/ipsec/charon ] || skip "strongSwan's charon is not installed"
cleanup() { ns_cleanup; }
trap cleanup EXIT

dir=$(mktemp -d)
kb_two_sites

# with_mobike FILE: mobike = yes in connection t.
with_mobike() { sed -i 's/^\(\s*\)remote_addrs = .*/&\n\1mobike = yes/' "$1"; }

# move NS1 from 10.0.0.1 to 10.0.0.11, as a laptop changing networks would
move() {
	ip -n "$NS1" -batch - <<-EOF
		addr del 10.0.0.1/24 dev veth1
		addr add 10.0.0.11/24 dev veth1
		route add 10.2.0.0/24 via 10.0.0.2 src 10.1.0.1
	EOF
}

# back to the start for the next round
move_back() {
	ip -n "$NS1" -batch - <<-EOF
		addr del 10.0.0.11/24 dev veth1
		addr add 10.0.0.1/24 dev veth1
		route add 10.2.0.0/24 via 10.0.0.2 src 10.1.0.1
	EOF
}

# flow PEER: the ping flow across the move; prints the figures and checks
# traffic resumed (sets $after: answers after the move). Leaves the ping
# output in $dir/ping.PEER.
flow() {
	local peer=$1 log=$dir/ping.$1 sent got lost gap
	ip netns exec "$NS1" ping -n -D -i 0.1 -W 1 -w 15 -I 10.1.0.1 \
		10.2.0.1 >"$log" 2>&1 &
	local pid=$!
	sleep 3
	step "$peer: NS1 moves from 10.0.0.1 to 10.0.0.11"
	move
	local t0
	t0=$(date +%s.%N)
	wait "$pid" || true
	sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$log")
	got=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$log")
	lost=$((sent - got))
	# longest silence between two answers, and answers after the move
	read -r gap after < <(awk -v t0="$t0" -F'[][]' '/bytes from/ {
		t = $2 + 0; if (last && t - last > gap) gap = t - last; last = t
		if (t > t0) n++ } END { printf "%.2f %d\n", gap, n }' "$log")
	echo "MOBIKE $peer: $sent sent, $got answered, $lost lost;" \
		"recovered in ${gap} s (longest gap between answers);" \
		"$after answers after the move"
	assert_ge "answers after the move ($peer)" 50 "$after"
	awk -v g="$gap" 'BEGIN { exit !(g < 8) }' ||
		fail "$peer: traffic stopped for $gap s (more than 8 s)"
}

# tunnel_up: the SAs exist and carry the pings; sets $out and $in (SPIs)
tunnel_up() {
	ping_ok "$NS1" 10.2.0.1 3 -I 10.1.0.1
	out=$(spi_of "$NS1" 10.0.0.1 10.0.0.2)
	in=$(spi_of "$NS1" 10.0.0.2 10.0.0.1)
	[ -n "$out" ] && [ -n "$in" ] || fail "no SAs between 10.0.0.1 and 10.0.0.2"
	assert_ge "pings through SA $out before the move" 3 \
		"$(xfrm_packets "$NS1" "$out")"
}

# moved SPI_OUT SPI_IN: both kernels hold the same SPIs at the new
# address, keybridged's policies too.
moved() {
	local out=$1 in=$2
	assert_eq "NS1's outbound SA after the move" "$out" \
		"$(spi_of "$NS1" 10.0.0.11 10.0.0.2)"
	assert_eq "NS1's inbound SA after the move" "$in" \
		"$(spi_of "$NS1" 10.0.0.2 10.0.0.11)"
	assert_eq "NS2's inbound SA after the move" "$out" \
		"$(spi_of "$NS2" 10.0.0.11 10.0.0.2)"
	assert_eq "NS2's outbound SA after the move" "$in" \
		"$(spi_of "$NS2" 10.0.0.2 10.0.0.11)"
	ip -n "$NS1" xfrm policy | grep -q "tmpl src 10.0.0.11 dst 10.0.0.2" ||
		fail "NS1's out policy still names the old address"
	ip -n "$NS1" xfrm policy | grep -q "tmpl src 10.0.0.2 dst 10.0.0.11" ||
		fail "NS1's in policy still names the old address"
	# the answers came through the tunnel, not around it
	assert_ge "packets into NS2 through SA $out" "$after" \
		"$(xfrm_packets "$NS2" "$out")"
	assert_ge "packets into NS1 through SA $in" "$after" \
		"$(xfrm_packets "$NS1" "$in")"
	assert_eq "SAs of the old address in NS1" "" \
		"$(ip -n "$NS1" xfrm state | grep -E '10\.0\.0\.1( |$)' || true)"
}

kb_conf "$dir/kb1.conf" 10.0.0.1 10.0.0.2 kb.test peer.test \
	10.1.0.0/24 10.2.0.0/24 start
with_mobike "$dir/kb1.conf"
kb_conf "$dir/peer.conf" 10.0.0.2 %any peer.test kb.test \
	10.2.0.0/24 10.1.0.0/24 none

step "round 1: keybridged to keybridged"
with_mobike "$dir/peer.conf"
kb_start "$NS2" "$dir/peer.conf"
kb_start "$NS1" "$dir/kb1.conf"
kb_wait "$NS1" "CHILD SA negotiated" 30
tunnel_up
flow keybridged
kb_wait "$NS1" "MOBIKE: the peer 10.0.0.2 is now reached from 10.0.0.11"
moved "$out" "$in"
kb_stop "$NS1"
kb_stop "$NS2"
move_back
mv "$KB_OUT/$KB_TEST.kb-$NS1.log" "$KB_OUT/$KB_TEST.kb-$NS1.log.keybridged"

step "round 2: keybridged to charon"
charon_start "$NS2"
kb_conf "$dir/peer.conf" 10.0.0.2 %any peer.test kb.test \
	10.2.0.0/24 10.1.0.0/24 none
swan "$NS2" --load-all --file "$dir/peer.conf" >/dev/null
kb_start "$NS1" "$dir/kb1.conf"
kb_wait "$NS1" "CHILD SA negotiated" 30
tunnel_up
flow charon
moved "$out" "$in"
grep -E "UPDATE_SA_ADDR|updating IKE_SA" "$KB_OUT/$KB_TEST.charon-$NS2.log" |
	head -n 3
kb_stop "$NS1"
rm -rf "$dir"
