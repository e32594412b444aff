#!/bin/bash
# kmod-timeout: 480
# Road warriors (RFC 7296 §3.15): a client asks the gateway for a virtual
# address in IKE_AUTH, gets one and a DNS server from the gateway's pool,
# puts it on its interface and pings the site behind the gateway from it,
# through ESP. Three rounds: keybridged to keybridged, strongSwan's charon
# as the road warrior of keybridged, keybridged as charon's.
#
#   ┌──────────────────────────┐         ┌──────────────────────────┐
#   │ $NS1  road warrior       │         │ $NS2  gateway            │
#   │ vips = 0.0.0.0           │         │ pool 10.3.0.0/28,        │
#   │ veth1 10.0.0.1/24        ├─────────┤   dns 10.3.0.53          │
#   │   + 10.3.0.1/32 (leased) │         │ veth2 10.0.0.2/24        │
#   │                          │         │ lo    10.2.0.1/32        │
#   └──────────────────────────┘         └──────────────────────────┘
#        10.3.0.1/32  <======= ESP tunnel =======>  10.2.0.0/24
#
# Each round: 0 % ping loss from 10.3.0.1, the SAs count the packets, and
# the address leaves the road warrior's interface when keybridged stops;
# a keybridged road warrior routes the site from its virtual address in
# table 220 (as charon does), and removes that route when it stops.
. "$KB_ROOT/kmod-tests/lib.sh"
. "$KB_ROOT/kmod-tests/kb.sh"
require_guest
require_cmd swanctl
[ -x /usr/lib/ipsec/charon ] || skip "strongSwan's charon is not installed"
cleanup() { ns_cleanup; }
trap cleanup EXIT

dir=$(mktemp -d)
ns_two
addr "$NS2" lo 10.2.0.1/32
# the road warrior reaches the site through the gateway; the gateway's
# answers to the pool go back the same way (before the policy picks ESP)
ip -n "$NS1" route add 10.2.0.0/24 via 10.0.0.2
ip -n "$NS2" route add 10.3.0.0/28 via 10.0.0.1

secrets='secrets {
	ike-rw {
		id-1 = carol@road.test
		id-2 = gw.test
		secret = "kmod-tests road warrior secret"
	}
}'

# rw_conf FILE START: the road warrior
rw_conf() {
	cat >"$1" <<-EOF
	connections {
		rw {
			local_addrs = 10.0.0.1
			remote_addrs = 10.0.0.2
			vips = 0.0.0.0
			mobike = no
			proposals = aes256gcm16-prfsha256-x25519
			local {
				auth = psk
				id = carol@road.test
			}
			remote {
				auth = psk
				id = gw.test
			}
			children {
				c {
					remote_ts = 10.2.0.0/24
					esp_proposals = aes128gcm16
					start_action = $2
				}
			}
		}
	}
	$secrets
	EOF
}

# gw_conf FILE: the gateway, any identity with the secret
gw_conf() {
	cat >"$1" <<-EOF
	pools {
		rw_pool {
			addrs = 10.3.0.0/28
			dns = 10.3.0.53
		}
	}
	connections {
		gw {
			local_addrs = 10.0.0.2
			pools = rw_pool
			mobike = no
			proposals = aes256gcm16-prfsha256-x25519
			local {
				auth = psk
				id = gw.test
			}
			remote {
				auth = psk
			}
			children {
				c {
					local_ts = 10.2.0.0/24
					esp_proposals = aes128gcm16
				}
			}
		}
	}
	$secrets
	EOF
}

rw_conf "$dir/rw-start.conf" start
rw_conf "$dir/rw-none.conf" none
gw_conf "$dir/gw.conf"

# traffic: pings from the virtual address, counted by the SAs
traffic() {
	ping_ok "$NS1" 10.2.0.1 5 -I 10.3.0.1
	local out
	out=$(spi_of "$NS1" 10.0.0.1 10.0.0.2)
	assert_ge "packets road warrior -> gateway (SA $out)" 5 \
		"$(xfrm_packets "$NS1" "$out")"
	ip -n "$NS1" xfrm policy | grep -q "src 10.3.0.1/32 dst 10.2.0.0/24" ||
		fail "the road warrior's policy is not narrowed to 10.3.0.1"
}

has_vip() { ip -n "$NS1" -4 addr show dev veth1 | grep -q "inet 10.3.0.1/32"; }

# keybridged's route from the virtual address (table 220, as charon's)
has_route() {
	ip -n "$NS1" route show table 220 | tee "$dir/routes"
	grep -q "10.2.0.0/24 via 10.0.0.2 dev veth1 .*src 10.3.0.1" "$dir/routes" &&
		ip -n "$NS1" rule | grep -q "^220:.*lookup 220"
}
no_route() {
	[ -z "$(ip -n "$NS1" route show table 220)" ] &&
		! ip -n "$NS1" rule | grep -q "lookup 220"
}

step "round 1: keybridged road warrior, keybridged gateway"
kb_start "$NS2" "$dir/gw.conf"
kb_start "$NS1" "$dir/rw-start.conf"
kb_wait "$NS2" "leased virtual address 10.3.0.1 from pool 'rw_pool' to 'carol@road.test'" 30
kb_wait "$NS1" "virtual address 10.3.0.1/32 added to veth1" 30
kb_wait "$NS1" "peer names DNS servers 10.3.0.53" 5
kb_wait "$NS1" "CHILD SA negotiated" 30
has_vip || fail "10.3.0.1 is not on veth1"
has_route || fail "no route from 10.3.0.1 in table 220"
traffic
"$KB_BUILD/bin/ipsec" --socket "$(kb_vici "$NS2")" status || true
swanctl --list-pools --leases --uri "unix://$(kb_vici "$NS2")" |
	tee "$dir/pools"
grep -q "10.3.0.1 *online *'carol@road.test'" "$dir/pools" ||
	grep -q "carol@road.test" "$dir/pools" ||
	fail "get-pools does not list carol's lease"
kb_stop "$NS1"
has_vip && fail "10.3.0.1 stayed on veth1 after keybridged stopped"
no_route || fail "the route of 10.3.0.1 stayed after keybridged stopped"
kb_stop "$NS2"
mv "$KB_OUT/$KB_TEST.kb-$NS1.log" "$KB_OUT/$KB_TEST.kb-$NS1.log.1"
mv "$KB_OUT/$KB_TEST.kb-$NS2.log" "$KB_OUT/$KB_TEST.kb-$NS2.log.1"

step "round 2: charon road warrior, keybridged gateway"
kb_start "$NS2" "$dir/gw.conf"
charon_start "$NS1"
charon1=${_kb_pids[-1]}
swan "$NS1" --load-all --file "$dir/rw-none.conf" >/dev/null
swan "$NS1" --initiate --child c --timeout 30 >/dev/null ||
	fail "charon could not initiate to keybridged"
kb_wait "$NS2" "leased virtual address 10.3.0.1" 10
grep -q "installing new virtual IP 10.3.0.1" "$KB_OUT/$KB_TEST.charon-$NS1.log" ||
	fail "charon did not install 10.3.0.1"
grep -E "DNS server 10.3.0.53" "$KB_OUT/$KB_TEST.charon-$NS1.log" ||
	fail "charon did not get DNS server 10.3.0.53"
traffic
# keybridged ends it: charon 5.9.8 answers the Delete, then may hang
# removing its virtual address ("deleting virtual IP", waiting for an
# address event): it is killed, and what it leaves in $NS1 removed.
kb_stop "$NS2"
grep -q "deleting IKE_SA rw\[1\]\|IKE_SA deleted" \
	"$KB_OUT/$KB_TEST.charon-$NS1.log" || fail "charon saw no Delete"
mv "$KB_OUT/$KB_TEST.kb-$NS2.log" "$KB_OUT/$KB_TEST.kb-$NS2.log.2"
kill -KILL "$charon1"
wait "$charon1" 2>/dev/null || true
ip -n "$NS1" addr del 10.3.0.1/32 dev veth1 2>/dev/null || true
ip -n "$NS1" xfrm state flush
ip -n "$NS1" xfrm policy flush

step "round 3: keybridged road warrior, charon gateway"
charon_start "$NS2"
swan "$NS2" --load-all --file "$dir/gw.conf" >/dev/null
kb_start "$NS1" "$dir/rw-start.conf"
kb_wait "$NS1" "peer assigned virtual address 10.3.0.1" 30
kb_wait "$NS1" "peer names DNS servers 10.3.0.53" 5
kb_wait "$NS1" "CHILD SA negotiated" 30
has_vip || fail "10.3.0.1 is not on veth1"
has_route || fail "no route from 10.3.0.1 in table 220"
traffic
swan "$NS2" --list-pools --leases | tee "$dir/swan-pools"
grep -q "carol@road.test" "$dir/swan-pools" ||
	fail "charon lists no lease for carol"
kb_stop "$NS1"
has_vip && fail "10.3.0.1 stayed on veth1 after keybridged stopped"
no_route || fail "the route of 10.3.0.1 stayed after keybridged stopped"
rm -rf "$dir"
