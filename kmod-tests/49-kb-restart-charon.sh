#!/bin/bash
# keybridged killed with SIGKILL while traffic flows through its tunnel to
# strongSwan's charon, then started again (issue 16, "kill -9 under
# traffic then restart").
#
#   ┌──────────────────────────┐         ┌──────────────────────────┐
#   │ $NS1  keybridged         │         │ $NS2  charon (strongSwan)│
#   │ lo    10.1.0.1/32        │         │ lo    10.2.0.1/32        │
#   │ veth1 10.0.0.1/24        ├─────────┤ veth2 10.0.0.2/24        │
#   └──────────────────────────┘         └──────────────────────────┘
#        10.1.0.0/24  <======= ESP tunnel =======>  10.2.0.0/24
#              ping 10.1.0.1 -> 10.2.0.1, 20 a second, throughout
#
# Asserts: the kernel SAs outlive the killed daemon and carry the traffic
# until the restarted keybridged, at the end of its start-up, removes them
# with its policies (it cannot adopt them: it lost their IKE SA) and
# initiates at once; its IKE_AUTH carries INITIAL_CONTACT, on
# which charon drops the stale IKE SA and CHILD SA (one SA pair left on
# both sides); the tunnel is back within one retransmit interval (4 s,
# keybridged's first retransmission timeout). Prints the downtime and the
# pings lost, and how many went out in the clear while no policy held
# them (counted, not asserted: keybridged has no trap policies for a
# start_action=start connection).
. "$KB_ROOT/kmod-tests/lib.sh"
. "$KB_ROOT/kmod-tests/kb.sh"
require_guest
require_cmd swanctl tcpdump
[ -x /usr/lib/ipsec/charon ] || skip "strongSwan's charon is not installed"
dir=$(mktemp -d)
ping_pid=
dump_pid=
cleanup() {
	[ -n "$ping_pid" ] && kill "$ping_pid" 2>/dev/null
	[ -n "$dump_pid" ] && kill "$dump_pid" 2>/dev/null
	ns_cleanup
	rm -rf "$dir"
}
trap cleanup EXIT

interval=0.05 # seconds between pings
rtx_ms=4000   # keybridged's first retransmission timeout

kb_two_sites
charon_start "$NS2"
kb_conf "$dir/kb.conf" 10.0.0.1 10.0.0.2 kb.test swan.test \
	10.1.0.0/24 10.2.0.0/24 start
kb_conf "$dir/swan.conf" 10.0.0.2 10.0.0.1 swan.test kb.test \
	10.2.0.0/24 10.1.0.0/24 none
swan "$NS2" --load-all --file "$dir/swan.conf" >/dev/null

step "keybridged initiates the tunnel"
kb_start "$NS1" "$dir/kb.conf"
kb_wait "$NS1" "CHILD SA negotiated" 30
ping_ok "$NS1" 10.2.0.1 3 -I 10.1.0.1
old_out=$(spi_of "$NS1" 10.0.0.1 10.0.0.2)

step "traffic: ping every ${interval}s; echo requests leaving $NS1 in the clear counted"
# (outbound, tcpdump sees the packet as it leaves: ESP, unless no policy
# caught it)
ip netns exec "$NS1" tcpdump -n -l -Q out -i veth1 'icmp[icmptype] == icmp-echo' \
	>"$dir/plain.txt" 2>/dev/null &
dump_pid=$!
ip netns exec "$NS1" ping -n -D -i "$interval" -W 1 -I 10.1.0.1 10.2.0.1 >"$dir/ping.txt" 2>&1 &
ping_pid=$!
sleep 2

step "kill -9 keybridged"
pid=${_kb_daemon[$NS1]}
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
mv "$KB_OUT/$KB_TEST.kb-$NS1.log" "$KB_OUT/$KB_TEST.kb-$NS1.log.killed"
assert_eq "SAs the killed keybridged left in $NS1" 2 \
	"$(xfrm_count "$NS1" state)"
sleep 1
# The kernel SAs outlive the daemon: traffic still flows meanwhile.
before=$(xfrm_packets "$NS2" "$old_out")
sleep 0.5
assert_ge "packets through the orphaned SAs after the kill" $((before + 1)) \
	"$(xfrm_packets "$NS2" "$old_out")"

step "restart"
t_restart=$(date +%s.%N)
kb_start "$NS1" "$dir/kb.conf"
kb_wait "$NS1" "removed 2 SAs and [0-9]+ policies of keybridge" 5
kb_wait "$NS1" "CHILD SA negotiated" 10
t_up=$(date +%s.%N)
sleep 2
kill -INT "$ping_pid"
wait "$ping_pid" 2>/dev/null || true
ping_pid=
kill "$dump_pid"
wait "$dump_pid" 2>/dev/null || true
dump_pid=

step "charon learned through INITIAL_CONTACT"
grep "INITIAL_CONTACT" "$KB_OUT/$KB_TEST.charon-$NS2.log" | tail -n 3
grep -q "destroying duplicate IKE_SA for peer 'kb.test', received INITIAL_CONTACT" \
	"$KB_OUT/$KB_TEST.charon-$NS2.log" ||
	fail "charon did not drop the stale IKE SA on INITIAL_CONTACT"
for i in $(seq 50); do
	[ "$(xfrm_count "$NS2" state)" = 2 ] && break
	sleep 0.1
done
assert_eq "SAs at charon (the stale pair gone)" 2 "$(xfrm_count "$NS2" state)"
assert_eq "IKE SAs at charon" 1 "$(swan "$NS2" --list-sas | grep -c '^t: #' || true)"
assert_eq "SAs in $NS1" 2 "$(xfrm_count "$NS1" state)"
new_out=$(spi_of "$NS1" 10.0.0.1 10.0.0.2)
[ "$new_out" != "$old_out" ] || fail "the outbound SPI did not change"

step "downtime"
# The longest run of unanswered pings, and all of them.
read -r sent got gap < <(awk '
	/bytes from .*icmp_seq=/ { match($0, /icmp_seq=[0-9]+/)
		s = substr($0, RSTART + 9, RLENGTH - 9) + 0
		if (n && s - last - 1 > gap) gap = s - last - 1
		last = s; n++ }
	/packets transmitted/ { sent = $1 }
	END { print sent + 0, n + 0, gap + 0 }' "$dir/ping.txt")
down_ms=$(awk -v g="$gap" -v i="$interval" 'BEGIN { printf "%d", g * i * 1000 }')
up_ms=$(awk -v a="$t_restart" -v b="$t_up" 'BEGIN { printf "%d", (b - a) * 1000 }')
plain=$(grep -c 'ICMP echo request' "$dir/plain.txt" || true)
echo "figure: restart to CHILD SA up ${up_ms} ms (daemon start included);" \
	"pings lost $((sent - got)) of $sent, longest gap $gap pings = ${down_ms} ms;" \
	"$plain echo requests crossed the link in the clear"
[ "$down_ms" -lt "$rtx_ms" ] ||
	fail "the tunnel was down ${down_ms} ms, more than one retransmit interval (${rtx_ms} ms)"
echo "ok: tunnel back within one retransmit interval (${down_ms} ms < ${rtx_ms} ms)"
kb_stop "$NS1"
