#!/bin/bash
# kmod-timeout: 300
# `ipsec status` during a keybridge ↔ strongSwan tunnel: keybridged's
# control socket and charon's vici agree on the SPIs, and keybridge's
# counters follow the kernel's as the traffic flows.
#
#   ┌──────────────────────────┐         ┌──────────────────────────┐
#   │ $NS1  keybridged         │         │ $NS2  charon (strongSwan)│
#   │ lo    10.1.0.1/32        │         │ lo    10.2.0.1/32        │
#   │ veth1 10.0.0.1/24        ├─────────┤ veth2 10.0.0.2/24        │
#   └──────────┬───────────────┘         └──────────┬───────────────┘
#        ipsec status --json                  swanctl --list-sas
. "$KB_ROOT/kmod-tests/lib.sh"
. "$KB_ROOT/kmod-tests/kb.sh"
require_guest
require_cmd swanctl python3
[ -x /usr/lib/ipsec/charon ] || skip "strongSwan's charon is not installed"
cleanup() { ns_cleanup; }
trap cleanup EXIT

dir=$(mktemp -d)
kb_two_sites
charon_start "$NS2"
kb_conf "$dir/kb.conf" 10.0.0.1 10.0.0.2 kb.test swan.test \
	10.1.0.0/24 10.2.0.0/24 none
kb_conf "$dir/swan.conf" 10.0.0.2 10.0.0.1 swan.test kb.test \
	10.2.0.0/24 10.1.0.0/24 none
swan "$NS2" --load-all --file "$dir/swan.conf" >/dev/null
kb_start "$NS1" "$dir/kb.conf"
swan "$NS2" --initiate --child c --timeout 30 >/dev/null ||
	fail "charon could not initiate to keybridged"
kb_wait "$NS1" "CHILD SA negotiated" 30
sock=$(kb_vici "$NS1")
ipsec() { "$KB_BUILD/bin/ipsec" --socket "$sock" "$@"; }
# children: "spi_in spi_out packets_in packets_out" of the first CHILD SA
children() {
	ipsec status --json | python3 -c "import json,sys
c = json.load(sys.stdin)['ike_sas'][0]['child_sas'][0]
print(c['spi_in'], c['spi_out'], c['packets_in'], c['packets_out'])"
}

step "keybridge's view against the kernel's and charon's"
ping_ok "$NS1" 10.2.0.1 5 -I 10.1.0.1
read -r spi_in spi_out p_in p_out <<<"$(children)"
assert_eq "spi_out = the kernel's" \
	"$(spi_of "$NS1" 10.0.0.1 10.0.0.2)" "0x$spi_out"
assert_eq "spi_in = the kernel's" \
	"$(spi_of "$NS1" 10.0.0.2 10.0.0.1)" "0x$spi_in"
swan "$NS2" --list-sas | tee "$dir/swan.sas"
grep -q "in  $spi_out" "$dir/swan.sas" ||
	fail "charon's inbound SPI is not keybridge's outbound $spi_out"
grep -q "out $spi_in" "$dir/swan.sas" ||
	fail "charon's outbound SPI is not keybridge's inbound $spi_in"
assert_eq "packets_out = the kernel's" \
	"$(xfrm_packets "$NS1" "0x$spi_out")" "$p_out"
assert_eq "packets_in = the kernel's" \
	"$(xfrm_packets "$NS1" "0x$spi_in")" "$p_in"

step "the counters move with the traffic"
ping_ok "$NS1" 10.2.0.1 20 -I 10.1.0.1
read -r spi_in spi_out p_in2 p_out2 <<<"$(children)"
assert_ge "packets_out after 20 more pings" $((p_out + 20)) "$p_out2"
assert_ge "packets_in after 20 more pings" $((p_in + 20)) "$p_in2"
ipsec status
kb_stop "$NS1"
rm -rf "$dir"
