#!/bin/bash
# kmod-timeout: 300
# The control socket with a real data plane: swanctl and `ipsec status`
# show keybridged's CHILD SAs with the SPIs and counters the kernel holds,
# and the counters move with the traffic.
#
#   ┌──────────────────────────┐         ┌──────────────────────────┐
#   │ $NS1  keybridged (init.) │         │ $NS2  keybridged (resp.) │
#   │ lo    10.1.0.1/32        │         │ lo    10.2.0.1/32        │
#   │ veth1 10.0.0.1/24        ├─────────┤ veth2 10.0.0.2/24        │
#   └──────────┬───────────────┘         └──────────────────────────┘
#      swanctl, ipsec on /tmp/45-kb-control.kb-$NS1.vici
. "$KB_ROOT/kmod-tests/lib.sh"
. "$KB_ROOT/kmod-tests/kb.sh"
require_guest
require_cmd swanctl
require_cmd python3
cleanup() { ns_cleanup; }
trap cleanup EXIT

dir=$(mktemp -d)
kb_two_sites
kb_conf "$dir/2.conf" 10.0.0.2 10.0.0.1 two.test one.test \
	10.2.0.0/24 10.1.0.0/24 none
kb_conf "$dir/1.conf" 10.0.0.1 10.0.0.2 one.test two.test \
	10.1.0.0/24 10.2.0.0/24 start
kb_start "$NS2" "$dir/2.conf"
kb_start "$NS1" "$dir/1.conf"
kb_wait "$NS1" "CHILD SA negotiated"
kb_wait "$NS2" "CHILD SA negotiated"
sock=$(kb_vici "$NS1")
ipsec() { "$KB_BUILD/bin/ipsec" --socket "$sock" "$@"; }
# children: the first CHILD SA of `ipsec status --json` as "spi_in spi_out
# packets_in bytes_in packets_out bytes_out" (python3 starts slowly under
# TCG: once per look)
children() {
	ipsec status --json | python3 -c "import json,sys
c = json.load(sys.stdin)['ike_sas'][0]['child_sas'][0]
print(*(c[k] for k in ('spi_in', 'spi_out', 'packets_in', 'bytes_in',
		      'packets_out', 'bytes_out')))"
}

step "traffic, then what swanctl and ipsec say against ip xfrm state"
ping_ok "$NS1" 10.2.0.1 5 -I 10.1.0.1
out=$(spi_of "$NS1" 10.0.0.1 10.0.0.2)
in=$(spi_of "$NS1" 10.0.0.2 10.0.0.1)
ip -n "$NS1" -s xfrm state
list=$(swanctl --list-sas --uri "unix://$sock" 2>/dev/null)
echo "$list"
echo "$list" | grep -q "c: #[0-9]*, reqid [0-9]*, INSTALLED, TUNNEL, ESP:AES_GCM_16-128" ||
	fail "swanctl --list-sas shows no installed CHILD SA"
echo "$list" | grep -q "in  ${in#0x}, *[0-9]* bytes, *$(xfrm_packets "$NS1" "$in") packets" ||
	fail "swanctl's inbound SPI/packets differ from the kernel's"
echo "$list" | grep -q "out ${out#0x}, *[0-9]* bytes, *$(xfrm_packets "$NS1" "$out") packets" ||
	fail "swanctl's outbound SPI/packets differ from the kernel's"
read -r c_in c_out p_in b_in p_out b_out <<<"$(children)"
assert_eq "spi_in (ipsec status --json)" "${in#0x}" "$c_in"
assert_eq "spi_out" "${out#0x}" "$c_out"
assert_eq "packets_in" "$(xfrm_packets "$NS1" "$in")" "$p_in"
assert_eq "bytes_in" "$(xfrm_bytes "$NS1" "$in")" "$b_in"
assert_eq "packets_out" "$(xfrm_packets "$NS1" "$out")" "$p_out"
assert_eq "bytes_out" "$(xfrm_bytes "$NS1" "$out")" "$b_out"
before=$p_out

step "the counters move"
ping_ok "$NS1" 10.2.0.1 10 -I 10.1.0.1
read -r c_in c_out p_in b_in after b_out <<<"$(children)"
assert_ge "packets_out after 10 more pings" $((before + 10)) "$after"
assert_eq "packets_out = the kernel's" "$(xfrm_packets "$NS1" "$out")" "$after"
ipsec status
ipsec status | grep -q "in .* packets" || fail "ipsec status shows no counters"
ipsec metrics | grep "keybridge_child_sa_packets_total{conn=\"t\",child=\"c\"" ||
	fail "no CHILD SA metrics"

step "swanctl --terminate --child: the CHILD SA goes, the IKE SA stays"
swanctl --terminate --child c --uri "unix://$sock" 2>/dev/null ||
	fail "terminate --child failed"
assert_eq "SAs in $NS1" 0 "$(xfrm_count "$NS1" state)"
swanctl --list-sas --uri "unix://$sock" 2>/dev/null | grep -q ESTABLISHED ||
	fail "the IKE SA went with its CHILD SA"
kb_stop "$NS1"
kb_stop "$NS2"
rm -rf "$dir"
