#!/bin/bash
# kmod-timeout: 600
# keybridged --workers 2 as the responder of six ESP tunnels from
# strongSwan's charon, on Debian's kernel (doc/performance.md, "Every
# core"): the SK_REUSEPORT program steering in a stock kernel, CHILD SAs
# and policies installed by both workers, a peer restart whose
# INITIAL_CONTACT must reach the older IKE SAs in either worker, and a
# Delete from the peer.
#
#   ┌──────────────────────────────┐         ┌──────────────────────────────┐
#   │ $NS1  keybridged --workers 2 │         │ $NS2  charon (strongSwan)    │
#   │ lo    10.1.K.1/32 (K = 1…6)  │         │ lo    10.2.K.1/32            │
#   │ veth1 10.0.0.1/24            ├─────────┤ veth2 10.0.0.2/24            │
#   └──────────────────────────────┘         └──────────────────────────────┘
#        10.1.K.0/24  <=== tunnel K, IKE SA K (ids kK.test/swanK.test) ===>  10.2.K.0/24
. "$KB_ROOT/kmod-tests/lib.sh"
. "$KB_ROOT/kmod-tests/kb.sh"
require_guest
require_cmd swanctl
[ -x /usr/lib/ipsec/charon ] || skip "strongSwan's charon is not installed"
dir=$(mktemp -d)
cleanup() {
	ns_cleanup
	rm -rf "$dir"
}
trap cleanup EXIT
T=6

ns_two
for k in $(seq $T); do
	addr "$NS1" lo 10.1.$k.1/32
	addr "$NS2" lo 10.2.$k.1/32
done
n1 ip route add 10.2.0.0/16 via 10.0.0.2 src 10.1.1.1
n2 ip route add 10.1.0.0/16 via 10.0.0.1 src 10.2.1.1

# conf FILE SIDE: T connections; SIDE kb answers, swan initiates
conf() {
	local k me peer lnet rnet
	{
		echo "connections {"
		for k in $(seq $T); do
			if [ "$2" = kb ]; then
				me=k$k.test peer=swan$k.test lnet=10.1.$k.0/24 rnet=10.2.$k.0/24
				la=10.0.0.1 ra=10.0.0.2
			else
				me=swan$k.test peer=k$k.test lnet=10.2.$k.0/24 rnet=10.1.$k.0/24
				la=10.0.0.2 ra=10.0.0.1
			fi
			cat <<-EOC
			t$k {
				local_addrs = $la
				remote_addrs = $ra
				proposals = aes256gcm16-prfsha256-x25519
				local {
					auth = psk
					id = $me
				}
				remote {
					auth = psk
					id = $peer
				}
				children {
					c$k {
						local_ts = $lnet
						remote_ts = $rnet
						esp_proposals = aes128gcm16
					}
				}
			}
			EOC
		done
		echo "}"
		echo "secrets {"
		for k in $(seq $T); do
			cat <<-EOC
			ike-$k {
				id-1 = k$k.test
				id-2 = swan$k.test
				secret = "kmod-tests workers secret $k"
			}
			EOC
		done
		echo "}"
	} >"$1"
}
conf "$dir/kb.conf" kb
conf "$dir/swan.conf" swan

# tunnels_up: charon initiates every tunnel; all of them carry pings
tunnels_up() {
	local k
	for k in $(seq $T); do
		swan "$NS2" --initiate --child c$k --timeout 30 >/dev/null ||
			fail "charon could not bring up tunnel $k"
	done
	for k in $(seq $T); do
		ping_ok "$NS1" 10.2.$k.1 2 -I 10.1.$k.1
	done
}

# ike_ids: the IKE SA ids keybridged lists, one a line
ike_ids() {
	ip netns exec "$NS1" "$KB_BUILD/bin/ipsec" --socket "$(kb_vici "$NS1")" \
		status --json | python3 -c 'import json,sys
for s in json.load(sys.stdin)["ike_sas"]: print(s["id"])'
}

step "keybridged with two workers; charon brings up $T tunnels"
kb_start "$NS1" "$dir/kb.conf" --workers 2
kb_wait "$NS1" "the kernel steers each IKE datagram to its worker" 5 ||
	fail "the SK_REUSEPORT program did not load: $(grep -m1 'not steered' "$KB_OUT/$KB_TEST.kb-$NS1.log")"
charon_start "$NS2"
swan "$NS2" --load-all --file "$dir/swan.conf" >/dev/null
tunnels_up
ids=$(ike_ids)
assert_eq "IKE SAs at keybridged" $T "$(wc -l <<<"$ids")"
odd=$(awk '$1 % 2 == 1' <<<"$ids" | wc -l)
echo "figure: $odd IKE SAs in worker 0, $((T - odd)) in worker 1"
assert_eq "SAs in $NS1 (a pair a tunnel)" $((2 * T)) "$(xfrm_count "$NS1" state)"

step "charon restarts and comes again: INITIAL_CONTACT reaches either worker"
for n in "${_kb_pids[@]}"; do
	[ "$n" = "${_kb_daemon[$NS1]}" ] && continue
	kill -KILL "$n" 2>/dev/null && { wait "$n" 2>/dev/null || true; }
done
_kb_pids=("${_kb_daemon[$NS1]}")
n2 ip xfrm state flush
n2 ip xfrm policy flush
charon_start "$NS2"
swan "$NS2" --load-all --file "$dir/swan.conf" >/dev/null
tunnels_up
for i in $(seq 50); do
	[ "$(ike_ids | wc -l)" = $T ] && break
	sleep 0.1
done
assert_eq "IKE SAs at keybridged (the forgotten ones gone)" $T "$(ike_ids | wc -l)"
assert_eq "SAs in $NS1" $((2 * T)) "$(xfrm_count "$NS1" state)"
assert_ge "INITIAL_CONTACT removals at keybridged" $T \
	"$(grep -c 'peer sent INITIAL_CONTACT' "$KB_OUT/$KB_TEST.kb-$NS1.log")"

step "charon deletes tunnel 1: its IKE SA goes, the others carry traffic"
swan "$NS2" --terminate --ike t1 --timeout 30 >/dev/null ||
	fail "charon could not delete tunnel 1"
for i in $(seq 50); do
	[ "$(ike_ids | wc -l)" = $((T - 1)) ] && break
	sleep 0.1
done
assert_eq "IKE SAs at keybridged" $((T - 1)) "$(ike_ids | wc -l)"
for k in $(seq 2 $T); do
	ping_ok "$NS1" 10.2.$k.1 2 -I 10.1.$k.1
done
kb_stop "$NS1"
log=$KB_OUT/$KB_TEST.kb-$NS1.log
grep -E 'worker [01]: |kernel steering' "$log" || true
assert_eq "workers that handed datagrams over" 0 \
	"$(grep -E 'worker [01]: ' "$log" | grep -vc ' 0 handed to another worker' || true)"
echo "ok: $T tunnels through two workers, steered by the kernel"
