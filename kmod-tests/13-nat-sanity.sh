#!/bin/bash
# The three-namespace topology of lib.sh routes both families, and the
# router can masquerade: the ground NAT-T tests stand on.
#
#   ┌──────────────────┐      ┌────────────────────────┐      ┌──────────────────┐
#   │ kb-13-1          │      │ kb-13-2 (router)       │      │ kb-13-3          │
#   │ veth1 10.0.1.1   ├──────┤ veth21 10.0.1.254      │      │                  │
#   │   fd01::1        │      │ veth23 10.0.2.254 ─SNAT├──────┤ veth3 10.0.2.1   │
#   │                  │      │ (masquerade, step 2)   │      │   fd02::1        │
#   └──────────────────┘      └────────────────────────┘      └──────────────────┘
#
# Asserts: pings cross the router in IPv4 and IPv6; with masquerading on,
# kb-13-3 counts the echo requests as coming from 10.0.2.254, none from
# 10.0.1.1.
. "$KB_ROOT/kmod-tests/lib.sh"
require_guest
require_cmd nft
cleanup() { ns_cleanup; }
trap cleanup EXIT

ns_three

step "routing through $NS2"
ping_ok "$NS1" 10.0.2.1 3
ping_ok "$NS1" fd02::1 3
ping_ok "$NS3" 10.0.1.1 3

step "masquerade in $NS2, count sources in $NS3"
masquerade "$NS2" veth23
n3 nft -f - <<'NFT'
table ip kbcount {
	chain in {
		type filter hook input priority filter;
		ip saddr 10.0.2.254 icmp type echo-request counter
		ip saddr 10.0.1.1 icmp type echo-request counter
	}
}
NFT
ping_ok "$NS1" 10.0.2.1 4
counts=$(n3 nft list chain ip kbcount in | awk '/counter packets/ {
	for (i = 1; i < NF; i++) if ($i == "saddr") s = $(i + 1)
	for (i = 1; i < NF; i++) if ($i == "packets") print s, $(i + 1) }')
echo "$counts"
assert_eq "echo requests from the router's address" 4 "$(awk '$1 == "10.0.2.254" { print $2 }' <<<"$counts")"
assert_eq "echo requests from 10.0.1.1 unchanged" 0 "$(awk '$1 == "10.0.1.1" { print $2 }' <<<"$counts")"
